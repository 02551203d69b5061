import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter, Duration } from '@temporalio/common';
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
  /** The encrypting payload codec (workers/codec.ts): every payload the worker writes to history goes through it. */
  dataConverter: DataConverter;
  identity?: string;
  /** Let in-flight activities finish (and heartbeat their progress) before the worker stops. */
  shutdownGraceTime?: Duration;
  maxConcurrentActivityTaskExecutions?: number;
  /** The sticky cache's size (QBSYNC_MAX_CACHED_WORKFLOWS); undefined: the SDK's default. */
  maxCachedWorkflows?: number;
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
    dataConverter: options.dataConverter,
    shutdownGraceTime: options.shutdownGraceTime ?? '20 seconds',
    // Heartbeats reach Temporal every call (activities/heartbeat.ts: 2 s), not every 0.8 heartbeat timeout: a step's
    // 10-s heartbeat timeout then tolerates 8 s without one, where 20 s with the SDK's 16-s throttle tolerated 4 s.
    maxHeartbeatThrottleInterval: '2 seconds',
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
    ...workflowSource(),
  });
}
