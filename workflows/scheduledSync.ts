import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/activities';

const requests = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['TemporalClientMissing'],
  },
});

/**
 * What a tenant's schedule starts: it only asks the tenant's coordinator for a sync (starting the coordinator if
 * needed), so a scheduled fire during a manual run becomes that run's follow-up instead of a second, overlapping run.
 */
export async function scheduledSync(input: { tenantId: string }): Promise<void> {
  // One id per fire: a signal repeated by an activity retry counts once.
  await requests.requestSync({ tenantId: input.tenantId, trigger: 'schedule', requestId: workflowInfo().runId });
}
