import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { OUTCOME, TENANT, TRIGGER } from '../workers/searchAttributes';
import type { Activities } from '../activities/activities';
import type { PageResult, StepPart, StepResult } from '../activities/sync/activities';
import { addCounts, emptyCounts, STEPS, type StepName } from '../common/steps';
import { progressQuery, syncProgressSignal, type StepProgress, type SyncProgress } from '../common/messages';
export type { StepProgress, SyncProgress } from '../common/messages';
export { progressQuery, syncProgressSignal } from '../common/messages';
import type { StepError } from '../schema/tables/sync';

/** Failures that retrying cannot fix: a record the user must correct, a connection that must be re-authorised. */
export const NON_RETRYABLE_SYNC_ERRORS = [
  'RecordRejectedError',
  'UnknownTenantError',
  'QboValidationError',
  'QboReconnectRequiredError',
  'ReconnectRequiredError',
];

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_SYNC_ERRORS,
  },
});

// Transient QuickBooks faults back off exponentially; a 429 comes with its own 60-second delay (nextRetryDelay).
const WORK_RETRY = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 12,
  nonRetryableErrorTypes: NON_RETRYABLE_SYNC_ERRORS,
} as const;

const pages = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // Pages heartbeat every few seconds: a crashed worker's page is retried elsewhere after 20 s, not 5 minutes.
  heartbeatTimeout: '20 seconds',
  retry: WORK_RETRY,
});

const steps = proxyActivities<Activities>({
  // A step attempt moves pages for up to 20 s, then hands back; one page may take minutes (a slow QuickBooks, the Web
  // Connector's exchange), so the attempt's limit is a page's plus the slice.
  startToCloseTimeout: '10 minutes',
  // Heartbeats arrive every 2 s (activities/heartbeat.ts): a killed worker's attempt is retried within 10 s.
  heartbeatTimeout: '10 seconds',
  // A failed attempt says its own back-off (nextRetryDelay: 2 s doubling to 2 minutes, a 429 QuickBooks' delay), so
  // the policy's interval is what an attempt whose worker died waits after its heartbeat timeout: a second, not a
  // back-off grown by every kill before it (activities/sync/activities.ts withStepBackoff).
  retry: { ...WORK_RETRY, initialInterval: '1 second', backoffCoefficient: 1, maximumInterval: '1 second' },
});

/**
 * Runs recorded before this change drove each page as its own activity; newer runs drive a step as one activity
 * (`syncStep`), which opens the run with the first step and closes it with the last. The marker keeps both replaying.
 */
const STEPS_IN_ONE_ACTIVITY = 'steps-in-one-activity';

/**
 * A step is one activity, so its retry policy counts every attempt of the whole step: a worker killed twenty times
 * in one big step would fail it although each attempt moved it on. When its attempts run out for a reason retrying
 * can fix, the step is asked again as long as the failed attempts moved its resume point; it fails once they did not.
 */
const STEP_ASKED_AGAIN_WHILE_IT_MOVES = 'step-asked-again-while-it-moves';

export interface SyncTenantInput {
  tenantId: string;
  /** What started the run: `manual`, `schedule`, `signal`, `npm-start`, … */
  trigger: string;
  /** Set only when a long run continues as new. */
  resume?: ResumeState;
}

interface ResumeState {
  runId: string;
  completed: StepName[];
  /** `standing`: where the step stood after its last slice (StepResult.standing), absent in older runs. */
  step?: { name: StepName; part: number; cursor: unknown; standing?: string | null };
  progress: SyncProgress;
}

/** How often, in pages, a run tells its coordinator where it is (besides every step boundary). */
const PROGRESS_EVERY_PAGES = 5;

/**
 * One sync run ("Synchronize All") of one tenant: five steps, in this order, each only after every earlier one
 * succeeded. A failed step fails the run (later steps are recorded as skipped) and the workflow ends as Failed.
 */
