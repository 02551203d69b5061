import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/activities';
import { createWorker } from '../../workers/worker';
import { installRuntime } from '../../workers/runtime';
import { createLogger } from '../../workers/logger';
import { dataConverter, derivePayloadKey, PayloadCipher } from '../../workers/codec';

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
  /** The data converter (encrypting codec) of this test's client and workers. */
  dataConverter: DataConverter;
  nativeConnection: NativeConnection;
  taskQueue: string;
  /** Runs a worker for the duration of `fn`, then shuts it down. */
  withWorker<T>(activities: Activities, fn: (worker: Worker) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The codec a qbsync process with QBSYNC_ENCRYPTION_KEY=`encryptionKey` uses (its payload key is derived from it), so
 * a test's own client and worker processes started with that key read each other's payloads.
 */
export function testCodec(encryptionKey: string): PayloadCipher {
  return new PayloadCipher(derivePayloadKey(Buffer.from(encryptionKey, 'base64')));
}

export async function connectTestTemporal(
  area: string,
  options: { encryptionKey?: string } = {},
): Promise<TestTemporal> {
  installRuntime(createLogger(process.env.LOG_LEVEL ?? 'warn'));
  const address = temporalAddress();
  const converter = dataConverter(testCodec(options.encryptionKey ?? randomBytes(32).toString('base64')));
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter: converter });
  const taskQueue = uniqueTaskQueue(area);
  return {
    client,
    dataConverter: converter,
    nativeConnection,
    taskQueue,
    async withWorker(activities, fn) {
      const worker = await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        activities,
        dataConverter: converter,
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
