import { addSale, appIdByName, problems, saleRow, ORDER_TAKING } from '../orderTaking/helpers';
import { coordinatorId } from '../../common/ids';
import { statusQuery, tenantCoordinator } from '../../workflows/coordinator';
import { runCli } from '../helpers/cli';
import { until } from '../helpers/until';
import { createDesktopStack, type DesktopStack, type DesktopTenant } from './desktopStack';

/**
 * Sales handed over through the Web Connector: Order → Sales Order, Invoice → Invoice, Quote → Estimate, numbered by
 * QuickBooks and stamped back with the done status; other types and drafts never sent; a handed-over sale never resent.
 * Faults end with a comparison of both sides: no duplicates, no losses.
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_sales');
});
afterAll(async () => {
  await stack?.close();
});

const settings = { orderTaking: ORDER_TAKING };

async function readyTenant(): Promise<DesktopTenant & { customer: number; hammer: number; drill: number }> {
  const t = await stack.addTenant({ seed: 'salesin', settings });
  await stack.sync(t.tenantId);
  const db = stack.database.db;
  return {
    ...t,
    customer: await appIdByName(db, t.tenantId, 'customers', 'Abercrombie Hardware'),
    hammer: await appIdByName(db, t.tenantId, 'items', 'Claw Hammer'),
    drill: await appIdByName(db, t.tenantId, 'items', 'Cordless Drill'),
  };
}

const line = (itemId: number, qty: string, price: string) => ({
  itemId,
  qty,
  price,
  amount: (Number(qty) * Number(price)).toFixed(2),
});

/** Documents in the company per sale mark: a duplicate would show as two documents with one ExternalGUID. */
function documents(t: DesktopTenant) {
  return [...t.company.salesOrders(), ...t.company.invoices(), ...t.company.estimates()].filter((d) => d.ExternalGUID);
}

test('Order → Sales Order, Invoice → Invoice, Quote → Estimate; numbers stamped back; credit notes and drafts stay', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const order = await addSale(db, t.tenantId, {
    type: 'Order',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '2', '24.95')],
  });
  const invoice = await addSale(db, t.tenantId, {
    type: 'Invoice',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.drill, '1', '149.00')],
  });
  const quote = await addSale(db, t.tenantId, {
    type: 'Quote',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '10', '19.95')],
  });
  const credit = await addSale(db, t.tenantId, {
    type: 'Credit Note',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '1', '24.95')],
  });
  const draft = await addSale(db, t.tenantId, {
    type: 'Order',
    status: 'Draft',
    customerId: t.customer,
    lines: [line(t.hammer, '1', '24.95')],
  });
  await stack.sync(t.tenantId);

  const so = t.company.salesOrders().filter((d) => d.ExternalGUID);
  const inv = t.company.invoices().filter((d) => d.ExternalGUID);
  const est = t.company.estimates().filter((d) => d.ExternalGUID);
  expect([so.length, inv.length, est.length]).toEqual([1, 1, 1]);
  for (const [id, doc, entity] of [
    [order, so[0], 'SalesOrder'],
    [invoice, inv[0], 'Invoice'],
    [quote, est[0], 'Estimate'],
  ] as const) {
    const row = await saleRow(db, id);
    expect(row).toMatchObject({
      status: 'Closed',
      qbo_entity: entity,
      qbo_id: doc.TxnID,
      qbo_doc_number: doc.RefNumber,
    });
    expect(row.handed_over_at).not.toBeNull();
  }
  // QuickBooks' totals, with the tax it computed for the customer's tax code (8.625% in the salesin company).
  expect(await saleRow(db, order)).toMatchObject({
    subtotal: '49.90',
    tax: so[0].SalesTaxTotal,
    total: so[0].TotalAmount,
  });
  expect(await saleRow(db, credit)).toMatchObject({ status: 'Open', qbo_id: null });
  expect(await saleRow(db, draft)).toMatchObject({ status: 'Draft', qbo_id: null });

  // Edited and set back to the ready status after the handoff: never sent again.
  await db.updateTable('sales').set({ status: 'Open', memo: 'changed later' }).where('id', '=', order).execute();
  await stack.sync(t.tenantId);
  expect(documents(t)).toHaveLength(3);
  expect(
    (await problems(db, t.tenantId)).some((p) => p.code === 'qbsync-ignored' || /handed over/.test(p.message)),
  ).toBe(true);
});

