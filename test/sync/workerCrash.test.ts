import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, type Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

/**
 * A crash of the worker in the worst place: QuickBooks has executed a batch of invoice creates but qbsync has not
 * heard the answer, so nothing is linked yet. After a restart the run must finish with exactly one copy of each.
 */
let stack: Stack;
let db: Db;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  stack = await createStack('crash', { inProcessWorker: false });
  db = stack.database.db;
});
afterAll(async () => {
  await worker?.stop();
  await stack?.close();
});

const NEW_INVOICES = 75; // three batches of at most 30

async function addAppInvoices(tenantId: string): Promise<void> {
  const customers = await db
    .selectFrom('customers')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('active', '=', true)
    .orderBy('id')
    .execute();
  const items = await db
    .selectFrom('items')
    .select(['id', 'unit_price'])
    .where('tenant_id', '=', tenantId)
    .where('active', '=', true)
    .where('type', '!=', 'Category')
    .orderBy('id')
    .execute();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < NEW_INVOICES; i++) {
      const item = items[i % items.length];
      const price = item.unit_price ?? '10';
      const cents = Math.round(Number(price) * 100) * ((i % 3) + 1);
      const id = (
        await trx
          .insertInto('invoices')
          .values({
            tenant_id: tenantId,
            customer_id: customers[i % customers.length].id,
            txn_date: '2026-11-20',
            subtotal_cents: cents,
            total_cents: cents,
            balance_cents: cents,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      await trx
        .insertInto('invoice_lines')
        .values({
          invoice_id: id,
          line_num: 1,
          item_id: item.id,
          quantity: String((i % 3) + 1),
          unit_price: price,
          amount_cents: cents,
          taxable: false,
        })
        .execute();
    }
  });
}

test('SIGKILL of the worker while QuickBooks holds the answer to an invoice batch: after a restart the run completes with one copy of every record', async () => {
  worker = await startWorkerProcess(stack);
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  const run = (trigger: string) =>
    stack.temporal.client.workflow.start(syncTenant, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `crash-${trigger}-${randomBytes(4).toString('hex')}`,
      args: [{ tenantId, trigger }],
    });

  expect((await (await run('first')).result()).status).toBe('succeeded');
  const qboBefore = (await stack.admin.entities<{ Id: string }>(realmId, 'Invoice')).length;
  const appBefore = Number(
    (
      await db
        .selectFrom('invoices')
        .select(db.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).n,
  );
  expect(appBefore).toBe(qboBefore);

  await addAppInvoices(tenantId);
  // The first invoice batch is executed by QuickBooks, logged, and its answer held far longer than the test needs.
  await stack.admin.injectFaults({
    realmId,
    match: { method: 'POST', pathIncludes: '/batch' },
    count: 1,
    fault: { kind: 'delay', ms: 120_000, afterExecute: true },
  });
  const handle = await run('crash');
  const held = await until(
    'the held batch',
    () => stack.admin.requests({ realmId }),
    (log) => log.some((e) => e.injected === 'delay-after-execute'),
    { context: () => worker?.output().slice(-3000) ?? '' },
  );
  expect(held.find((e) => e.injected === 'delay-after-execute')).toMatchObject({ status: 200 });
  const createdWhileHeld = (await stack.admin.entities(realmId, 'Invoice')).length - qboBefore;
  // At least the held batch's 30; the page's other batches go out beside it and may be executed too.
  expect(createdWhileHeld).toBeGreaterThanOrEqual(30);
  // Nothing of that page is linked yet: only QuickBooks knows about these invoices (the page settles as a whole).
  const linkedWhileHeld = await db
    .selectFrom('sync_links')
    .select(db.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', 'invoice')
    .executeTakeFirstOrThrow();
  expect(Number(linkedWhileHeld.n)).toBe(qboBefore);

  await worker.kill('SIGKILL');
  await stack.admin.clearFaults();
  worker = await startWorkerProcess(stack);
  const result = await handle.result();
  expect(result.status).toBe('succeeded');

  // QuickBooks: exactly the demo invoices plus one per app invoice, every DocNumber once.
  const qboInvoices = await stack.admin.entities<{ Id: string; DocNumber?: string }>(realmId, 'Invoice');
  expect(qboInvoices).toHaveLength(qboBefore + NEW_INVOICES);
  const docNumbers = qboInvoices.map((i) => i.DocNumber);
  expect(new Set(docNumbers).size).toBe(docNumbers.length);
  // The resent batch was answered from QuickBooks' requestid memory, not executed again.
  const log = await stack.admin.requests({ realmId });
  expect(log.some((e) => e.replayed)).toBe(true);

  // The app: no invoice pulled back as a second copy; every invoice linked to its own QuickBooks invoice.
  const app = await sql<{ invoices: number; linked: number; distinct_qbo: number; unnumbered: number }>`
    select (select count(*) from invoices where tenant_id = ${tenantId}) as invoices,
           (select count(*) from sync_links where tenant_id = ${tenantId} and entity = 'invoice') as linked,
           (select count(distinct remote_id) from sync_links where tenant_id = ${tenantId} and entity = 'invoice') as distinct_qbo,
           (select count(*) from invoices where tenant_id = ${tenantId} and doc_number is null) as unnumbered`.execute(
    db,
  );
  expect(app.rows[0]).toEqual({
    invoices: qboBefore + NEW_INVOICES,
    linked: qboBefore + NEW_INVOICES,
    distinct_qbo: qboBefore + NEW_INVOICES,
    unnumbered: 0,
  });

  // Every other entity still holds one copy on each side.
  for (const [entity, table, qboEntity] of [
    ['customer', 'customers', 'Customer'],
    ['item', 'items', 'Item'],
    ['payment', 'payments', 'Payment'],
  ] as const) {
    const appCount = Number(
      (
        await db
          .selectFrom(table)
          .select(db.fn.countAll().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const links = Number(
      (
        await db
          .selectFrom('sync_links')
          .select(db.fn.countAll().as('n'))
          .where('tenant_id', '=', tenantId)
          .where('entity', '=', entity)
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect({ entity, appCount, links }).toEqual({
      entity,
      appCount: (await stack.admin.entities(realmId, qboEntity)).length,
      links: appCount,
    });
  }

  // A further run finds nothing to do on either side.
  const before = log.at(-1)!.seq;
  expect((await (await run('after')).result()).status).toBe('succeeded');
  const writes = (await stack.admin.requests({ realmId, sinceSeq: before })).filter(
    (e) => e.method === 'POST' && e.operation !== 'query',
  );
  expect(writes).toEqual([]);
}, 240_000);