export async function syncTenant(input: SyncTenantInput): Promise<SyncProgress> {
  const run = await openRun(input);
  setHandler(progressQuery, () => run.progress);
  upsertSearchAttributes([
    { key: TENANT, value: input.tenantId },
    { key: TRIGGER, value: input.trigger },
    { key: OUTCOME, value: 'running' },
  ]);
  try {
    await syncStep(run, 'customers');
    await syncStep(run, 'items');
    await syncStep(run, 'taxes');
    await syncStep(run, 'invoices');
    await syncStep(run, 'payments');
  } catch (error) {
    // continueAsNew() ends this run by throwing; it is the run going on, not failing.
    if (error instanceof ContinueAsNew) throw error;
    const failure = await failRun(run, error);
    upsertSearchAttributes([{ key: OUTCOME, value: 'failed' }]);
    await reportProgress(run);
    throw failure;
  }
  if (!run.ended) await bookkeeping.endSyncRun({ runId: run.runId, status: 'succeeded' });
  run.progress.status = 'succeeded';
  run.progress.currentStep = undefined;
  run.progress.current = undefined;
  upsertSearchAttributes([{ key: OUTCOME, value: 'succeeded' }]);
  await reportProgress(run);
  return run.progress;
}

async function reportProgress(run: Run): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  // The coordinator may have ended (e.g. terminated by an operator); progress is a courtesy, never a failure.
  await getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(syncProgressSignal, run.progress)
    .catch(() => undefined);
}

interface Run {
  input: SyncTenantInput;
  runId: string;
  completed: Set<StepName>;
  resumeStep?: ResumeState['step'];
  progress: SyncProgress;
  /** Not yet opened: the first step's activity opens the run (newer runs). */
  beginRun?: { runId: string; tenantId: string; workflowId: string; trigger: string };
  /** The last step's activity closed the run as succeeded. */
  ended?: boolean;
}

async function openRun(input: SyncTenantInput): Promise<Run> {
  if (input.resume) {
    return {
      input,
      runId: input.resume.runId,
      completed: new Set(input.resume.completed),
      resumeStep: input.resume.step,
      progress: input.resume.progress,
    };
  }
  const runId = workflowInfo().runId;
  const start = { runId, tenantId: input.tenantId, workflowId: workflowInfo().workflowId, trigger: input.trigger };
  const fused = patched(STEPS_IN_ONE_ACTIVITY);
  if (!fused) await bookkeeping.beginSyncRun(start);
  const steps = STEPS.map((step): StepProgress => ({
    step,
    status: 'pending',
    pages: 0,
    pulled: emptyCounts(),
    pushed: emptyCounts(),
  }));
  return {
    input,
    runId,
    completed: new Set(),
    progress: { runId, tenantId: input.tenantId, status: 'running', steps },
    ...(fused ? { beginRun: start } : {}),
  };
}

async function syncStep(run: Run, step: StepName): Promise<void> {
  if (run.completed.has(step)) return;
  if (patched(STEPS_IN_ONE_ACTIVITY)) return syncStepInOneActivity(run, step);
  const progress = run.progress.steps.find((s) => s.step === step)!;
  progress.status = 'running';
  run.progress.currentStep = step;
  const resuming = run.resumeStep?.name === step ? run.resumeStep : undefined;
  run.resumeStep = undefined;
  const parts: StepPart[] = await bookkeeping.beginSyncStep({ runId: run.runId, step });
  await reportProgress(run);
  for (let part = resuming?.part ?? 0; part < parts.length; part++) {
    const { entity, direction } = parts[part];
    run.progress.current = { entity, direction };
    let cursor: unknown = part === resuming?.part ? resuming.cursor : null;
    for (;;) {
      const page: PageResult = await pages.syncPage({
        tenantId: run.input.tenantId,
        runId: run.runId,
        step,
        entity,
        direction,
        cursor,
      });
      progress.pages++;
      if (direction === 'pull') progress.pulled = addCounts(progress.pulled, page.counts);
      else progress.pushed = addCounts(progress.pushed, page.counts);
      cursor = page.nextCursor;
      if (progress.pages % PROGRESS_EVERY_PAGES === 0) await reportProgress(run);
      if (page.done) break;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof syncTenant>({
          ...run.input,
          resume: {
            runId: run.runId,
            completed: [...run.completed],
            step: { name: step, part, cursor },
            progress: run.progress,
          },
        });
      }
    }
  }
  if (step === 'payments') await bookkeeping.settleBalances({ tenantId: run.input.tenantId });
  await bookkeeping.endSyncStep({ runId: run.runId, step, status: 'succeeded' });
  progress.status = 'succeeded';
  run.completed.add(step);
}

/**
 * One step as one activity (`syncStep`), asked again while it hands back unfinished (after a slice of pages, or while
 * the Web Connector is awaited). Progress goes to the coordinator alongside the next activity, not before it.
 */