test('a customer created in the app is added to QuickBooks; the sale for it follows', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const created = await db
    .insertInto('customers')
    .values({ tenant_id: t.tenantId, display_name: 'Zoë’s Café Supplies', email: 'zoe@example.com' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addSale(db, t.tenantId, {
    type: 'Invoice',
    status: 'Open',
    customerId: created.id,
    lines: [line(t.hammer, '1', '24.95')],
  });
  await stack.sync(t.tenantId);
  const added = t.company.customers().filter((c) => String(c.Name).startsWith('Zo'));
  expect(added).toHaveLength(1);
  expect(added[0].Name).toBe("Zoë's Café Supplies");
  expect(t.company.invoices().filter((d) => d.ExternalGUID)).toHaveLength(1);
});

test('the answer to a Sales Order add is lost after QuickBooks applied it: adopted from the message set, no duplicate', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const ids = [];
  for (let i = 0; i < 3; i++)
    ids.push(
      await addSale(db, t.tenantId, {
        type: 'Order',
        status: 'Open',
        customerId: t.customer,
        lines: [line(t.hammer, String(i + 1), '24.95')],
      }),
    );
  t.company.faults.add({ kind: 'responseLost', count: 1, requestType: 'SalesOrderAddRq' });
  await stack.sync(t.tenantId);
  expect(t.company.salesOrders().filter((d) => d.ExternalGUID)).toHaveLength(3);
  for (const id of ids) expect(await saleRow(db, id)).toMatchObject({ status: 'Closed', qbo_entity: 'SalesOrder' });
});

test('lost answer and QuickBooks forgot the message set: the twin is found by its ExternalGUID, nothing resent twice', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const id = await addSale(db, t.tenantId, {
    type: 'Invoice',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.drill, '2', '149.00')],
  });
  t.company.faults.add({ kind: 'responseLost', count: 1, requestType: 'InvoiceAddRq' });
  const run = stack.sync(t.tenantId);
  await until(
    'the invoice reaches QuickBooks',
    () => t.company.invoices().filter((d) => d.ExternalGUID).length,
    (n) => n >= 1,
  );
  t.company.data.messageSets.clear();
  await run;
  const invoices = t.company.invoices().filter((d) => d.ExternalGUID);
  expect(invoices).toHaveLength(1);
  expect(await saleRow(db, id)).toMatchObject({ status: 'Closed', qbo_id: invoices[0].TxnID });
});

test('the Web Connector session dies mid-run: the reads start again, nothing lost', async () => {
  const t = await stack.addTenant({ seed: 'salesin', settings });
  // The session dies two documents into the first run; the next session's reads start again (re-reads change nothing).
  t.company.faults.add({ kind: 'sessionDies', count: 1, afterRequests: 2 });
  await stack.sync(t.tenantId);
  const n = await stack.database.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', t.tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(n.n)).toBe(t.company.customers().length);
});

test('QuickBooks closed at one connection, back at the next: the run waits and completes', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const id = await addSale(db, t.tenantId, {
    type: 'Quote',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '1', '24.95')],
  });
  t.company.faults.add({ kind: 'companyClosed', count: 2 });
  await stack.sync(t.tenantId);
  expect(t.company.estimates().filter((d) => d.ExternalGUID)).toHaveLength(1);
  expect(await saleRow(db, id)).toMatchObject({ status: 'Closed', qbo_entity: 'Estimate' });
});

test('a locked record: retried, then handed over once', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const id = await addSale(db, t.tenantId, {
    type: 'Order',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '1', '24.95')],
  });
  t.company.faults.add({ kind: 'locked', count: 1, code: 3175, requestType: 'SalesOrderAddRq' });
  await stack.sync(t.tenantId);
  expect(t.company.salesOrders().filter((d) => d.ExternalGUID)).toHaveLength(1);
  expect(await saleRow(db, id)).toMatchObject({ status: 'Closed' });
});

