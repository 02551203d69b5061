import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createWorker } from '../../workers/worker';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, type Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The codec's cost on a no-op run (a tenant with nothing to move), with and without it, in turns on one worker.
 * A measurement, not a check: run with QBSYNC_BENCH=1 (it prints the figures); otherwise one short round is a smoke test.
 */
const ROUNDS = process.env.QBSYNC_BENCH === '1' ? 15 : 1;

let stack: Stack;
beforeAll(async () => {
  stack = await createStack('codec-bench');
});
afterAll(async () => {
  await stack?.close();
});

async function timeRuns(converter: DataConverter, tenantId: string, n: number): Promise<number[]> {
  const taskQueue = uniqueTaskQueue('codec-bench');
  const client = new Client({
    connection: stack.temporal.client.connection,
    namespace: 'default',
    dataConverter: converter,
  });
  const worker = await createWorker({
    connection: stack.temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: stack.activities,
    dataConverter: converter,
    shutdownGraceTime: '1 second',
  });
  return worker.runUntil(async () => {
    const ms: number[] = [];
    for (let i = 0; i < n + 1; i++) {
      const started = performance.now();
      const result = await client.workflow.execute(syncTenant, {
        taskQueue,
        workflowId: `bench-${randomBytes(4).toString('hex')}`,
        args: [{ tenantId, trigger: 'bench' }],
      });
      expect(result.status).toBe('succeeded');
      if (i > 0) ms.push(performance.now() - started); // the first run warms the worker up
    }
    return ms;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('a no-op run with and without the payload codec', async () => {
  const { tenantId } = await stack.addTenant({ seed: 'empty' });
  const without: number[] = [];
  const withCodec: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    without.push(...(await timeRuns({}, tenantId, 2)));
    withCodec.push(...(await timeRuns(stack.temporal.dataConverter, tenantId, 2)));
  }
  const a = median(without);
  const b = median(withCodec);
  console.log(
    `no-op run, median of ${without.length}: without codec ${a.toFixed(1)} ms, with codec ${b.toFixed(1)} ms (${(((b - a) / a) * 100).toFixed(1)} %)`,
  );
  expect(b).toBeGreaterThan(0);
}, 600_000);