async function syncStepInOneActivity(run: Run, step: StepName): Promise<void> {
  const progress = run.progress.steps.find((s) => s.step === step)!;
  progress.status = 'running';
  run.progress.currentStep = step;
  const resuming = run.resumeStep?.name === step ? run.resumeStep : undefined;
  run.resumeStep = undefined;
  const last = step === STEPS[STEPS.length - 1];
  // Where the step stood when the workflow last heard from it: nowhere yet, unless it goes on from an earlier run.
  let standing: string | null | undefined = resuming ? resuming.standing : null;
  for (;;) {
    const reported = reportProgress(run);
    let result: StepResult;
    try {
      result = await steps.syncStep({
        tenantId: run.input.tenantId,
        runId: run.runId,
        step,
        ...(run.beginRun ? { beginRun: run.beginRun } : {}),
        ...(last ? { endRun: true } : {}),
        ...(resuming ? { resume: { part: resuming.part, cursor: resuming.cursor } } : {}),
      });
    } catch (error) {
      await reported;
      const now = await movedOn(run, step, standing, error);
      if (now === undefined) throw error;
      standing = now;
      continue;
    }
    await reported;
    if (result.standing !== undefined) standing = result.standing;
    run.beginRun = undefined;
    progress.pages += result.pages;
    progress.pulled = addCounts(progress.pulled, result.pulled);
    progress.pushed = addCounts(progress.pushed, result.pushed);
    if (result.current) run.progress.current = result.current;
    if (result.done) break;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof syncTenant>({
        ...run.input,
        resume: {
          runId: run.runId,
          completed: [...run.completed],
          // The step's activity finds where it stood in sync_step_runs; the part and cursor are only a fallback.
          step: { name: step, part: 0, cursor: null, standing },
          progress: run.progress,
        },
      });
    }
  }
  progress.status = 'succeeded';
  run.completed.add(step);
  if (last) run.ended = true;
}

/**
 * After a step's attempts ran out: where it stands now if they moved it on and retrying can fix what stopped them
 * (STEP_ASKED_AGAIN_WHILE_IT_MOVES), else undefined — the step fails.
 */
async function movedOn(
  run: Run,
  step: StepName,
  before: string | null | undefined,
  error: unknown,
): Promise<string | null | undefined> {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (!(error instanceof ActivityFailure)) return undefined;
  if (
    cause instanceof ApplicationFailure &&
    (cause.nonRetryable || NON_RETRYABLE_SYNC_ERRORS.includes(cause.type ?? ''))
  )
    return undefined;
  if (!patched(STEP_ASKED_AGAIN_WHILE_IT_MOVES)) return undefined;
  const now = await bookkeeping.stepStanding({ runId: run.runId, step });
  return now !== null && now !== before ? now : undefined;
}

/** Records the failing step and reason, then returns the failure the workflow ends with (Failed in Temporal Web). */
async function failRun(run: Run, error: unknown): Promise<ApplicationFailure> {
  const step = run.progress.currentStep;
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  const failure = cause instanceof ApplicationFailure ? cause : undefined;
  const details = (failure?.details?.[0] ?? {}) as {
    code?: string;
    entity?: string;
    appId?: string;
    qboId?: string;
    label?: string;
    action?: string;
  };
  const stepError: StepError = {
    message: (cause as Error)?.message ?? String(cause),
    type: failure?.type ?? (cause as Error)?.name,
    code: details.code,
    entity: details.entity,
    appId: details.appId ?? null,
    qboId: details.qboId ?? null,
    record: details.label ?? null,
    action: details.action,
  };
  if (step) await bookkeeping.endSyncStep({ runId: run.runId, step, status: 'failed', error: stepError });
  await bookkeeping.endSyncRun({ runId: run.runId, status: 'failed', error: stepError });
  run.progress.status = 'failed';
  run.progress.error = stepError;
  for (const s of run.progress.steps) {
    if (s.step === step) s.status = 'failed';
    else if (s.status === 'pending') s.status = 'skipped';
  }
  return ApplicationFailure.create({
    type: 'SyncStepFailed',
    message: `sync of tenant ${run.input.tenantId} failed in step ${step ?? '(start)'}: ${stepError.message}`,
    nonRetryable: true,
    details: [stepError],
  });
}
