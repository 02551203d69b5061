import os from 'node:os';
import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import { ensureAllSchedules } from '../activities/operations/schedule';
import type { Db } from '../schema/db';
import type { Config } from './config';
import { dataConverterFromConfig } from './codec';
import { buildActivityDeps } from './deps';
import type { Logger } from './logger';
import { createWorker } from './worker';

export interface RunningWorker {
  worker: Worker;
  identity: string;
  /** Resolves when the worker has stopped (after `shutdown()` or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts the qbsync worker on the configured task queue; `shutdown()` lets in-flight activities finish within the grace time. */
export async function startWorker(
  config: Config,
  db: Db,
  connection: NativeConnection,
  logger: Logger,
): Promise<RunningWorker> {
  const identity = `qbsync-${os.hostname()}-${process.pid}`;
  const dataConverter = dataConverterFromConfig(config);
  // The scheduled trigger signals coordinators through the worker's own connection.
  const temporal = {
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, identity, dataConverter }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  };
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    identity,
    dataConverter,
    activities: createActivities({ ...buildActivityDeps(config, db, logger), temporal }),
    shutdownGraceTime: '20 seconds',
    maxCachedWorkflows: config.QBSYNC_MAX_CACHED_WORKFLOWS,
  });
  const done = worker.run();
  logger.info(
    { taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, identity },
    'worker started',
  );
  // Every tenant gets its schedule (or the schedule catches up with its settings and this task queue).
  if (config.QBSYNC_MANAGE_SCHEDULES === 'true')
    await ensureAllSchedules(temporal, db, logger).catch((error) =>
      logger.warn({ err: error }, "could not ensure the tenants' schedules"),
    );
  return {
    worker,
    identity,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
