import { NoWorkerError, queryCoordinator, type TemporalAccess } from '../activities/operations/requestSync';
import type { Config } from '../workers/config';
import type { CoordinatorStatus } from '../workflows/coordinator';
import { connectTemporalClient, StartupError } from './context';
import { answers } from './net';

/** Connects to the configured Temporal, runs `work` with the task queue qbsync's workers poll, and disconnects. */
export async function withTemporal<T>(config: Config, work: (temporal: TemporalAccess) => Promise<T>): Promise<T> {
  const client = await connectTemporalClient(config);
  try {
    return await work({ client, taskQueue: config.TEMPORAL_TASK_QUEUE });
  } finally {
    await client.connection.close();
  }
}

/**
 * Whether a CLI command should touch Temporal at all: not when schedules are left alone, nor (without
 * TEMPORAL_ADDRESS) when no dev server runs — the worker then does it when it starts.
 */
export async function temporalReachable(config: Config): Promise<boolean> {
  if (config.TEMPORAL_ADDRESS) return true;
  return answers(`http://127.0.0.1:${config.TEMPORAL_DEV_PORT}`);
}

/** How long a status query may wait for a worker to answer. */
const QUERY_DEADLINE_MS = 15_000;

/** The coordinator's status, or undefined when the tenant has no coordinator yet. */
export async function coordinatorStatus(
  temporal: TemporalAccess,
  tenantId: string,
): Promise<CoordinatorStatus | undefined> {
  try {
    return await queryCoordinator(temporal, tenantId, QUERY_DEADLINE_MS);
  } catch (error) {
    if (error instanceof NoWorkerError) throw new StartupError(error.message);
    throw error;
  }
}
