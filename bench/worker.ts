/**
 * The benchmark's worker process: production activities (as workers/deps.ts assembles them) and the prebuilt workflow
 * bundle (as a worker started from the build uses), with one difference — the QuickBooks client's own rate limiter
 * follows the emulator under test: QuickBooks' limits with the limit "minute" time-scaled, or none; it is the shared
 * (PostgreSQL) limiter, as in production.
 * Started by bench/harness.ts (startWorkerChild), which reads this process's peak RSS from /proc and asks it (IPC
 * message 'memory') for its V8 heap.
 */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import { cipherFromConfig } from '../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../activities/connection/oauth';
import { TokenStore } from '../activities/connection/tokenStore';
import { QBO_LIMITS, RateLimiterRegistry, SharedRateLimiterRegistry, type RateLimits } from '../activities/quickbooks';
import { backendFactory } from '../activities/backends';
import { quickbooksFactory } from '../activities/quickbooksFor';
import { createDb } from '../schema/db';
import { systemClock } from '../workers/clock';
import { loadConfig } from '../workers/config';
import { createLogger } from '../workers/logger';
import { installRuntime } from '../workers/runtime';

function clientLimits(): Partial<RateLimits> {
  if (process.env.BENCH_CLIENT_LIMITS === 'off')
    return { requestsPerWindow: 1_000_000_000, batchesPerWindow: 1_000_000_000 };
  const scale = Number(process.env.BENCH_TIME_SCALE ?? 1);
  return { windowMs: Math.round(QBO_LIMITS.windowMs / scale) };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  installRuntime(logger);
  const db = createDb(config.DATABASE_URL, { schema: config.dbSchema });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const tokens = new TokenStore(db, cipherFromConfig(config), new IntuitOAuth(oauthSettings(config)), systemClock);
  // As production: every worker of the benchmark keeps each company's limits together (BENCH_LIMITER=process: each alone).
  const limiters =
    process.env.BENCH_LIMITER === 'process'
      ? new RateLimiterRegistry(clientLimits())
      : new SharedRateLimiterRegistry(db, { limits: clientLimits() });
  const quickbooks = quickbooksFactory(db, tokens, limiters);
  // As workers/run.ts: the scheduled trigger (scheduledSync → requestSync) signals coordinators through this client.
  const temporal = {
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  };
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({
      db,
      logger: logger.child({ component: 'activity' }),
      clock: systemClock,
      backendFor: backendFactory({
        db: db,
        clock: systemClock,
        quickbooksOnline: (tenantId) => quickbooks.api(tenantId),
      }),
      temporal,
    }),
    shutdownGraceTime: '20 seconds',
    maxConcurrentActivityTaskExecutions: 20,
    workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE! },
    // As a production worker sized with QBSYNC_MAX_CACHED_WORKFLOWS (workers/run.ts); unset: the SDK's default.
    ...(config.QBSYNC_MAX_CACHED_WORKFLOWS === undefined
      ? {}
      : { maxCachedWorkflows: config.QBSYNC_MAX_CACHED_WORKFLOWS }),
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.on('message', (message: unknown) => {
    if (message !== 'memory') return;
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    process.send?.({ memory: { rss, heapUsed, heapTotal, external } });
  });
  const running = worker.run();
  process.send?.({ ready: true });
  await running;
  await connection.close();
  await db.destroy();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
