import { randomBytes } from 'node:crypto';
import type { Db } from '../../schema/db';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { until } from '../helpers/until';
import { addSale, appIdByName, qboDocs, qboIdOf, saleRow } from './helpers';

/**
 * The worst moment of a handoff: QuickBooks has created the documents, but the worker dies before it hears so, and
 * before any sale is Closed or linked. After a restart there must be exactly one QuickBooks document per sale, and
 * each sale Closed with QuickBooks' number and Id.
 */
let stack: Stack;
let db: Db;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  stack = await createStack('ordertaking_crash', { inProcessWorker: false });
  db = stack.database.db;
});
afterAll(async () => {
  await worker?.stop();
  await stack?.close();
});

test('SIGKILL between QuickBooks accepting the sales and their handoff: one document per sale, each sale Closed and numbered', async () => {
  worker = await startWorkerProcess(stack);
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo' });
  const run = (trigger: string) =>
    stack.temporal.client.workflow.start(syncTenant, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `ot-crash-${trigger}-${randomBytes(4).toString('hex')}`,
      args: [{ tenantId, trigger }],
    });
  expect((await (await run('first')).result()).status).toBe('succeeded');

  const customer = await appIdByName(db, tenantId, 'customers', "Bill O'Brien 2");
  const item = await appIdByName(db, tenantId, 'items', 'Consulting');
  const lines = [{ itemId: item, qty: '3', price: '120', amount: '360.00' }];
  const sales = {
    Invoice: await addSale(db, tenantId, {
      type: 'Invoice',
      status: 'Open',
      number: 'A-1',
      customerId: customer,
      lines,
    }),
    Quote: await addSale(db, tenantId, { type: 'Quote', status: 'Open', number: 'A-2', customerId: customer, lines }),
    Order: await addSale(db, tenantId, { type: 'Order', status: 'Open', number: 'A-3', customerId: customer, lines }),
  };
  const before = await qboDocs(stack, realmId);

  // The sales batch is executed by QuickBooks, logged, and its answer held far longer than the test needs.
  await stack.admin.injectFaults({
    realmId,
    match: { method: 'POST', pathIncludes: '/batch' },
    count: 1,
    fault: { kind: 'delay', ms: 120_000, afterExecute: true },
  });
  const handle = await run('crash');
  await until(
    'the held batch',
    () => stack.admin.requests({ realmId }),
    (log) => log.some((e) => e.injected === 'delay-after-execute'),
    { context: () => worker?.output().slice(-3000) ?? '' },
  );
  const held = await qboDocs(stack, realmId);
  expect([held.invoices.length - before.invoices.length, held.estimates.length - before.estimates.length]).toEqual([
    1, 2,
  ]);
  // QuickBooks has them; the app does not know yet: nothing Closed, nothing linked, the plan saved as an intent.
  for (const id of Object.values(sales))
    expect(await saleRow(db, id)).toMatchObject({ status: 'Open', qbo_id: null, handed_over_at: null });
  expect(await db.selectFrom('push_intents').select('entity').where('tenant_id', '=', tenantId).execute()).toEqual([
    { entity: 'sale' },
  ]);

  await worker.kill('SIGKILL');
  await stack.admin.clearFaults();
  worker = await startWorkerProcess(stack);
  const result = await handle.result();
  expect(result.status).toBe('succeeded');

  // Exactly one QuickBooks document per sale; the resent batch was answered from QuickBooks' requestid memory.
  const after = await qboDocs(stack, realmId);
  expect([after.invoices.length - before.invoices.length, after.estimates.length - before.estimates.length]).toEqual([
    1, 2,
  ]);
  expect(after).toEqual(held);
  const log = await stack.admin.requests({ realmId });
  const batches = log.filter((e) => e.operation === 'batch');
  expect(batches.filter((b) => b.status === 200 && !b.replayed)).toHaveLength(1);
  expect(batches.some((b) => b.replayed)).toBe(true);

  // Each sale handed over to its own document, with QuickBooks' number.
  const docs = [...after.invoices, ...after.estimates];
  const seen = new Set<string>();
  for (const [type, id] of Object.entries(sales)) {
    const row = await saleRow(db, id);
    const doc = docs.find((d) => d.Id === row.qbo_id)!;
    expect(doc).toBeDefined();
    expect(row).toMatchObject({
      status: 'Closed',
      qbo_entity: type === 'Invoice' ? 'Invoice' : 'Estimate',
      qbo_doc_number: doc.DocNumber,
    });
    expect(row.qbo_doc_number).toMatch(/^\d+$/);
    expect(await qboIdOf(db, tenantId, 'sale', id)).toBe(`${row.qbo_entity}:${doc.Id}`);
    seen.add(doc.Id);
  }
  expect(seen.size).toBe(3);
  expect(await db.selectFrom('push_intents').select('entity').where('tenant_id', '=', tenantId).execute()).toEqual([]);

  // A further run finds nothing to send.
  const seq = await lastSeq(stack.admin);
  expect((await (await run('after')).result()).status).toBe('succeeded');
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
}, 240_000);
