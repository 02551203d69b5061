import type { StepError, StepResume } from '../../schema/tables/sync';
import { STEPS, type Direction, type PageCounts, type StepName, type SyncMode } from './model';
import type { Db, Trx } from './backend';

export interface RunStart {
  runId: string;
  tenantId: string;
  workflowId: string;
  trigger: string;
}

/** Creates the run and its five pending steps; a retried call finds them already there. */
export async function beginRun(db: Db, start: RunStart, at: Date, mode: SyncMode = 'billing'): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('sync_runs')
      .values({
        id: start.runId,
        tenant_id: start.tenantId,
        workflow_id: start.workflowId,
        trigger: start.trigger,
        status: 'running',
        started_at: at,
        mode,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    await trx
      .insertInto('sync_step_runs')
      .values(
        STEPS.map((step, position) => ({
          run_id: start.runId,
          step,
          position: position + 1,
          status: 'pending' as const,
        })),
      )
      .execute();
  });
}

/** The mode a run started in (every page of the run follows it). */
export async function runMode(db: Db, runId: string): Promise<SyncMode> {
  const row = await db.selectFrom('sync_runs').select('mode').where('id', '=', runId).executeTakeFirst();
  return row?.mode ?? 'billing';
}

export async function startStep(db: Db, runId: string, step: StepName, at: Date): Promise<void> {
  await db
    .updateTable('sync_step_runs')
    .set({ status: 'running', started_at: at })
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .where('status', '=', 'pending')
    .execute();
}

const COLUMNS = {
  pull: {
    created: 'pulled_created',
    updated: 'pulled_updated',
    unchanged: 'pulled_unchanged',
    failed: 'pulled_failed',
    deleted: 'pulled_deleted',
  },
  push: {
    created: 'pushed_created',
    updated: 'pushed_updated',
    unchanged: 'pushed_unchanged',
    failed: 'pushed_failed',
    deleted: 'pushed_deleted',
  },
} as const;

/**
 * Adds one page's counts and notes where the step goes on; called in the page's own transaction where there is one, so
 * a replayed page is not counted twice and the resume point never runs ahead of what the page committed.
 */
export async function addPageCounts(
  db: Db | Trx,
  runId: string,
  step: StepName,
  direction: Direction,
  counts: PageCounts,
  resume?: StepResume,
): Promise<void> {
  const c = COLUMNS[direction];
  await db
    .updateTable('sync_step_runs')
    .set((eb) => ({
      [c.created]: eb(c.created, '+', counts.created),
      [c.updated]: eb(c.updated, '+', counts.updated),
      [c.unchanged]: eb(c.unchanged, '+', counts.unchanged),
      [c.failed]: eb(c.failed, '+', counts.failed),
      [c.deleted]: eb(c.deleted, '+', counts.deleted),
      conflicts: eb('conflicts', '+', counts.conflicts),
      ignored: eb('ignored', '+', counts.ignored ?? 0),
      deferred: eb('deferred', '+', counts.deferred ?? 0),
      pages: eb('pages', '+', 1),
      ...(resume ? { resume_at: JSON.stringify(resume) } : {}),
    }))
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .execute();
}

/** Where a step goes on after its last committed page (none before its first). */
export async function stepResume(db: Db, runId: string, step: StepName): Promise<StepResume | undefined> {
  const row = await db
    .selectFrom('sync_step_runs')
    .select('resume_at')
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .executeTakeFirst();
  return row?.resume_at ?? undefined;
}

export async function finishStep(
  db: Db,
  runId: string,
  step: StepName,
  status: 'succeeded' | 'failed',
  at: Date,
  error?: StepError,
): Promise<void> {
  await db
    .updateTable('sync_step_runs')
    .set({ status, finished_at: at, error: error ? JSON.stringify(error) : null })
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .execute();
}

/** Ends the run; steps that never started are recorded as skipped. */
export async function finishRun(
  db: Db,
  runId: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  at: Date,
  error?: StepError,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('sync_step_runs')
      .set({ status: 'skipped' })
      .where('run_id', '=', runId)
      .where('status', 'in', ['pending', 'running'])
      .execute();
    await trx
      .updateTable('sync_runs')
      .set({ status, finished_at: at, error: error ? JSON.stringify(error) : null })
      .where('id', '=', runId)
      .execute();
  });
}
