import { seedAppCompany } from '../../bench/appSeed';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

/**
 * Three worker processes on one task queue push one company under QuickBooks' production limits (the emulator's, the
 * limit minute stretched to 2 minutes): with the shared limiter, no 429 and the push completes, with batches and single
 * writes. A run's pages mostly stay on the worker that holds the workflow, and a slow shared machine may not reach the
 * limits here; test/scale/limiterAgainstEmulator.chaos.ts drives three workers' limiters past them (and shows that
 * per-process limiters draw 429s there).
 */
const TIME_SCALE = 0.5;
const CUSTOMERS = 1_500;

let stack: Stack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await createStack('scale3', {
    inProcessWorker: false,
    emulatorLimits: { limits: 'production', timeScale: TIME_SCALE },
  });
  const env = { QBO_LIMIT_WINDOW_MS: String(60_000 / TIME_SCALE), QBSYNC_RATE_LIMITER: 'shared' };
  // Started together: each bundles the workflows, which takes a while on a loaded 2-core machine.
  workers.push(...(await Promise.all([1, 2, 3].map(() => startWorkerProcess(stack, { env, timeoutMs: 240_000 })))));
}, 400_000);
afterAll(async () => {
  for (const w of workers) await w.stop();
  await stack?.close();
});

test('3 workers pushing 1,500 customers to one company under production limits: 0 × 429, every customer in QuickBooks', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  await seedAppCompany(stack.database.db, tenantId, {
    customers: CUSTOMERS,
    items: 0,
    invoices: 0,
    payments: 0,
    maxLinesPerInvoice: 1,
  });

  const result = await stack.sync(tenantId);
  expect(result.status).toBe('succeeded');

  const log = await stack.admin.requests({ realmId });
  const throttled = log.filter((e) => e.status === 429);
  expect(throttled).toHaveLength(0);
  // Both budgets were used: batches and single writes.
  const writes = log.filter((e) => e.method === 'POST' && e.operation !== 'query');
  expect(writes.filter((e) => e.operation === 'batch').length).toBeGreaterThan(0);
  expect(writes.filter((e) => e.operation !== 'batch').length).toBeGreaterThan(0);

  const links = await stack.database.db
    .selectFrom('sync_links')
    .select(stack.database.db.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', 'customer')
    .executeTakeFirstOrThrow();
  expect(Number(links.n)).toBe(CUSTOMERS);
  const { QueryResponse } = await stack.qboFetch(
    realmId,
    'GET',
    'query?query=' + encodeURIComponent('select count(*) from Customer'),
  );
  expect((QueryResponse as { totalCount: number }).totalCount).toBe(CUSTOMERS);
}, 400_000);
