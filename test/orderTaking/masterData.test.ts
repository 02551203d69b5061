import type { Db } from '../../schema/db';
import { runCli } from '../helpers/cli';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';
import { addSale, appIdByName, problems, qboIdOf, saleRow } from './helpers';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('ordertaking_master');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

type QboItem = { Id: string; SyncToken: string; Name: string; QtyOnHand?: number; SalesTaxCodeRef?: { value: string } };
type QboCustomer = {
  Id: string;
  SyncToken: string;
  DisplayName: string;
  PrimaryPhone?: { FreeFormNumber?: string };
  ShipAddr?: { Line1?: string };
};

async function qboItem(realmId: string, name: string): Promise<QboItem> {
  return (await stack.admin.entities<QboItem>(realmId, 'Item')).find((i) => i.Name === name)!;
}

test('stock levels, tax codes and customer changes follow QuickBooks, whatever the app had', async () => {
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo' });
  await stack.sync(tenantId);
  const router = await appIdByName(db, tenantId, 'items', 'Router');
  expect(
    (await db.selectFrom('items').select('quantity_on_hand').where('id', '=', router).executeTakeFirstOrThrow())
      .quantity_on_hand,
  ).toBe('40.0000');

  // In QuickBooks: stock sold down, an item given a tax code, a customer's shipping address changed.
  const qRouter = await qboItem(realmId, 'Router');
  await stack.qboFetch(realmId, 'POST', 'item', {
    Id: qRouter.Id,
    SyncToken: qRouter.SyncToken,
    sparse: true,
    QtyOnHand: 37.5,
  });
  const illinois = (await stack.admin.entities<{ Id: string; Name: string }>(realmId, 'TaxCode')).find(
    (c) => c.Name === 'Illinois',
  )!;
  const qShipping = await qboItem(realmId, 'Shipping');
  await stack.qboFetch(realmId, 'POST', 'item', {
    Id: qShipping.Id,
    SyncToken: qShipping.SyncToken,
    sparse: true,
    SalesTaxCodeRef: { value: illinois.Id },
  });
  const qCustomer = (await stack.admin.entities<QboCustomer>(realmId, 'Customer')).find(
    (c) => c.DisplayName === "Erin O'Brien 5",
  )!;
  await stack.qboFetch(realmId, 'POST', 'customer', {
    Id: qCustomer.Id,
    SyncToken: qCustomer.SyncToken,
    sparse: true,
    ShipAddr: { Line1: '9 New Dock', City: 'Chicago', CountrySubDivisionCode: 'IL', PostalCode: '60607' },
  });
  // In the app, meanwhile: the same customer's address and the router's stock edited (QuickBooks is their master).
  const customer = await appIdByName(db, tenantId, 'customers', "Erin O'Brien 5");
  await db
    .updateTable('customers')
    .set({ shipping_address: JSON.stringify({ line1: 'App Street 1' }) })
    .where('id', '=', customer)
    .execute();
  await db.updateTable('items').set({ quantity_on_hand: '1000' }).where('id', '=', router).execute();

  const seq = await lastSeq(stack.admin);
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
  expect(
    (await db.selectFrom('items').select('quantity_on_hand').where('id', '=', router).executeTakeFirstOrThrow())
      .quantity_on_hand,
  ).toBe('37.5000');
  const shipping = await db
    .selectFrom('items')
    .select('tax_code_id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', 'Shipping')
    .executeTakeFirstOrThrow();
  expect(shipping.tax_code_id).toBe(await appIdByName(db, tenantId, 'tax_codes', 'Illinois'));
  const row = await db
    .selectFrom('customers')
    .select('shipping_address')
    .where('id', '=', customer)
    .executeTakeFirstOrThrow();
  expect(row.shipping_address).toEqual({
    line1: '9 New Dock',
    line2: null,
    line3: null,
    city: 'Chicago',
    region: 'IL',
    postalCode: '60607',
    country: null,
  });
  // The app's edits were not sent: QuickBooks' changes won, recorded as conflicts it won whatever the tenant's policy.
  expect((await qboItem(realmId, 'Router')).QtyOnHand).toBe(37.5);
  const conflicts = await db
    .selectFrom('sync_conflicts')
    .select(['entity', 'app_id', 'winner'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  expect(conflicts.map((c) => [c.entity, Number(c.app_id), c.winner])).toEqual([
    ['customer', customer, 'quickbooks'],
    ['item', router, 'quickbooks'],
  ]);
  // The app's edit of stock alone (QuickBooks unchanged) is not sent either: it is reported as ignored.
  await db.updateTable('items').set({ quantity_on_hand: '5' }).where('id', '=', router).execute();
  const seq2 = await lastSeq(stack.admin);
  const run = await stack.sync(tenantId);
  expect(await qboWrites(stack.admin, realmId, seq2)).toEqual([]);
  expect(
    (await problems(db, tenantId))
      .filter((p) => p.run_id === run.runId)
      .map((p) => [p.entity, Number(p.app_id), p.code, p.skipped]),
  ).toEqual([['item', router, 'qbsync-ignored', true]]);
  // QuickBooks' stock comes back with its next change of the item.
  const fresh = await qboItem(realmId, 'Router');
  await stack.qboFetch(realmId, 'POST', 'item', {
    Id: fresh.Id,
    SyncToken: fresh.SyncToken,
    sparse: true,
    QtyOnHand: 36,
  });
  await stack.sync(tenantId);
  expect(
    (await db.selectFrom('items').select('quantity_on_hand').where('id', '=', router).executeTakeFirstOrThrow())
      .quantity_on_hand,
  ).toBe('36.0000');
});

test('customers: app edits of existing ones are ignored and reported; new ones are created in QuickBooks, linked, and can be sold to in the same run', async () => {
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo' });
  await stack.sync(tenantId);
  const qboCustomers = await stack.admin.entities<QboCustomer>(realmId, 'Customer');

  const existing = await appIdByName(db, tenantId, 'customers', "Farid O'Brien 6");
  const phoneBefore = qboCustomers.find((c) => c.DisplayName === "Farid O'Brien 6")!.PrimaryPhone?.FreeFormNumber;
  await db.updateTable('customers').set({ phone: '(999) 000-0000' }).where('id', '=', existing).execute();
  const created = (
    await db
      .insertInto('customers')
      .values({
        tenant_id: tenantId,
        display_name: 'Field Sale Customer',
        email: 'field@example.com',
        billing_address: JSON.stringify({ line1: '1 Field Rd', city: 'Austin' }),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const item = await appIdByName(db, tenantId, 'items', 'Installation');
  const sale = await addSale(db, tenantId, {
    type: 'Order',
    status: 'Open',
    number: 'N-1',
    customerId: created,
    lines: [{ itemId: item, qty: '1', price: '75', amount: '75.00' }],
  });

  const seq = await lastSeq(stack.admin);
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  const after = await stack.admin.entities<QboCustomer & { BillAddr?: { Line1?: string } }>(realmId, 'Customer');
  expect(after).toHaveLength(qboCustomers.length + 1);
  const newOne = after.find((c) => c.DisplayName === 'Field Sale Customer')!;
  expect(newOne.BillAddr?.Line1).toBe('1 Field Rd');
  expect(await qboIdOf(db, tenantId, 'customer', created)).toBe(newOne.Id);
  expect(after.find((c) => c.DisplayName === "Farid O'Brien 6")!.PrimaryPhone?.FreeFormNumber).toBe(phoneBefore);
  // The customer was created in the customers step, the order for it handed over in the invoices step.
  const handed = await saleRow(db, sale);
  const estimate = (
    await stack.admin.entities<{ Id: string; CustomerRef: { value: string } }>(realmId, 'Estimate')
  ).find((e) => e.Id === handed.qbo_id)!;
  expect(estimate.CustomerRef.value).toBe(newOne.Id);
  expect((await qboWrites(stack.admin, realmId, seq)).map((w) => w.operation)).toEqual(['batch', 'batch']);

  // The history says what was ignored and why, on the command line too.
  const steps = await db
    .selectFrom('sync_step_runs')
    .select(['step', 'ignored', 'pushed_created'])
    .where('run_id', '=', run.runId)
    .orderBy('position')
    .execute();
  expect(steps.find((s) => s.step === 'customers')).toEqual({ step: 'customers', ignored: 1, pushed_created: 1 });
  const cli = await runCli(['history', tenantId, '--limit', '1'], stack.env);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain('order-taking');
  expect(cli.stdout).toMatch(/customers .* ignored 1/);
  expect(cli.stdout).toContain(`ignored: customer "Farid O'Brien 6" (app ${existing}) [qbsync-ignored]`);

  // Nothing of it is reported or sent again.
  const quiet = await lastSeq(stack.admin);
  const again = await stack.sync(tenantId);
  expect(await qboWrites(stack.admin, realmId, quiet)).toEqual([]);
  expect((await problems(db, tenantId)).filter((p) => p.run_id === again.runId)).toEqual([]);
});

test('a customer added on both sides before a sync is linked, not duplicated', async () => {
  const { tenantId, realmId } = await stack.addTenant({ mode: 'order-taking', seed: 'demo' });
  await stack.sync(tenantId);
  await stack.qboFetch(realmId, 'POST', 'customer', {
    DisplayName: 'Twin Traders',
    PrimaryEmailAddr: { Address: 'twin@example.com' },
  });
  const app = (
    await db
      .insertInto('customers')
      .values({ tenant_id: tenantId, display_name: 'Twin Traders', phone: '(312) 555-0101' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const seq = await lastSeq(stack.admin);
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const twins = (await stack.admin.entities<QboCustomer>(realmId, 'Customer')).filter(
    (c) => c.DisplayName === 'Twin Traders',
  );
  expect(twins).toHaveLength(1);
  expect(await qboIdOf(db, tenantId, 'customer', app)).toBe(twins[0].Id);
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
  // QuickBooks' version stands (it is the master of customers in this mode).
  expect(
    await db.selectFrom('customers').select(['email', 'phone']).where('id', '=', app).executeTakeFirstOrThrow(),
  ).toEqual({ email: 'twin@example.com', phone: null });
});
