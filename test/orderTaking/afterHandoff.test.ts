import type { Db } from '../../schema/db';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';
import { addSale, appIdByName, problems, qboDocs, qboIdOf, saleRow } from './helpers';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('ordertaking_after');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

test('a handed-over sale is never sent again: not when edited, not when set back to Open; each attempt is reported as ignored', async () => {
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo' });
  await stack.sync(tenantId);
  const customer = await appIdByName(db, tenantId, 'customers', "Carla O'Brien 3");
  const item = await appIdByName(db, tenantId, 'items', 'Training');
  const sale = await addSale(db, tenantId, {
    type: 'Invoice',
    status: 'Open',
    number: 'F-7',
    customerId: customer,
    lines: [{ itemId: item, qty: '4', price: '60', amount: '240.00' }],
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const handed = await saleRow(db, sale);
  expect(handed.status).toBe('Closed');
  const docs = await qboDocs(stack, realmId);
  const doc = docs.invoices.find((d) => d.Id === handed.qbo_id)!;
  expect(Math.round(doc.TotalAmt * 100)).toBe(24000);

  // Edited after the handoff (more of the same), then reopened: neither reaches QuickBooks.
  await db.updateTable('sale_lines').set({ quantity: '5', amount: '300.00' }).where('sale_id', '=', sale).execute();
  const edited = await lastSeq(stack.admin);
  const run1 = await stack.sync(tenantId);
  expect(run1.status).toBe('succeeded');
  await db.updateTable('sales').set({ status: 'Open' }).where('id', '=', sale).execute();
  const run2 = await stack.sync(tenantId);
  expect(run2.status).toBe('succeeded');
  expect(await qboWrites(stack.admin, realmId, edited)).toEqual([]);
  expect(await qboDocs(stack, realmId)).toEqual(docs);

  // The app keeps what the user did; the handoff stamp and the link stay.
  expect(await saleRow(db, sale)).toMatchObject({
    status: 'Open',
    qbo_id: handed.qbo_id,
    qbo_doc_number: handed.qbo_doc_number,
    handed_over_at: handed.handed_over_at,
  });
  expect(await qboIdOf(db, tenantId, 'sale', sale)).toBe(`Invoice:${handed.qbo_id}`);

  // Both runs say so, in the problems and the step's ignored count.
  const ignored = (await problems(db, tenantId)).filter((p) => p.code === 'qbsync-ignored');
  expect(ignored.map((p) => [p.run_id, p.entity, p.step, Number(p.app_id), p.skipped])).toEqual([
    [run1.runId, 'sale', 'invoices', sale, true],
    [run2.runId, 'sale', 'invoices', sale, true],
  ]);
  expect(ignored[0].message).toContain(`handed over to QuickBooks as Invoice ${handed.qbo_doc_number}`);
  const steps = await db
    .selectFrom('sync_step_runs')
    .select(['run_id', 'ignored'])
    .where('step', '=', 'invoices')
    .where('run_id', 'in', [run1.runId, run2.runId])
    .execute();
  expect(steps.map((s) => s.ignored)).toEqual([1, 1]);
});

test('custom numbers on: a ready sale QuickBooks already has under its number (a handoff whose link was lost) is linked, not created again', async () => {
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo', customTxnNumbers: true });
  await stack.sync(tenantId);
  const customer = await appIdByName(db, tenantId, 'customers', "Dinesh O'Brien 4");
  const item = await appIdByName(db, tenantId, 'items', 'Maintenance');
  const qboCustomer = (await qboIdOf(db, tenantId, 'customer', customer))!;
  const qboItem = (await qboIdOf(db, tenantId, 'item', item))!;
  const existing = (
    await stack.qboFetch(realmId, 'POST', 'invoice', {
      CustomerRef: { value: qboCustomer },
      DocNumber: 'W-55',
      TxnDate: '2026-11-20',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 190,
          SalesItemLineDetail: { ItemRef: { value: qboItem }, Qty: 2, UnitPrice: 95 },
        },
      ],
    })
  ).Invoice as { Id: string };
  // Same number and customer, another amount: a different document, and QuickBooks refuses a second W-56.
  const other = (
    await stack.qboFetch(realmId, 'POST', 'invoice', {
      CustomerRef: { value: qboCustomer },
      DocNumber: 'W-56',
      TxnDate: '2026-11-20',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 95,
          SalesItemLineDetail: { ItemRef: { value: qboItem }, Qty: 1, UnitPrice: 95 },
        },
      ],
    })
  ).Invoice as { Id: string };
  expect(other.Id).toBeDefined();
  const twin = await addSale(db, tenantId, {
    type: 'Invoice',
    status: 'Open',
    number: 'W-55',
    customerId: customer,
    lines: [{ itemId: item, qty: '2', price: '95', amount: '190.00' }],
  });
  const clash = await addSale(db, tenantId, {
    type: 'Invoice',
    status: 'Open',
    number: 'W-56',
    customerId: customer,
    lines: [{ itemId: item, qty: '3', price: '95', amount: '285.00' }],
  });
  const before = (await qboDocs(stack, realmId)).invoices.length;

  const run = await stack.sync(tenantId).catch((e: unknown) => e);
  // W-56 is a different document: sending the sale fails clearly (6140), the step stops, nothing is duplicated.
  expect(run).toBeInstanceOf(Error);
  expect((await qboDocs(stack, realmId)).invoices).toHaveLength(before);
  expect(await saleRow(db, twin)).toMatchObject({ status: 'Closed', qbo_id: existing.Id, qbo_doc_number: 'W-55' });
  expect(await saleRow(db, clash)).toMatchObject({ status: 'Open', qbo_id: null });
  const failed = (await problems(db, tenantId)).filter((p) => p.entity === 'sale' && !p.skipped);
  expect(failed.map((p) => [Number(p.app_id), p.code])).toEqual([[clash, '6140']]);
});
