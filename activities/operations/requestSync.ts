import type { Client } from '@temporalio/client';
import { TENANT } from '../../workers/searchAttributes';
import { synchronizeAll } from '../../common/messages';
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