test('a handed-over Sales Order deleted in QuickBooks: the sale stays Closed, the deletion is a problem once, never resent', async () => {
  const t = await readyTenant();
  const db = stack.database.db;
  const id = await addSale(db, t.tenantId, {
    type: 'Order',
    status: 'Open',
    customerId: t.customer,
    lines: [line(t.hammer, '1', '24.95')],
  });
  await stack.sync(t.tenantId);
  const handed = await saleRow(db, id);
  expect(handed).toMatchObject({ status: 'Closed', qbo_entity: 'SalesOrder' });
  const [order] = t.company.salesOrders().filter((d) => d.ExternalGUID);
  t.company.deleteRecord(String(order.TxnID));
  // A user also deletes an estimate qbsync never made: not qbsync's concern.
  const [other] = t.company.estimates().filter((d) => !d.ExternalGUID);
  if (other) t.company.deleteRecord(String(other.TxnID));
  const seq = t.connector.log.list({}).at(-1)?.seq ?? 0;
  await stack.sync(t.tenantId);
  const sent = t.connector.log.list({ sinceSeq: seq }).flatMap((e) => (e.qbxmlRequest ? [e.qbxmlRequest] : []));
  expect(sent.some((d) => /<TxnDeletedQueryRq/.test(d))).toBe(true);
  expect(sent.filter((d) => /<\w+AddRq/.test(d))).toEqual([]);
  const deleted = (await problems(db, t.tenantId)).filter((p) => p.code === 'qbsync-deleted-in-quickbooks');
  expect(deleted).toHaveLength(1);
  expect(deleted[0]).toMatchObject({ entity: 'sale', app_id: id, skipped: true });
  expect(deleted[0].message).toMatch(
    new RegExp(`Sales Order ${String(order.RefNumber)} qbsync made from sale ${id} was deleted in QuickBooks`),
  );
  expect(await saleRow(db, id)).toMatchObject({ status: 'Closed', qbo_id: handed.qbo_id });
  // The next run reads the deletion again (same day) but records it once, and sends nothing.
  await stack.sync(t.tenantId);
  expect((await problems(db, t.tenantId)).filter((p) => p.code === 'qbsync-deleted-in-quickbooks')).toHaveLength(1);
  expect(t.company.salesOrders().filter((d) => d.ExternalGUID)).toHaveLength(0);
});

test('the Web Connector absent: qbsync status says "waiting for the Web Connector of <company>"; its arrival lets the run go on', async () => {
  const t = await stack.addTenant({ seed: 'salesin', settings, connect: false });
  const run = stack.sync(t.tenantId);
  await until(
    'a request waits for the Web Connector',
    () => stack.exchanges.pendingCount(t.tenantId),
    (n) => n > 0,
  );
  // The tenant's coordinator (idle: this run was started directly) hears of the Web Connector's arrival.
  const coordinator = await stack.temporal.client.workflow.start(tenantCoordinator, {
    taskQueue: stack.temporal.taskQueue,
    workflowId: coordinatorId(t.tenantId),
    args: [{ tenantId: t.tenantId }],
  });
  const cli = await runCli(['status', t.tenantId], stack.env, 180_000);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(new RegExp(`waiting for the Web Connector of ${t.tenantId} since`));
  expect((await coordinator.query(statusQuery)).webConnectorAt).toBeUndefined();
  t.connector.start();
  await run;
  const heard = await until(
    'the coordinator hears of the arrival',
    () => coordinator.query(statusQuery),
    (s) => s.webConnectorAt !== undefined,
  );
  expect(Date.parse(heard.webConnectorAt!)).toBeGreaterThan(0);
  await coordinator.terminate('test over');
  expect(
    await until(
      'customers arrive',
      () =>
        stack.database.db
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', t.tenantId)
          .executeTakeFirstOrThrow(),
      (r) => Number(r.n) === t.company.customers().length,
    ),
  ).toBeDefined();
  const after = await runCli(['status', t.tenantId], stack.env, 180_000);
  expect(after.stdout).not.toMatch(/waiting for the Web Connector/);
  expect(after.stdout).toMatch(/Web Connector of .*: (connected now|last connected)/);
}, 300_000);
