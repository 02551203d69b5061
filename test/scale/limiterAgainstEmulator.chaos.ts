import {
  QboClient,
  QboThrottledError,
  RealmRateLimiter,
  SharedRateLimiterRegistry,
  type RequestLimiterRegistry,
} from '../../activities/quickbooks';
import { createDb, type Db } from '../../schema/db';
import { createStack, type Stack } from '../helpers/stack';

/**
 * Three workers' limiters (each with its own PostgreSQL pool, as three processes have) sending to one company of the
 * emulator under QuickBooks' production limits (limit minute = 10 s): shared, they never draw a 429; kept per process,
 * as before migration 0014, the same traffic does — the check that the shared limiter is what keeps the company safe.
 */
const TIME_SCALE = 6;
const WINDOW_MS = 60_000 / TIME_SCALE;
const PER_WORKER = 400; // 1,200 requests (120 batches): 2.4 windows of QuickBooks' 500 (and 40 batches)

let stack: Stack;
const pools: Db[] = [];

beforeAll(async () => {
  stack = await createStack('limiter_emulator', { emulatorLimits: { limits: 'production', timeScale: TIME_SCALE } });
});
afterAll(async () => {
  for (const pool of pools) await pool.destroy();
  await stack?.close();
});

async function hammer(registries: RequestLimiterRegistry[]) {
  const { tenantId, realmId } = await stack.addTenant();
  const clients = registries.map(
    (registry) =>
      new QboClient({
        baseUrl: stack.emulator.url,
        realmId,
        tenantId,
        tokens: stack.tokens.forTenant(tenantId),
        limiter: registry.forRealm(realmId),
      }),
  );
  let throttled = 0;
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: PER_WORKER }, async (_, i) => {
        try {
          // Reads and batches mixed, as a push page sends them.
          if (i % 10 === 0)
            await client.batch([{ query: 'select * from Customer maxresults 1' }], { requestId: `b${i}` });
          else await client.companyInfo();
        } catch (error) {
          if (error instanceof QboThrottledError) throttled++;
          else throw error;
        }
      }),
    ),
  );
  const log = await stack.admin.requests({ realmId });
  return { throttled, answered429: log.filter((e) => e.status === 429).length, requests: log.length };
}

test('three workers sharing the limiter: 0 × 429 over 1,200 requests; three per-process limiters: 429s', async () => {
  const shared = [1, 2, 3].map(() => {
    const db = createDb(stack.database.url, { max: 2 });
    pools.push(db);
    return new SharedRateLimiterRegistry(db, { limits: { windowMs: WINDOW_MS } });
  });
  const together = await hammer(shared);
  expect(together).toMatchObject({ answered429: 0, requests: 3 * PER_WORKER });
  expect(together.throttled).toBe(0);

  // As before migration 0014: each worker counts alone (and a 429 blocks nothing, so the control ends quickly).
  const perProcess = (): RequestLimiterRegistry => {
    const limiter = new RealmRateLimiter({ windowMs: WINDOW_MS });
    limiter.throttled = async () => undefined;
    return { forRealm: () => limiter, stats: () => ({}) };
  };
  const alone = await hammer([perProcess(), perProcess(), perProcess()]);
  expect(alone.answered429).toBeGreaterThan(0);
}, 240_000);
