import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/activities';
import { OUTCOME, TENANT, TRIGGER } from '../workers/searchAttributes';
import { CoordinatorBook, type CarriedState } from './coordinatorState';
import { syncRunWorkflowId } from '../common/ids';
import { syncTenant } from './syncTenant';
import {
  statusQuery,
  synchronizeAll,
  syncProgressSignal,
  webConnectorArrived,
  type SyncFailure,
  type SyncProgress,
  type SyncRequest,
} from '../common/messages';

export type { CarriedState } from './coordinatorState';
export type { CoordinatorStatus, FinishedSync, RunningSync, SyncRequest } from '../common/messages';
// Signals and queries beside their workflow, for clients (defined in common/messages, shared with activities).
export { statusQuery, synchronizeAll } from '../common/messages';

export interface CoordinatorInput {
  tenantId: string;
  carried?: CarriedState;
  /** Continue as new past this many history events even before the server suggests it (tests force it low). */
  continueAsNewAfter?: number;
}

// Bookkeeping of the coordinator itself: short, retried patiently (the database may be restarting).
const operations = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

// Telling people about a run is a courtesy: a few attempts, then it is logged and the coordinator goes on.
const notices = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

// One page of invoice emails per call, heartbeating; a page that keeps failing stops delivery until the next run.
const deliveries = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
});

/**
 * One per tenant (workflow id `qbsync:<tenant>`), forever: receives every "Synchronize All" request — from
 * `qbsync sync`, the tenant's schedule, Temporal Web or `temporal workflow signal` — and runs them one at a time as
 * child workflows `syncTenant`. Requests arriving during a run fold into exactly one follow-up run. A failed run is
 * recorded and reported, never fatal to the coordinator. After each run it notifies and emails the invoices that
 * arrived from QuickBooks; between runs, when its history grows long, it continues as new with its state.
 */
export async function tenantCoordinator(input: CoordinatorInput): Promise<void> {
  const { tenantId } = input;
  const book = new CoordinatorBook(tenantId, input.carried);
  let worked = false;

  setHandler(
    synchronizeAll,
    (request?: SyncRequest) => {
      if (book.request(request, new Date())) describe(book);
    },
    {
      description:
        'Synchronize All: run a sync now, or once more after the running one. Optional argument {"trigger": "..."}.',
    },
  );
  setHandler(
    syncProgressSignal,
    (progress: SyncProgress) => {
      book.progress(progress);
      describe(book);
    },
    { description: 'Progress of the running sync (sent by its syncTenant child).' },
  );
  setHandler(
    webConnectorArrived,
    (arrival) => {
      // The run's Desktop exchanges are woken by the database when the Web Connector takes them; the coordinator
      // records the arrival so Temporal Web shows when the company's Web Connector last connected.
      book.webConnectorAt = arrival.at;
      describe(book);
    },
    { description: 'The QuickBooks Desktop / Reckon Web Connector of this tenant logged in (sent by the endpoint).' },
  );
  setHandler(statusQuery, () => book.status(), {
    description: 'idle or running, current step and progress, pending requests, last runs',
  });

  if (!input.carried) {
    upsertSearchAttributes([{ key: TENANT, value: tenantId }]);
    book.lastNumber = await operations.lastSyncNumber({ tenantId });
  }
  describe(book);

  const shouldContinueAsNew = () => {
    if (!worked) return false;
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      (input.continueAsNewAfter !== undefined && info.historyLength >= input.continueAsNewAfter)
    );
  };

  for (;;) {
    await condition(() => book.deliveryDue || book.pending !== null || shouldContinueAsNew());
    if (shouldContinueAsNew()) {
      // Signal handlers are synchronous, but waiting for them is what keeps a request from being lost on the way.
      await condition(allHandlersFinished);
      await continueAsNew<typeof tenantCoordinator>({
        tenantId,
        carried: book.carry(),
        continueAsNewAfter: input.continueAsNewAfter,
      });
    }
    worked = true;
    if (book.deliveryDue) await deliverInvoicePage(book);
    else await runSync(book);
    describe(book);
  }
}

