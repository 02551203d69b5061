import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/activities';
import { createWorker } from '../../workers/worker';
import { installRuntime } from '../../workers/runtime';
import { createLogger } from '../../workers/logger';

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address)
    throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through jest (globalSetup starts the dev server)');
  return address;
}

export function uniqueTaskQueue(area: string): string {
  return `test-${area}-${randomBytes(4).toString('hex')}`;
}

export interface TestTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  taskQueue: string;
  /** Runs a worker for the duration of `fn`, then shuts it down. */
  withWorker<T>(activities: Activities, fn: (worker: Worker) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function connectTestTemporal(area: string): Promise<TestTemporal> {
  installRuntime(createLogger(process.env.LOG_LEVEL ?? 'warn'));
  const address = temporalAddress();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = uniqueTaskQueue(area);
  return {
    client,
    nativeConnection,
    taskQueue,
    async withWorker(activities, fn) {
      const worker = await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        activities,
        shutdownGraceTime: '1 second',
      });
      return worker.runUntil(() => fn(worker));
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
