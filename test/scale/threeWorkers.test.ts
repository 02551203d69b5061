import { seedAppCompany } from '../../bench/appSeed';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

/**
 * Three worker processes on one task queue push one company under QuickBooks' production limits (the emulator's, with
 * the limit "minute" stretched to 2 minutes, so that the limits bind even on a slow, shared 2-core machine): a run's
 * pages land on any of them, so only a limiter they share keeps the company inside its 500 requests, 40 batches and
 * 10 in flight — no 429, and the push completes. (SCALE_TEST_LIMITER=process, each worker counting alone as before
 * migration 0014, draws 429s in the same run: the check that this test can fail.)
 */
const TIME_SCALE = 0.5;
const CUSTOMERS = 1_500;
const LIMITER = process.env.SCALE_TEST_LIMITER ?? 'shared';

let stack: Stack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await createStack('scale3', {
    inProcessWorker: false,
    emulatorLimits: { limits: 'production', timeScale: TIME_SCALE },
  });
  const env = { QBO_LIMIT_WINDOW_MS: String(60_000 / TIME_SCALE), QBSYNC_RATE_LIMITER: LIMITER };
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
