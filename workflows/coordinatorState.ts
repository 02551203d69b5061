import type {
  CoordinatorStatus,
  FinishedSync,
  PendingRequests,
  RunningSync,
  SyncFailure,
  SyncProgress,
} from '../common/messages';

/** What survives continue-as-new: the coordinator is never running a child then, so only requests and results. */
export interface CarriedState {
  lastNumber: number;
  runsCompleted: number;
  pending: PendingRequests | null;
  recentRuns: FinishedSync[];
  deliveryDue: boolean;
}

const RECENT_RUNS = 5;
const MAX_REQUEST_IDS = 50;
const MAX_TRIGGERS = 10;

function clip(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, max) : undefined;
}

/** Accepts what a person may send from Temporal Web or the Temporal CLI: nothing, null, a bare string, or an object. */
export function normalizeRequest(raw: unknown): { trigger: string; requestId?: string } {
  if (typeof raw === 'string') return { trigger: clip(raw, 40) ?? 'signal' };
  const request = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return { trigger: clip(request.trigger, 40) ?? 'signal', requestId: clip(request.requestId, 64) };
}

function withLimit<T>(list: T[], item: T, max: number): T[] {
  return list.length >= max || list.includes(item) ? list : [...list, item];
}

/**
 * The coordinator's book-keeping, free of Temporal calls: requests fold into at most one pending run, a run's progress
 * comes from its child's signals, finished runs are kept (the last few) for `status`.
 */
export class CoordinatorBook {
  lastNumber: number;
  runsCompleted: number;
  pending: PendingRequests | null;
  recentRuns: FinishedSync[];
  deliveryDue: boolean;
  current: RunningSync | null = null;
  deliveringInvoices = false;
  /** When the tenant's QuickBooks Desktop Web Connector last logged in (webConnectorArrived), for Temporal Web. */
  webConnectorAt: string | null = null;

  constructor(
    readonly tenantId: string,
    carried?: CarriedState,
  ) {
    this.lastNumber = carried?.lastNumber ?? 0;
    this.runsCompleted = carried?.runsCompleted ?? 0;
    this.pending = carried?.pending ?? null;
    this.recentRuns = carried?.recentRuns ?? [];
    this.deliveryDue = carried?.deliveryDue ?? false;
  }

  /** Folds a request into the pending run; false when its request id was already seen (a retried signal). */
  request(raw: unknown, now: Date): boolean {
    const { trigger, requestId } = normalizeRequest(raw);
    if (requestId && this.seen(requestId)) return false;
    const pending = this.pending ?? { triggers: [], requests: 0, requestIds: [], firstAt: now.toISOString() };
    this.pending = {
      triggers: withLimit(pending.triggers, trigger, MAX_TRIGGERS),
      requests: pending.requests + 1,
      requestIds: requestId ? withLimit(pending.requestIds, requestId, MAX_REQUEST_IDS) : pending.requestIds,
      firstAt: pending.firstAt,
    };
    return true;
  }

  private seen(requestId: string): boolean {
    return !!(
      this.pending?.requestIds.includes(requestId) ||
      this.current?.requestIds.includes(requestId) ||
      this.recentRuns.some((r) => r.requestIds.includes(requestId))
    );
  }

  /** Turns the pending requests into the run about to start. */
  begin(workflowId: string, number: number, now: Date): RunningSync {
    const pending = this.pending!;
    this.pending = null;
    this.lastNumber = number;
    this.current = {
      number,
      workflowId,
      trigger: pending.triggers[0] ?? 'signal',
      triggers: pending.triggers,
      requests: pending.requests,
      requestIds: pending.requestIds,
      startedAt: now.toISOString(),
      steps: [],
    };
    return this.current;
  }

  childStarted(syncRunId: string): void {
    if (this.current) this.current.syncRunId = syncRunId;
  }

  /** Progress from the running child; anything else (a late signal from an earlier run) is ignored. */
  progress(progress: SyncProgress): void {
    const current = this.current;
    if (!current || progress?.tenantId !== this.tenantId) return;
    if (current.syncRunId && progress.runId !== current.syncRunId) return;
    current.syncRunId ??= progress.runId;
    // A step's first report is sent before its first page and still names the previous step's last entity.
    const firstOfStep = progress.currentStep !== current.step;
    current.step = progress.currentStep;
    current.current = firstOfStep ? undefined : progress.current;
    current.steps = progress.steps;
  }

  finish(outcome: 'succeeded' | 'failed', now: Date, result?: SyncProgress, failure?: SyncFailure): FinishedSync {
    const current = this.current!;
    if (result) this.progress(result);
    const { step: _step, current: _part, ...run } = current;
    const finished: FinishedSync = { ...run, outcome, endedAt: now.toISOString(), ...(failure ? { failure } : {}) };
    this.current = null;
    this.runsCompleted++;
    this.recentRuns = [finished, ...this.recentRuns].slice(0, RECENT_RUNS);
    this.deliveryDue = true;
    return finished;
  }

  status(): CoordinatorStatus {
    return {
      tenantId: this.tenantId,
      state: this.current ? 'running' : 'idle',
      current: this.current,
      pendingFollowUp: this.pending !== null,
      pending: this.pending,
      lastRun: this.recentRuns[0] ?? null,
      recentRuns: this.recentRuns,
      runsCompleted: this.runsCompleted,
      deliveringInvoices: this.deliveringInvoices,
      ...(this.webConnectorAt ? { webConnectorAt: this.webConnectorAt } : {}),
    };
  }

  carry(): CarriedState {
    return {
      lastNumber: this.lastNumber,
      runsCompleted: this.runsCompleted,
      pending: this.pending,
      recentRuns: this.recentRuns,
      deliveryDue: this.deliveryDue,
    };
  }
}
