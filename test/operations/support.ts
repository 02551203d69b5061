import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { TemporalAccess } from '../../activities/operations/requestSync';
import { connectClient } from '../../schema/db';
import { statusQuery, type CoordinatorStatus } from '../../workflows/coordinator';
import { coordinatorId } from '../../common/ids';
import type { Stack } from '../helpers/stack';
import { until } from '../helpers/until';

export function access(stack: Stack): TemporalAccess {
  return { client: stack.temporal.client, taskQueue: stack.temporal.taskQueue };
}

export function status(stack: Stack, tenantId: string): Promise<CoordinatorStatus> {
  return stack.temporal.client.workflow.getHandle(coordinatorId(tenantId)).query(statusQuery);
}

/** Waits until the coordinator is idle with `runs` runs completed and nothing pending. */
export function settled(stack: Stack, tenantId: string, runs: number): Promise<CoordinatorStatus> {
  return until(
    `${runs} completed run(s), idle, nothing pending`,
    () => status(stack, tenantId),
    (s) => s.state === 'idle' && !s.pending && s.runsCompleted === runs && !s.deliveringInvoices,
  );
}

/**
 * Holds the sync of one entity of a tenant: an open transaction owns (or is inserting) the entity's pull cursor, so
 * the page that would move that cursor waits on a row lock until `release()`. Deterministic, unlike a delay.
 */
export async function holdCursor(
  databaseUrl: string,
  tenantId: string,
  entity: string,
): Promise<{ waiting(): Promise<number>; release(): Promise<void> }> {
  // qbsync's tables are in its own schema: the connection's search_path names it, as every qbsync connection's does.
  const pg = await connectClient(databaseUrl);
  await pg.query('begin');
  await pg.query(
    `insert into sync_cursors (tenant_id, entity, state) values ($1, $2, 'null'::jsonb)
     on conflict (tenant_id, entity) do update set state = sync_cursors.state`,
    [tenantId, entity],
  );
  const { rows } = await pg.query<{ pid: number }>('select pg_backend_pid() as pid');
  const holder = rows[0].pid;
  return {
    /** How many sessions wait for the held row (1 when a page is stuck on it). */
    async waiting() {
      const r = await pg.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
        [holder],
      );
      return Number(r.rows[0].n);
    },
    async release() {
      await pg.query('rollback');
      await pg.end();
    },
  };
}

export interface ChildRun {
  workflowId: string;
  runId: string;
  status: string;
  startTime: Date;
  closeTime?: Date;
  trigger?: string;
}

/** The tenant's sync runs as Temporal's visibility lists them, oldest first. */
export async function syncRuns(client: Client, tenantId: string): Promise<ChildRun[]> {
  const runs: ChildRun[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowType = 'syncTenant' AND QbsyncTenant = '${tenantId}'` }))
    runs.push(view(w));
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

function view(w: WorkflowExecutionInfo): ChildRun {
  const trigger = w.typedSearchAttributes.getAll().find((p) => p.key.name === 'QbsyncTrigger')?.value as
    string | undefined;
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    status: w.status.name,
    startTime: w.startTime,
    closeTime: w.closeTime,
    trigger,
  };
}

/** Never two at once: each run started after the one before it had closed. */
export function expectSequential(runs: ChildRun[]): void {
  for (let i = 1; i < runs.length; i++) {
    expect(runs[i - 1].closeTime).toBeDefined();
    expect(runs[i].startTime.getTime()).toBeGreaterThanOrEqual(runs[i - 1].closeTime!.getTime());
  }
}

/** `temporal workflow signal --name synchronizeAll` with no input, as an operator would type it. */
export async function signalWithTemporalCli(tenantId: string): Promise<void> {
  const cli = process.env.TEMPORAL_TEST_CLI!;
  await promisify(execFile)(cli, [
    'workflow',
    'signal',
    '--address',
    process.env.TEMPORAL_TEST_ADDRESS!,
    '--namespace',
    'default',
    '--workflow-id',
    coordinatorId(tenantId),
    '--name',
    'synchronizeAll',
  ]);
}
