import type { Command } from 'commander';
import { getTenant } from '../../activities/connection/tenants';
import { lastNotices, type NoticeSummary } from '../../activities/notifications/activities';
import type { StepProgress } from '../../workflows/syncTenant';
import type { CoordinatorStatus, FinishedSync } from '../../workflows/coordinator';
import { coordinatorId } from '../../common/ids';
import type { Db } from '../../schema/db';
import { commandContext, openDatabase } from '../context';
import { coordinatorStatus, withTemporal } from '../temporalAccess';
import { describeSchedule, formatSchedule, type ScheduleView } from './schedule';
import { currentKeyVersion, health } from './tenant';
import { formatWebConnectorState, webConnectorState } from '../../activities/backends/quickbooks-desktop/connection';

type Counts = StepProgress['pulled'];

function counts(c: Counts): string {
  return `+${c.created} ~${c.updated} =${c.unchanged} -${c.deleted}${c.failed ? ` !${c.failed}` : ''}${c.conflicts ? ` conflicts ${c.conflicts}` : ''}`;
}

/** One line per step: status, pages, and what moved each way. */
export function stepLine(s: StepProgress): string {
  const moved =
    s.pages > 0 || s.status === 'succeeded'
      ? `  pages ${s.pages}  pull ${counts(s.pulled).padEnd(16)}  push ${counts(s.pushed)}`
      : '';
  return `  ${s.step.padEnd(10)} ${s.status.padEnd(9)}${moved}`.trimEnd();
}

function seconds(from: string, to: string): string {
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

/** A finished run: outcome, duration, steps, and on failure the step, record, QuickBooks' reason and what to do. */
export function formatFinished(tenantId: string, run: FinishedSync): string[] {
  const out = [
    `${run.workflowId} ${run.outcome.toUpperCase()} in ${seconds(run.startedAt, run.endedAt)} (${run.triggers.join(', ')}; ${run.startedAt} → ${run.endedAt})`,
  ];
  for (const s of run.steps) out.push(stepLine(s));
  const f = run.failure;
  if (f) {
    // qbsync's own checks (codes qbsync-…) refuse a record before QuickBooks sees it; other codes are QuickBooks'.
    const code = f.code ? (f.code.startsWith('qbsync-') ? ` [${f.code}]` : ` [QuickBooks ${f.code}]`) : '';
    const message = f.action ? f.message.replace(/\s*What to do:[\s\S]*$/, '') : f.message;
    out.push(
      `  failed in step ${f.step ?? '(before the first step)'}${f.record ? `, record ${f.record}` : ''}${code}: ${message}`,
    );
    if (f.action) out.push(`  what to do: ${f.action}`);
    out.push(`  details: qbsync history ${tenantId}${run.syncRunId ? ` (run ${run.syncRunId})` : ''}`);
  }
  return out;
}

export function formatStatus(
  tenantId: string,
  status: CoordinatorStatus | undefined,
  schedule: ScheduleView | undefined,
  notices: NoticeSummary[] | undefined,
): string {
  const out: string[] = [];
  if (!status) {
    out.push(
      `tenant ${tenantId}: no sync requested yet (coordinator ${coordinatorId(tenantId)} not started); start one with \`qbsync sync ${tenantId}\``,
    );
  } else if (status.current) {
    const c = status.current;
    out.push(
      `tenant ${tenantId}: RUNNING ${c.workflowId} (${c.triggers.join(', ')}, since ${c.startedAt})${c.step ? `, step ${c.step}${c.current ? ` (${c.current.entity} ${c.current.direction})` : ''}` : ''}`,
    );
    for (const s of c.steps) out.push(stepLine(s));
  } else {
    out.push(`tenant ${tenantId}: IDLE${status.deliveringInvoices ? ' (emailing invoices)' : ''}`);
  }
  if (status?.pending)
    out.push(
      `follow-up run pending: ${status.pending.requests} request(s) since ${status.pending.firstAt} (${status.pending.triggers.join(', ')})`,
    );
  if (status?.lastRun) {
    out.push('last run:');
    out.push(...formatFinished(tenantId, status.lastRun).map((l) => `  ${l}`));
  }
  if (status) out.push(`runs completed: ${status.runsCompleted}`);
  out.push(...formatSchedule(tenantId, schedule));
  if (notices?.length) {
    out.push('last notices:');
    for (const n of notices)
      out.push(
        `  ${n.createdAt.toISOString()}  ${n.event.padEnd(9)} ${n.channel} ${n.recipient}  ${n.status}${n.error ? `: ${n.error}` : ''}`,
      );
  }
  return out.join('\n');
}

/** Notices exist once the notifications migration ran; before that, or on an older schema, there are none to show. */
async function noticesOf(db: Db, tenantId: string): Promise<NoticeSummary[] | undefined> {
  try {
    return await lastNotices(db, tenantId, 5);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return undefined;
    throw error;
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status <tenant>')
    .description(
      "a tenant's sync status: idle or running (step and progress), pending follow-up, last run, schedule and next fire times, last notices",
    )
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }) => {
      const { config } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: false });
      try {
        await getTenant(db, tenantId);
        const { warnings } = await health(db, tenantId, currentKeyVersion(config));
        const { status, schedule } = await withTemporal(config, async (temporal) => ({
          status: await coordinatorStatus(temporal, tenantId),
          schedule: await describeSchedule(temporal, tenantId),
        }));
        const notices = await noticesOf(db, tenantId);
        // QuickBooks Desktop / Reckon: whether the run waits for the company's Web Connector.
        const webConnector = await webConnectorState(db, tenantId);
        console.log(
          options.json
            ? JSON.stringify(
                {
                  tenantId,
                  warnings,
                  coordinator: status ?? null,
                  schedule: schedule ?? null,
                  notices: notices ?? [],
                  ...(webConnector ? { webConnector } : {}),
                },
                null,
                2,
              )
            : [
                ...warnings.map((w) => `warning: ${w}`),
                formatStatus(tenantId, status, schedule, notices),
                webConnector && formatWebConnectorState(webConnector),
              ]
                .filter(Boolean)
                .join('\n'),
        );
      } finally {
        await db.destroy();
      }
    });
}
