import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/activities';
import type { DatabaseProbe } from '../activities/health';

const { probeDatabase } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/** A round trip client → Temporal → worker → PostgreSQL; `qbsync dev` runs it before saying "ready". */
export async function checkWorker(workerIdentity: string): Promise<DatabaseProbe> {
  return probeDatabase(workerIdentity);
}
