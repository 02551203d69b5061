import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { StepError, StepResume } from '../../schema/tables/sync';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import type { BackendFactory } from '../backends';
import { currentAttempt, withHeartbeat } from '../heartbeat';
import { AppSide } from './appSide';
import type { ChangePage, Db } from './backend';
import { settleBalances } from './balances';
import { pullPage, pushPage, type EngineContext, type SentPage } from './engine';
import { BackendWaitingError, RecordRejectedError } from './errors';
import { LinkStore } from './links';
import { addCounts, emptyCounts, type Direction, type EntityName, type PageCounts, type StepName } from './model';
import { mappingsFor, stepParts, type StepPart } from './modes';
import { handoffPlanner } from './orderTaking/handoff';
import { OPTIONAL_ENTITIES } from './orderTaking/steps';
import { Ahead } from './ahead';
import { stableJson } from './fingerprint';
import { addPageCounts, beginRun, finishRun, finishStep, runMode, startStep, stepResume, type RunStart } from './runs';
import { SettingsError } from '../connection/tenantSettings';
import { readSyncSettings, UnknownTenantError } from './settings';

export interface SyncDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The tenant's accounting backend for a page of work (activities/backends names them all). */
  backendFor: BackendFactory;
  /** How long a step attempt moves pages before handing back (default STEP_SLICE_MS; tests use 0: a page each). */
  stepSliceMs?: number;
}

export type { StepPart };

export interface PageInput {
  tenantId: string;
  runId: string;
  step: StepName;
  entity: EntityName;
  direction: Direction;
  /** Pushes only: where the next page starts in this run. */
  cursor: unknown;
}

export interface PageResult {
  counts: PageCounts;
  nextCursor: unknown;
  done: boolean;
}

/** How long one `syncStep` attempt moves pages before it hands back to the workflow (progress, continue-as-new). */
export const STEP_SLICE_MS = 20_000;

export interface StepInput {
  tenantId: string;
  runId: string;
  step: StepName;
  /** The run's first step also opens the run (one activity fewer). */
  beginRun?: RunStart;
  /** The run's last step also closes it as succeeded. */
  endRun?: boolean;
  /** Where a run continued as new from per-page activities stood; `sync_step_runs.resume_at` wins when present. */
  resume?: { part: number; cursor: unknown };
}

export interface StepResult {
  /** The step finished (and is recorded as succeeded); else the workflow asks for the rest. */
  done: boolean;
  pages: number;
  pulled: PageCounts;
  pushed: PageCounts;
  /** The part the attempt was on when it handed back. */
  current?: { entity: EntityName; direction: Direction };
  /**
   * Where the step stood when the attempt handed back (its stored resume point; null before its first page): after
   * the step's attempts run out, the workflow compares it with `stepStanding` to tell whether they moved it on.
   */
  standing?: string | null;
}

/** The part and cursor a step attempt starts at: after the last committed page, else where the workflow says. */
export function resumePoint(
  parts: StepPart[],
  saved: StepResume | undefined,
  fallback: StepInput['resume'],
): { part: number; cursor: unknown } {
  if (!saved) return fallback ?? { part: 0, cursor: null };
  const part = parts.findIndex((p) => p.entity === saved.entity && p.direction === saved.direction);
  if (part < 0) return { part: 0, cursor: null };
  return saved.done ? { part: part + 1, cursor: null } : { part, cursor: saved.cursor };
}

/** A backend's throttling answer says how long to wait (QuickBooks: 60 s, or Retry-After). */
interface Throttled extends Error {
  retryAfterMs: number;
  details(): unknown;
}
const isThrottled = (e: unknown): e is Throttled =>
  e instanceof Error && typeof (e as Partial<Throttled>).retryAfterMs === 'number' && (e as Throttled).retryAfterMs > 0;

/** The error as Temporal should see it: a record the user must fix is final; anything else is left to the retry policy. */
export function toFailure(error: unknown): unknown {
  // Temporal waits what the backend asked for, not its own backoff.
  if (isThrottled(error)) {
    const { name: type, message, retryAfterMs: nextRetryDelay } = error;
    return ApplicationFailure.create({
      type,
      message,
      nonRetryable: false,
      nextRetryDelay,
      details: [error.details()],
    });
  }
  if (error instanceof RecordRejectedError) {
    return ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nonRetryable: true,
      details: [error.problem],
    });
  }
  if (error instanceof UnknownTenantError || error instanceof SettingsError)
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
  return error;
}

/** The wait before a failed step attempt's retry: 2 s, doubling with each attempt that failed in a row, up to 2 minutes. */
export function stepRetryDelayMs(attempt: number): number {
  return Math.min(2_000 * 2 ** (attempt - 1), 120_000);
}

