import type { Db } from './backend';

export interface StepHistory {
  step: string;
  status: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  pulled: { created: number; updated: number; unchanged: number; deleted: number; failed: number };
  pushed: { created: number; updated: number; unchanged: number; deleted: number; failed: number };
  conflicts: number;
  /** App changes deliberately not sent (order-taking mode); each is listed in `problems` with code qbsync-ignored. */
  ignored: number;
  /** Records waiting for a dependency (code qbsync-deferred in `problems`); tried again next run. */
  deferred: number;
  pages: number;
  error: unknown;
}

export interface RunHistory {
  runId: string;
  mode: string;
  workflowId: string;
  trigger: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: unknown;
  steps: StepHistory[];
  problems: Array<{
    step: string;
    entity: string;
    direction: string;
    record: string | null;
    code: string | null;
    message: string;
    action: string | null;
    skipped: boolean;
  }>;
}

/** The newest runs of a tenant with their steps, counts and per-record problems (`qbsync history`). */
export async function readHistory(db: Db, tenantId: string, limit = 10): Promise<RunHistory[]> {
  const runs = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.id);
  const steps = await db
    .selectFrom('sync_step_runs')
    .selectAll()
    .where('run_id', 'in', ids)
    .orderBy('position')
    .execute();
  const problems = await db.selectFrom('sync_problems').selectAll().where('run_id', 'in', ids).orderBy('id').execute();
  return runs.map((r) => ({
    runId: r.id,
    mode: r.mode,
    workflowId: r.workflow_id,
    trigger: r.trigger,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    steps: steps
      .filter((s) => s.run_id === r.id)
      .map((s) => ({
        step: s.step,
        status: s.status,
        startedAt: s.started_at,
        finishedAt: s.finished_at,
        pulled: {
          created: s.pulled_created,
          updated: s.pulled_updated,
          unchanged: s.pulled_unchanged,
          deleted: s.pulled_deleted,
          failed: s.pulled_failed,
        },
        pushed: {
          created: s.pushed_created,
          updated: s.pushed_updated,
          unchanged: s.pushed_unchanged,
          deleted: s.pushed_deleted,
          failed: s.pushed_failed,
        },
        conflicts: s.conflicts,
        ignored: s.ignored,
        deferred: s.deferred,
        pages: s.pages,
        error: s.error,
      })),
    problems: problems
      .filter((p) => p.run_id === r.id)
      .map((p) => ({
        step: p.step,
        entity: p.entity,
        direction: p.direction,
        record: p.record_label,
        code: p.code,
        message: p.message,
        action: p.user_action,
        skipped: p.skipped,
      })),
  }));
}
