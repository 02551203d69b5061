import fs from 'node:fs';
import path from 'node:path';
import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities/activities';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Written by `qbsync bundle-workflows` (part of `npm run build`). */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  identity?: string;
  /** Let in-flight activities finish (and heartbeat their progress) before the worker stops. */
  shutdownGraceTime?: Duration;
  maxConcurrentActivityTaskExecutions?: number;
}

/** From the build, the prebuilt bundle; from sources (development, tests), the workflows folder bundled on start. */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const fromBuild = __filename.endsWith('.js') && fs.existsSync(WORKFLOW_BUNDLE_PATH);
  return fromBuild ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } } : { workflowsPath: WORKFLOWS_PATH };
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: options.activities,
    shutdownGraceTime: options.shutdownGraceTime ?? '20 seconds',
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    ...workflowSource(),
  });
}
