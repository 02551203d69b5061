import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../activities';
import { requestSync, type SyncRequestInput } from './requestSync';
import { lastSyncNumber } from './syncNumbers';

/** What the coordinator and the scheduled trigger need besides syncing itself. */
export function createOperationsActivities(deps: ActivityDeps) {
  return {
    async requestSync(input: SyncRequestInput): Promise<{ workflowId: string }> {
      if (!deps.temporal) {
        throw ApplicationFailure.create({
          type: 'TemporalClientMissing',
          nonRetryable: true,
          message: `cannot ask tenant ${input.tenantId}'s coordinator for a sync: this worker has no Temporal client (a bug in how the worker was started)`,
        });
      }
      const { workflowId } = await requestSync(deps.temporal, input);
      deps.logger.info({ tenantId: input.tenantId, trigger: input.trigger, workflowId }, 'sync requested');
      return { workflowId };
    },

    async lastSyncNumber(input: { tenantId: string }): Promise<number> {
      return lastSyncNumber(deps.db, input.tenantId);
    },
  };
}
