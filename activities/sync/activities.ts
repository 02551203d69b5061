import { ApplicationFailure } from '@temporalio/common';
import { QboTransientError } from '../quickbooks/errors';
import type { StepError } from '../../schema/tables/sync';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import { AppSide } from './appSide';
import { withHeartbeat } from '../heartbeat';
import { settleBalances } from './balances';
import { pullPage, pushPage, type EngineContext } from './engine';
import { RecordRejectedError } from './errors';
import { LinkStore } from './links';
import type { EntityMapping } from './mapping';
import { type Direction, type EntityName, type PageCounts, type StepName } from './model';
import { mappingsFor, stepParts, type StepPart } from './modes';
import { handoffPage } from './orderTaking/handoff';
import type { QboApi } from './qboApi';
import { QboSide } from './qboSide';
import { RunMemo } from './runMemo';
import { addPageCounts, beginRun, finishRun, finishStep, runMode, startStep, type RunStart } from './runs';
import { readSyncSettings, UnknownTenantError, type SyncSettings } from './settings';
import type { Db } from './side';

export interface SyncDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The QuickBooks API of a tenant's connected company (tokens stay inside it). */
  quickbooksFor(tenantId: string): Promise<QboApi>;
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

/** The error as Temporal should see it: a record the user must fix is final; anything else is left to the retry policy. */
export function toFailure(error: unknown): unknown {
  // QuickBooks' throttling says how long to wait (60 s, or Retry-After): Temporal waits that long, not its backoff.
  if (error instanceof QboTransientError && error.retryAfterMs) {
    return ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nonRetryable: false,
      nextRetryDelay: error.retryAfterMs,
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
  if (error instanceof UnknownTenantError)
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
  return error;
}

/** One page of one part of a step: a pull or push through the engine, or (order-taking) a page of the sales handoff. */
async function runPage(
  ctx: EngineContext,
  input: PageInput,
  settings: SyncSettings,
  mappings: Record<string, EntityMapping<unknown>>,
  api: QboApi,
): Promise<PageResult> {
  if (input.entity === 'sale') {
    if (settings.mode !== 'order-taking')
      throw new Error(`tenant ${input.tenantId}: sales are handed over in order-taking mode only`);
    return handoffPage(ctx, api, settings.orderTaking, input.cursor);
  }
  const mapping = mappings[input.entity];
  if (!mapping) throw new Error(`tenant ${input.tenantId}: ${input.entity} is not synced in ${settings.mode} mode`);
  return input.direction === 'pull' ? pullPage(ctx, mapping) : pushPage(ctx, mapping, input.cursor);
}

export function createSyncActivities({ db, clock, logger, quickbooksFor }: SyncDeps) {
  const numberingByRun = new RunMemo<boolean>();
  return {
    async beginSyncRun(start: RunStart): Promise<void> {
      const settings = await readSyncSettings(db, start.tenantId).catch((e) => {
        throw toFailure(e);
      });
      await beginRun(db, start, clock.now(), settings.mode);
    },

    /** Marks the step running and says which entities and directions it moves (the run's mode decides). */
    async beginSyncStep(input: { runId: string; step: StepName }): Promise<StepPart[]> {
      await startStep(db, input.runId, input.step, clock.now());
      return stepParts(await runMode(db, input.runId), input.step);
    },

    /** One page: at most 1000 records pulled, or one QuickBooks batch pushed. */
    async syncPage(input: PageInput): Promise<PageResult> {
      return withHeartbeat(async () => {
        try {
          const settings = await readSyncSettings(db, input.tenantId, input.runId);
          const mappings = mappingsFor(settings.mode);
          const links = new LinkStore(input.tenantId);
          const api = await quickbooksFor(input.tenantId);
          const ctx: EngineContext = {
            db,
            clock,
            tenantId: input.tenantId,
            runId: input.runId,
            step: input.step,
            app: new AppSide(db, input.tenantId, mappings),
            qbo: new QboSide(api, db, links, mappings, clock, () =>
              numberingByRun.get(input.runId, () => api.customTxnNumbers()),
            ),
            links,
            policy: settings.conflictPolicy,
            onRecordError: settings.onRecordError,
            countPage: (trx, direction, counts) => addPageCounts(trx, input.runId, input.step, direction, counts),
          };
          const outcome = await runPage(ctx, input, settings, mappings, api);
          logger.debug(
            {
              tenantId: input.tenantId,
              runId: input.runId,
              entity: input.entity,
              direction: input.direction,
              counts: outcome.counts,
            },
            'sync page done',
          );
          return outcome;
        } catch (error) {
          throw toFailure(error);
        }
      });
    },

    /** Closes the payments step: invoice and customer balances follow the payments applied (billing mode only). */
    async settleBalances(input: { tenantId: string }): Promise<{ invoices: number; customers: number }> {
      // Order-taking moves no payments; balances are QuickBooks' business there.
      if ((await readSyncSettings(db, input.tenantId)).mode === 'order-taking') return { invoices: 0, customers: 0 };
      return withHeartbeat(() => settleBalances(db, input.tenantId));
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
