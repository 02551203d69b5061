import os from 'node:os';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import type { Db } from '../schema/db';
import type { Config } from './config';
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
export async function startWorker(config: Config, db: Db, connection: NativeConnection, logger: Logger): Promise<RunningWorker> {
  const identity = `qbsync-${os.hostname()}-${process.pid}`;
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    identity,
    activities: createActivities(buildActivityDeps(config, db, logger)),
    shutdownGraceTime: '20 seconds',
  });
  const done = worker.run();
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, identity }, 'worker started');
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
