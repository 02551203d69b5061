import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TENANT } from '../../workers/searchAttributes';
import {
  statusQuery,
  synchronizeAll,
  type CoordinatorStatus,
  type FinishedSync,
  type RunningSync,
} from '../../common/messages';
import { coordinatorId, WORKFLOW_TYPES } from '../../common/ids';

/** A Temporal client and the task queue qbsync's workers poll: what starting and signalling workflows needs. */
export interface TemporalAccess {
  client: Client;
  taskQueue: string;
}

export interface SyncRequestInput {
  tenantId: string;
  trigger: string;
  requestId?: string;
}

/**
 * "Synchronize All" for a tenant: signals its coordinator, starting it first when it is not running. The coordinator
 * decides whether this starts a run now or joins the follow-up of the running one.
 */
export async function requestSync(
  temporal: TemporalAccess,
  input: SyncRequestInput,
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = coordinatorId(input.tenantId);
  const handle = await temporal.client.workflow.signalWithStart(WORKFLOW_TYPES.tenantCoordinator, {
    workflowId,
    taskQueue: temporal.taskQueue,
    args: [{ tenantId: input.tenantId }],
    signal: synchronizeAll,
    signalArgs: [{ trigger: input.trigger, ...(input.requestId ? { requestId: input.requestId } : {}) }],
    typedSearchAttributes: [{ key: TENANT, value: input.tenantId }],
    staticSummary: `coordinator of tenant ${input.tenantId}: runs its syncs one at a time`,
  });
  return { workflowId, runId: handle.signaledRunId };
}

/** Where the coordinator has a request: not seen yet, queued (behind the running run), running, or done. */
export type Seen =
  | { phase: 'unseen' }
  | { phase: 'queued'; behind?: RunningSync }
  | { phase: 'running'; run: RunningSync }
  | { phase: 'done'; run: FinishedSync };

/** Finds the run that serves `requestId` in the coordinator's status. */
export function locateRequest(status: CoordinatorStatus | undefined, requestId: string): Seen {
  if (!status) return { phase: 'unseen' };
  const done = status.recentRuns.find((r) => r.requestIds.includes(requestId));
  if (done) return { phase: 'done', run: done };
  if (status.current?.requestIds.includes(requestId)) return { phase: 'running', run: status.current };
  if (status.pending?.requestIds.includes(requestId)) return { phase: 'queued', behind: status.current ?? undefined };
  return { phase: 'unseen' };
}

/** No worker answered a query within its deadline: qbsync's worker is not running on the task queue. */
export class NoWorkerError extends Error {
  override name = 'NoWorkerError';
}

/** The coordinator's status, or undefined when the tenant has no coordinator yet; NoWorkerError past the deadline. */
export async function queryCoordinator(
  temporal: TemporalAccess,
  tenantId: string,
  deadlineMs: number,
): Promise<CoordinatorStatus | undefined> {
  const handle = temporal.client.workflow.getHandle(coordinatorId(tenantId));
  try {
    return await temporal.client.withDeadline(Date.now() + deadlineMs, () => handle.query(statusQuery));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    const e = error as { code?: number; cause?: { code?: number } };
    const code = e.code ?? e.cause?.code;
    // DEADLINE_EXCEEDED: the query waited for a worker that never came.
    if (code === 4)
      throw new NoWorkerError(
        `no worker answered the status query of ${coordinatorId(tenantId)} within ${deadlineMs / 1000} s: is \`qbsync worker\` (or \`npm start\`) running on task queue "${temporal.taskQueue}"?`,
      );
    throw error;
  }
}
