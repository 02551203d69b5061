import { getTenant, TenantError } from '../../activities/connection/tenants';
import type { Command } from 'commander';
import { readHistory, type RunHistory } from '../../activities/sync/history';
import { DEFERRED, IGNORED } from '../../activities/sync/records';
import { commandContext, openDatabase } from '../context';

function counts(c: { created: number; updated: number; unchanged: number; deleted: number; failed: number }): string {
  return `+${c.created} ~${c.updated} =${c.unchanged} -${c.deleted}${c.failed ? ` !${c.failed}` : ''}`;
}

export function formatHistory(runs: RunHistory[]): string {
  if (runs.length === 0) return 'no sync runs yet';
  const out: string[] = [];
  for (const run of runs) {
    const took = run.finishedAt
      ? ` in ${((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1)} s`
      : '';
    out.push(
      `${run.startedAt.toISOString()}  ${run.status.toUpperCase()}  (${run.trigger}${took}${run.mode === 'order-taking' ? ', order-taking' : ''})  run ${run.runId}`,
    );
    for (const s of run.steps) {
      out.push(
        `  ${s.step.padEnd(10)} ${s.status.padEnd(9)} pull ${counts(s.pulled).padEnd(22)} push ${counts(s.pushed)}${s.conflicts ? `  conflicts ${s.conflicts}` : ''}${s.ignored ? `  ignored ${s.ignored}` : ''}${s.deferred ? `  deferred ${s.deferred}` : ''}`,
      );
    }
    const error = run.error as { message?: string; action?: string } | null;
    if (error?.message) out.push(`  error: ${error.message}`);
    for (const p of run.problems)
      out.push(
        `  ${p.code === IGNORED ? 'ignored' : p.code === DEFERRED ? 'deferred' : p.skipped ? 'skipped' : 'failed'}: ${p.record ?? p.entity}${p.code ? ` [${p.code}]` : ''}: ${p.message}${p.action ? ` → ${p.action}` : ''}`,
      );
  }
  out.push('counts: +created ~updated =unchanged -deleted !failed');
  return out.join('\n');
}

export function registerHistory(program: Command): void {
  program
    .command('history <tenant>')
    .description('print the newest sync runs of a tenant: steps, counts per direction, errors and per-record problems')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'how many runs', '10')
    .action(async (tenant: string, options: { json?: boolean; limit: string }) => {
      const { config } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: false });
      try {
        await getTenant(db, tenant); // a mistyped tenant is named as such, not shown as "no sync runs yet"
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new TenantError(`--limit must be a whole number ≥ 1, not ${options.limit}`);
        const runs = await readHistory(db, tenant, limit);
        console.log(options.json ? JSON.stringify(runs, null, 2) : formatHistory(runs));
      } finally {
        await db.destroy();
      }
    });
}