/**
 * A step attempt's failure with its own back-off (`nextRetryDelay`): the step's retry policy waits only a second, for
 * attempts whose worker died (heartbeat timeout) — a crash is no fault of QuickBooks or PostgreSQL to back off from,
 * and a killed attempt waited the growing back-off of every kill before it. Failures that say their own delay (a 429),
 * that are final, or that are Temporal's own (a cancellation) are left as they are.
 */
export function withStepBackoff(failure: unknown, attempt: number): unknown {
  const nextRetryDelay = stepRetryDelayMs(attempt);
  if (failure instanceof ApplicationFailure) {
    if (failure.nonRetryable || failure.nextRetryDelay != null) return failure;
    const { message, type, details, cause } = failure;
    const delayed = new ApplicationFailure(message, type, false, details, cause, nextRetryDelay, failure.category);
    delayed.stack = failure.stack;
    return delayed;
  }
  if (!(failure instanceof Error) || failure instanceof TemporalFailure) return failure;
  const delayed = ApplicationFailure.create({ type: failure.name, message: failure.message, nextRetryDelay });
  delayed.stack = failure.stack;
  return delayed;
}

export function createSyncActivities({ db, clock, logger, backendFor, stepSliceMs = STEP_SLICE_MS }: SyncDeps) {
  /** The tenant's settings and backend for a page; a step attempt reads them once for all its pages. */
  async function connect(tenantId: string, runId: string) {
    const settings = await readSyncSettings(db, tenantId, runId);
    const appEntities = mappingsFor(settings.mode);
    const links = new LinkStore(tenantId, settings.backend);
    const { backend, mode } = settings;
    const remote = await backendFor({ tenantId, runId, backend, mode, links, appEntities });
    // What a step attempt's pages start for the next one (a pull's read, a push's send) waits here.
    const readAhead = new Ahead<ChangePage>();
    const sendAhead = new Ahead<SentPage>();
    return { settings, appEntities, links, remote, readAhead, sendAhead };
  }

  /** One page of one part of a step; a backend that is waiting (the Web Connector) moves nothing and says so. */
  async function page(
    input: PageInput,
    connection?: ReturnType<typeof connect>,
  ): Promise<PageResult & { waiting?: true }> {
    try {
      const { tenantId, runId, step, entity } = input;
      // A page of its own (an old history's page activity) reads no page ahead: nothing would take it.
      const { settings, appEntities, links, remote, readAhead, sendAhead } = connection
        ? await connection
        : { ...(await connect(tenantId, runId)), readAhead: undefined, sendAhead: undefined };
      const mapping = appEntities[entity];
      if (!mapping) throw new Error(`tenant ${tenantId}: ${entity} is not synced in ${settings.mode} mode`);
      // An entity only some backends hold (price levels: QuickBooks Desktop) is nothing to move elsewhere.
      if (OPTIONAL_ENTITIES.has(entity) && !remote.capabilities.changeCapture[entity])
        return { counts: emptyCounts(), nextCursor: null, done: true };
      const ctx: EngineContext = {
        ...{ db, clock, tenantId, runId, step, remote, links, readAhead, sendAhead },
        app: new AppSide(db, tenantId, appEntities),
        policy: settings.conflictPolicy,
        onRecordError: settings.onRecordError,
        deferRuns: settings.deferRuns,
        onVanished: settings.onVanished,
        countPage: (trx, direction, counts, next) =>
          addPageCounts(trx, runId, step, direction, counts, next && { entity, direction, ...next }),
      };
      const outcome =
        input.direction === 'pull'
          ? await pullPage(ctx, mapping)
          : await pushPage(
              ctx,
              mapping,
              input.cursor,
              entity === 'sale' ? handoffPlanner(settings.orderTaking) : undefined,
            );
      logger.debug({ tenantId, runId, entity, direction: input.direction, counts: outcome.counts }, 'sync page done');
      return outcome;
    } catch (error) {
      // Nothing moved: the same page (pull cursors live in PostgreSQL, push plans are saved) is asked for again.
      if (error instanceof BackendWaitingError)
        return { counts: emptyCounts(), nextCursor: input.cursor ?? null, done: false, waiting: true };
      throw toFailure(error);
    }
  }

  /** A step's resume point as stored, in one comparable string (null before its first committed page). */
  async function standing(runId: string, step: StepName): Promise<string | null> {
    const resume = await stepResume(db, runId, step);
    return resume ? stableJson(resume) : null;
  }

  async function beginSyncRun(start: RunStart): Promise<void> {
    const settings = await readSyncSettings(db, start.tenantId).catch((e) => {
      throw toFailure(e);
    });
    await beginRun(db, start, clock.now(), settings.mode);
  }

  async function settleStepBalances(tenantId: string): Promise<{ invoices: number; customers: number }> {
    // Order-taking moves no payments; balances are QuickBooks' business there.
    if ((await readSyncSettings(db, tenantId)).mode === 'order-taking') return { invoices: 0, customers: 0 };
    return settleBalances(db, tenantId);
  }

  return {
    beginSyncRun,

    /** Marks the step running and says which entities and directions it moves (the run's mode decides). */
    async beginSyncStep(input: { runId: string; step: StepName }): Promise<StepPart[]> {
      await startStep(db, input.runId, input.step, clock.now());
      return stepParts(await runMode(db, input.runId), input.step);
    },

    /** One page: at most 1000 records pulled, or one QuickBooks batch pushed (runs recorded before `syncStep`). */
    async syncPage(input: PageInput): Promise<PageResult> {
      return withHeartbeat(() => page(input));
    },

    /**
     * A step's pages inside one activity: begins the step, moves each part (entity and direction) page after page,
     * and ends the step — one activity where a no-op step used to be four or more. It hands back to the workflow
     * after `STEP_SLICE_MS` (progress, continue-as-new) or when the backend is waiting (the Web Connector), and a
     * retried attempt goes on from the last committed page (`sync_step_runs.resume_at`), never from the start.
     */
    async syncStep(input: StepInput): Promise<StepResult> {
      return withHeartbeat(async () => {
        const { tenantId, runId, step } = input;
        if (input.beginRun) await beginSyncRun(input.beginRun);
        // A retried attempt (its worker died, a transient fault) hands back after its first committed page, so the
        // workflow's next activity starts Temporal's attempt count and back-off over once the step moves again:
        // attempts and back-off then count failures in a row, not every failure of a long step.
        const slice = clock.now().getTime() + (currentAttempt() > 1 ? 0 : stepSliceMs);
        const result: StepResult = { done: false, pages: 0, pulled: emptyCounts(), pushed: emptyCounts() };
        await startStep(db, runId, step, clock.now());
        const parts = stepParts(await runMode(db, runId), step);
        let { part, cursor } = resumePoint(parts, await stepResume(db, runId, step), input.resume);
        // Settings and backend once per attempt, not per page (an attempt lasts a slice: seconds, not hours).
        let connection: ReturnType<typeof connect> | undefined;
        for (; part < parts.length; part++, cursor = null) {
          const { entity, direction } = parts[part];
          result.current = { entity, direction };
          for (;;) {
            const outcome = await page(
              { tenantId, runId, step, entity, direction, cursor },
              (connection ??= connect(tenantId, runId)),
            );
            result.pages++;
            if (direction === 'pull') result.pulled = addCounts(result.pulled, outcome.counts);
            else result.pushed = addCounts(result.pushed, outcome.counts);
            if (outcome.waiting) return { ...result, standing: await standing(runId, step) };
            cursor = outcome.nextCursor;
            if (outcome.done) break;
            if (clock.now().getTime() >= slice) {
              // A push page sent ahead is settled before handing back (else the next attempt sends it again); the
              // page that settles it starts nothing more.
              const { readAhead, sendAhead } = await connection;
              if (sendAhead.held === undefined) return { ...result, standing: await standing(runId, step) };
              readAhead.close();
              sendAhead.close();
            }
          }
        }
        if (step === 'payments') await settleStepBalances(tenantId);
        await finishStep(db, runId, step, 'succeeded', clock.now());
        if (input.endRun) await finishRun(db, runId, 'succeeded', clock.now());
        return { ...result, done: true };
      }).catch((error: unknown) => {
        throw withStepBackoff(toFailure(error), currentAttempt());
      });
    },

    /** Where a step stands now (StepResult.standing): asked by the workflow once the step's attempts ran out. */
    async stepStanding(input: { runId: string; step: StepName }): Promise<string | null> {
      return standing(input.runId, input.step);
    },

    /** Closes the payments step: invoice and customer balances follow the payments applied (billing mode only). */
    async settleBalances(input: { tenantId: string }): Promise<{ invoices: number; customers: number }> {
      return withHeartbeat(() => settleStepBalances(input.tenantId));
    },

    async endSyncStep(input: {
      runId: string;
      step: StepName;
      status: 'succeeded' | 'failed';
      error?: StepError;
    }): Promise<void> {
      await finishStep(db, input.runId, input.step, input.status, clock.now(), input.error);
    },

    async endSyncRun(input: {
      runId: string;
      status: 'succeeded' | 'failed' | 'cancelled';
      error?: StepError;
    }): Promise<void> {
      await finishRun(db, input.runId, input.status, clock.now(), input.error);
    },
  };
}
