import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { getTenant } from '../../activities/connection/tenants';
import { requestSync } from '../../activities/operations/requestSync';
import { commandContext, openDatabase } from '../context';
import { follow } from '../followSync';
import { withTemporal } from '../temporalAccess';
import { formatFinished } from './status';

export function registerSync(program: Command): void {
  program
    .command('sync <tenant>')
    .description(
      '"Synchronize All": ask the tenant\'s coordinator for a sync; it runs now, or once more right after the running one',
    )
    .option(
      '--wait',
      'follow the run this request causes: progress per step, then a summary; exit 0 if it succeeded, 1 if it failed',
    )
    .option('--json', 'print JSON (with --wait: the finished run)')
    .action(async (tenantId: string, options: { wait?: boolean; json?: boolean }) => {
      const { config } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: false });
      try {
        await getTenant(db, tenantId);
      } finally {
        await db.destroy();
      }
      const say = options.json ? () => undefined : (line: string) => console.log(line);
      await withTemporal(config, async (temporal) => {
        const requestId = randomUUID();
        const { workflowId } = await requestSync(temporal, { tenantId, trigger: 'manual', requestId });
        if (!options.wait) {
          if (options.json) console.log(JSON.stringify({ tenantId, coordinator: workflowId, requestId }, null, 2));
          else
            say(
              `requested a sync of tenant ${tenantId} from ${workflowId}; follow it with \`qbsync status ${tenantId}\` (or run \`qbsync sync ${tenantId} --wait\`)`,
            );
          return;
        }
        const run = await follow(temporal, tenantId, requestId, say);
        if (options.json) console.log(JSON.stringify(run, null, 2));
        else for (const line of formatFinished(tenantId, run)) say(line);
        if (run.outcome !== 'succeeded') {
          const f = run.failure;
          console.error(
            `qbsync: the sync of tenant ${tenantId} failed in step ${f?.step ?? '(start)'}${f?.record ? `, record ${f.record}` : ''}: ${f?.message ?? 'unknown reason'}`,
          );
          process.exitCode = 1;
        }
      });
    });
}