/** Temporal Web shows this line on the coordinator's page. */
function describe(book: CoordinatorBook): void {
  const c = book.current;
  const pending = book.pending
    ? `; ${book.pending.requests} request(s) waiting (${book.pending.triggers.join(', ')})`
    : '';
  const last = book.recentRuns[0];
  const state = c
    ? `running ${c.workflowId}${c.step ? `, step ${c.step}` : ''}`
    : book.deliveringInvoices
      ? 'emailing invoices'
      : 'idle';
  setCurrentDetails(
    `${state}${pending}${last ? `; last run ${last.workflowId} ${last.outcome}` : ''}; ${book.runsCompleted} run(s) completed${book.webConnectorAt ? `; Web Connector last connected ${book.webConnectorAt}` : ''}`,
  );
}

async function runSync(book: CoordinatorBook): Promise<void> {
  const { tenantId } = book;
  const number = book.lastNumber + 1;
  const workflowId = syncRunWorkflowId(tenantId, number);
  const run = book.begin(workflowId, number, new Date());
  describe(book);
  let outcome: 'succeeded' | 'failed' = 'failed';
  let result: SyncProgress | undefined;
  let failure: SyncFailure | undefined;
  try {
    const child = await startChild(syncTenant, {
      workflowId,
      args: [{ tenantId, trigger: run.trigger }],
      typedSearchAttributes: [
        { key: TENANT, value: tenantId },
        { key: TRIGGER, value: run.trigger },
        { key: OUTCOME, value: 'running' },
      ],
      staticSummary: `sync ${number} of tenant ${tenantId} (${run.triggers.join(', ')})`,
    });
    book.childStarted(child.firstExecutionRunId);
    result = await child.result();
    outcome = 'succeeded';
  } catch (error) {
    // Cancelling the coordinator itself (an operator's decision) ends it; anything the child did is just a result.
    if (isCancellation(error) && !(error instanceof ChildWorkflowFailure)) throw error;
    failure = failureOf(error, book.current?.step);
    log.warn('sync run failed', { tenantId, run: workflowId, step: failure.step, message: failure.message });
  }
  const finished = book.finish(outcome, new Date(), result, failure);
  try {
    await notices.notifySyncOutcome({
      tenantId,
      syncRunId: finished.syncRunId ?? null,
      workflowId,
      trigger: finished.trigger,
      outcome,
    });
  } catch (error) {
    log.warn('could not notify about a sync run; the run itself is unaffected', {
      tenantId,
      run: workflowId,
      error: (error as Error).message,
    });
  }
}

async function deliverInvoicePage(book: CoordinatorBook): Promise<void> {
  book.deliveringInvoices = true;
  try {
    const page = await deliveries.deliverInvoices({ tenantId: book.tenantId });
    // A page that moved nothing would move nothing next time either: leave the rest to the next run.
    book.deliveryDue = page.remaining > 0 && page.sent + page.failed > 0;
  } catch (error) {
    book.deliveryDue = false;
    log.warn('emailing invoices failed; the next run tries again', {
      tenantId: book.tenantId,
      error: (error as Error).message,
    });
  } finally {
    book.deliveringInvoices = false;
  }
}

/** The failing step, record and QuickBooks reason, out of whatever the child ended with. */
function failureOf(error: unknown, step: string | undefined): SyncFailure {
  let cause: unknown = error;
  while ((cause instanceof ChildWorkflowFailure || cause instanceof ActivityFailure) && cause.cause)
    cause = cause.cause;
  if (cause instanceof ApplicationFailure && cause.type === 'SyncStepFailed') {
    const details = (cause.details?.[0] ?? {}) as SyncFailure;
    return { ...details, step: details.step ?? step, message: details.message ?? cause.message };
  }
  if (cause instanceof TerminatedFailure)
    return {
      step,
      message: 'the sync run was terminated (Temporal Web or `temporal workflow terminate`)',
      type: 'Terminated',
    };
  if (cause instanceof TimeoutFailure) return { step, message: 'the sync run timed out', type: 'Timeout' };
  const message = (cause as Error)?.message ?? String(cause);
  return {
    step,
    message,
    type: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : (cause as Error)?.name,
    action: 'see the run in Temporal Web; run `qbsync sync` again once the cause is fixed',
  };
}
