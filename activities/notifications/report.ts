import type { Db } from '../../schema/db';
import type { StepError } from '../../schema/tables/sync';

export interface Counts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
}

export interface StepReport {
  step: string;
  status: string;
  pulled: Counts;
  pushed: Counts;
  conflicts: number;
}

export interface FailureReport {
  step: string | null;
  entity: string | null;
  record: string | null;
  qboId: string | null;
  code: string | null;
  reason: string;
  action: string;
}

/** What a notice says about one run; also the JSON body of the webhook (see README). */
export interface RunReport {
  event: 'sync.succeeded' | 'sync.failed';
  tenant: { id: string; name: string };
  trigger: string;
  workflowId: string;
  syncRunId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepReport[];
  failure: FailureReport | null;
  /** Records skipped under `onRecordError: skip` in this run (they are tried again next run). */
  skippedRecords: Array<{
    step: string;
    entity: string;
    record: string | null;
    code: string | null;
    reason: string;
    action: string | null;
  }>;
}

export interface ReportInput {
  tenantId: string;
  tenantName: string;
  syncRunId: string | null;
  workflowId: string;
  trigger: string;
  outcome: 'succeeded' | 'failed';
}

const MAX_SKIPPED = 20;

/** Reads the run's steps, counts and failure from the sync history (sync_runs, sync_step_runs, sync_problems). */
export async function buildRunReport(db: Db, input: ReportInput): Promise<RunReport> {
  const run = input.syncRunId
    ? await db
        .selectFrom('sync_runs')
        .selectAll()
        .where('id', '=', input.syncRunId)
        .where('tenant_id', '=', input.tenantId)
        .executeTakeFirst()
    : undefined;
  const steps = run
    ? await db.selectFrom('sync_step_runs').selectAll().where('run_id', '=', run.id).orderBy('position').execute()
    : [];
  const problems = run
    ? await db
        .selectFrom('sync_problems')
        .selectAll()
        .where('run_id', '=', run.id)
        .where('skipped', '=', true)
        .orderBy('id')
        .limit(MAX_SKIPPED)
        .execute()
    : [];
  const failedStep = steps.find((s) => s.status === 'failed');
  const error = (run?.error ?? failedStep?.error ?? null) as StepError | null;
  return {
    event: input.outcome === 'succeeded' ? 'sync.succeeded' : 'sync.failed',
    tenant: { id: input.tenantId, name: input.tenantName },
    trigger: input.trigger,
    workflowId: input.workflowId,
    syncRunId: input.syncRunId,
    startedAt: run?.started_at.toISOString() ?? null,
    finishedAt: run?.finished_at?.toISOString() ?? null,
    steps: steps.map((s) => ({
      step: s.step,
      status: s.status,
      pulled: {
        created: s.pulled_created,
        updated: s.pulled_updated,
        deleted: s.pulled_deleted,
        unchanged: s.pulled_unchanged,
        failed: s.pulled_failed,
      },
      pushed: {
        created: s.pushed_created,
        updated: s.pushed_updated,
        deleted: s.pushed_deleted,
        unchanged: s.pushed_unchanged,
        failed: s.pushed_failed,
      },
      conflicts: s.conflicts,
    })),
    failure: input.outcome === 'failed' ? failureOf(input, failedStep?.step ?? null, error) : null,
    skippedRecords: problems.map((p) => ({
      step: p.step,
      entity: p.entity,
      record: p.record_label,
      code: p.code,
      reason: p.message,
      action: p.user_action,
    })),
  };
}

function failureOf(input: ReportInput, step: string | null, error: StepError | null): FailureReport {
  if (!error) {
    return {
      step,
      entity: null,
      record: null,
      qboId: null,
      code: null,
      reason: input.syncRunId ? 'the run failed without recording a reason' : 'the run failed before it was recorded',
      action: `look at workflow ${input.workflowId} in Temporal Web, then run \`qbsync sync ${input.tenantId}\` again`,
    };
  }
  return {
    step,
    entity: error.entity ?? null,
    record: error.record ?? null,
    qboId: error.qboId ?? null,
    code: error.code ?? null,
    reason: error.message,
    action: error.action ?? defaultAction(input.tenantId, error.type),
  };
}

function defaultAction(tenantId: string, type: string | undefined): string {
  if (type && /Reconnect|Auth/i.test(type)) return `reconnect the QuickBooks company: \`qbsync connect ${tenantId}\``;
  return `fix the cause named above, then run \`qbsync sync ${tenantId}\` (or press Synchronize All)`;
}
