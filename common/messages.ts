import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StepError } from '../schema/tables/sync';
import type { PageCounts, StepName } from './steps';

/**
 * The messages between qbsync's workflows and whoever talks to them (CLI, activities, Temporal Web): signal and query
 * definitions with their payloads. Kept here, beside neither workflows/ nor activities/, so that neither imports the
 * other's code; each workflow re-exports its own for clients.
 */

/** What a `synchronizeAll` signal may carry; every field is optional, and so is the argument itself. */
export interface SyncRequest {
  /** Who asked: `manual` (qbsync sync), `schedule`, `signal` (the default: Temporal Web, `temporal workflow signal`). */
  trigger?: string;
  /** Lets the asker find the run that served it in `status` (qbsync sync --wait); repeats of one id count once. */
  requestId?: string;
}

export interface RunRef {
  /** The tenant's run counter; the child's workflow id ends with it. */
  number: number;
  workflowId: string;
  /** The child's first run id, which is also its `sync_runs` id (`qbsync history`). */
  syncRunId?: string;
  /** The trigger the run was started with: the first of the requests it serves. */
  trigger: string;
  /** Every distinct trigger folded into this run. */
  triggers: string[];
  requests: number;
  requestIds: string[];
  startedAt: string;
}

export interface RunningSync extends RunRef {
  step?: StepName;
  current?: { entity: string; direction: string };
  steps: StepProgress[];
}

export interface SyncFailure extends StepError {
  step?: string;
}

export interface FinishedSync extends RunRef {
  outcome: 'succeeded' | 'failed';
  endedAt: string;
  steps: StepProgress[];
  failure?: SyncFailure;
}

export interface PendingRequests {
  triggers: string[];
  requests: number;
  requestIds: string[];
  firstAt: string;
}

export interface CoordinatorStatus {
  tenantId: string;
  state: 'idle' | 'running';
  current: RunningSync | null;
  /** True when requests arrived during the current run: they are served together by exactly one more run. */
  pendingFollowUp: boolean;
  pending: PendingRequests | null;
  lastRun: FinishedSync | null;
  /** Newest first. */
  recentRuns: FinishedSync[];
  runsCompleted: number;
  /** Invoices that arrived from QuickBooks are being emailed (after a run, before the next). */
  deliveringInvoices: boolean;
  /** QuickBooks Desktop / Reckon: when the tenant's Web Connector last logged in (webConnectorArrived). */
  webConnectorAt?: string;
}

export interface StepProgress {
  step: StepName;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  pages: number;
  pulled: PageCounts;
  pushed: PageCounts;
}

export interface SyncProgress {
  runId: string;
  tenantId: string;
  status: 'running' | 'succeeded' | 'failed';
  currentStep?: StepName;
  current?: { entity: string; direction: string };
  steps: StepProgress[];
  error?: StepError;
}

/** "Synchronize All": starts a run now, or folds into the one follow-up run when a run is going on. */
export const synchronizeAll = defineSignal<[SyncRequest?]>('synchronizeAll');
/** The coordinator's state: running step and progress, last runs, pending follow-up. */
export const statusQuery = defineQuery<CoordinatorStatus>('status');
/** A run's own progress. */
export const progressQuery = defineQuery<SyncProgress>('progress');
/** Sent to the tenant's coordinator (the parent), so its `status` query can show the running step and progress. */
export const syncProgressSignal = defineSignal<[SyncProgress]>('syncProgress');

/** Sent by the Web Connector endpoint when a Desktop company's Web Connector has logged in: ids only. */
export interface WebConnectorArrival {
  tenantId: string;
  /** When the endpoint accepted the login (ISO 8601). */
  at: string;
}
/** The company's Web Connector is connected: a run waiting for it proceeds (its exchanges are served now). */
export const webConnectorArrived = defineSignal<[WebConnectorArrival]>('webConnectorArrived');
