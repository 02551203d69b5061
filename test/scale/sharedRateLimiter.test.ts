import { SharedRateLimiterRegistry, type SharedLimiterOptions } from '../../activities/quickbooks';
import { createDb, type Db } from '../../schema/db';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { until } from '../helpers/until';

/**
 * The limiter every worker shares (PostgreSQL, migration 0014): several registries — as several worker processes would
 * hold, each with its own pool — on one realm never exceed the realm's limits together, and a 429 blocks all of them once.
 */
let database: TestDatabase;
const pools: Db[] = [];

beforeAll(async () => {
  database = await createTestDatabase('shared_limiter');
});
afterAll(async () => {
  for (const pool of pools) await pool.destroy();
  await database?.drop();
});

function worker(options: SharedLimiterOptions, db = createDb(database.url, { max: 3 })): SharedRateLimiterRegistry {
  pools.push(db);
  return new SharedRateLimiterRegistry(db, options);
}

const LIMITS = { concurrent: 3, requestsPerWindow: 12, batchesPerWindow: 4, windowMs: 400 };

test('three workers on one realm: never more than the concurrent limit in flight, nor more starts (or batches) per window than allowed', async () => {
  const realm = 'realm-limits';
  // The default margin (clocks only): a request counts from its answer, so starts are a window apart by themselves.
  const workers = [1, 2, 3].map(() => worker({ limits: LIMITS }).forRealm(realm));
  const starts: Array<{ at: number; batch: boolean }> = [];
  let inFlight = 0;
  let peak = 0;
  const request = async (batch: boolean) => {
    starts.push({ at: performance.now(), batch });
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
  };
  const jobs: Array<Promise<void>> = [];
  for (let i = 0; i < 36; i++) jobs.push(workers[i % 3].run(i % 4 === 0, () => request(i % 4 === 0)));
  await Promise.all(jobs);

  expect(starts).toHaveLength(36);
  expect(peak).toBeLessThanOrEqual(LIMITS.concurrent);
  for (const s of starts) {
    const inWindow = starts.filter((t) => t.at >= s.at && t.at < s.at + LIMITS.windowMs);
    expect(inWindow.length).toBeLessThanOrEqual(LIMITS.requestsPerWindow);
    expect(inWindow.filter((t) => t.batch).length).toBeLessThanOrEqual(LIMITS.batchesPerWindow);
  }
  // 36 requests at 12 a window cannot all start inside two windows.
  expect(starts.at(-1)!.at - starts[0].at).toBeGreaterThanOrEqual(2 * LIMITS.windowMs);
  const stats = workers.map((w) => w.stats());
  expect(stats.reduce((n, s) => n + s.started, 0)).toBe(36);
  // Leases are given back beside the answers: every one of them, soon.
  await until(
    'every lease given back',
    async () => workers.map((w) => w.stats().inFlight),
    (n) => n.every((x) => x === 0),
  );
});

test('a request counts in the window from its answer (QuickBooks counts it on arrival, before): in flight, it counts', async () => {
  const realm = 'realm-answered';
  const windowMs = 200;
  // One request a window, no margin at all: the next request may start only a whole window after the last answer,
  // whether the request took less than a window or longer (counted from its start, each would start earlier).
  const limits = { concurrent: 3, requestsPerWindow: 1, batchesPerWindow: 1, windowMs };
  const limiter = worker({ limits, marginMs: 0 }).forRealm(realm);
  const took = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)); // the request's own latency
  const times: Array<{ start: number; answer: number }> = [];
  const request = (latencyMs: number) =>
    limiter.run(false, async () => {
      const start = performance.now();
      await took(latencyMs);
      times.push({ start, answer: performance.now() });
    });
  // Queued together, started in this order (FIFO): the second outlives a window in flight.
  await Promise.all([request(windowMs / 2), request(windowMs * 2), request(0)]);
  expect(times).toHaveLength(3);
  for (let i = 1; i < times.length; i++)
    // (1 ms: PostgreSQL's clock against the test's monotonic one.)
    expect(times[i].start - times[i - 1].answer).toBeGreaterThanOrEqual(windowMs - 1);
});

test('a 429 blocks every worker of the realm for its delay, once: a second 429 during the block does not extend it', async () => {
  const realm = 'realm-429';
  const limits = { ...LIMITS, requestsPerWindow: 1000, batchesPerWindow: 1000 };
  const [a, b] = [worker({ limits }).forRealm(realm), worker({ limits }).forRealm(realm)];
  await a.run(false, async () => undefined);
  const blockedAt = performance.now();
  await a.throttled(600);
  await b.throttled(600); // the same block, answered to another in-flight request a moment later
  const other = worker({ limits }).forRealm('another-realm');
  const t0 = performance.now();
  await other.run(false, async () => undefined);
  expect(performance.now() - t0).toBeLessThan(600); // another company is not blocked

  const started: number[] = [];
  await Promise.all([
    a.run(false, async () => void started.push(performance.now())),
    b.run(true, async () => void started.push(performance.now())),
  ]);
  for (const at of started) expect(at - blockedAt).toBeGreaterThanOrEqual(590);
  const row = await database.db
    .selectFrom('rate_limit_realms')
    .selectAll()
    .where('realm_id', '=', realm)
    .executeTakeFirstOrThrow();
  expect(row.throttled).toBe(2);
});

test('a slot whose worker died is freed when its lease runs out', async () => {
  const realm = 'realm-lease';
  const limits = { ...LIMITS, concurrent: 1 };
  const deadPool = createDb(database.url, { max: 3 });
  const dead = worker({ limits, leaseMs: 300 }, deadPool).forRealm(realm);
  // A request that never settles, from a worker whose PostgreSQL connections are gone: one that died holding the slot.
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  void dead.run(false, () => {
    holding();
    return new Promise(() => undefined);
  });
  await held;
  await deadPool.destroy();
  pools.splice(pools.indexOf(deadPool), 1);
  const alive = worker({ limits, leaseMs: 300 }).forRealm(realm);
  const t0 = performance.now();
  await alive.run(false, async () => undefined);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
});

test('a live worker renews the leases of its requests in flight: a request longer than the lease keeps its slot', async () => {
  const realm = 'realm-renew';
  const limits = { ...LIMITS, concurrent: 1 };
  const slow = worker({ limits, leaseMs: 300 }).forRealm(realm);
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const first = slow.run(false, async () => {
    holding();
    await finished;
    return 'first';
  });
  await held;
  const order: string[] = [];
  const second = worker({ limits, leaseMs: 300 })
    .forRealm(realm)
    .run(false, async () => order.push('second'));
  // Four leases long: the other worker is still waiting, as the slot's lease was renewed all along.
  const t0 = performance.now();
  await until(
    'four leases to pass',
    () => performance.now() - t0,
    (ms) => ms >= 1200,
    { everyMs: 100 },
  );
  order.push('first done');
  finish();
  await Promise.all([first, second]);
  expect(order).toEqual(['first done', 'second']);
});
