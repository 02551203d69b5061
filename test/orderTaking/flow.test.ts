import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';
import { addSale, appIdByName, ORDER_TAKING, pendingChanges, qboDocs, qboIdOf, saleRow } from './helpers';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('ordertaking_flow');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

const count = async (
  table: 'customers' | 'items' | 'tax_codes' | 'tax_rates' | 'invoices' | 'payments' | 'estimates',
  tenantId: string,
) =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * The whole order-taking flow on the demo company: master data comes from QuickBooks, then the app's ready sales of the
 * transferable types become QuickBooks documents and are handed over (status Closed, QuickBooks' number and Id stamped),
 * the others stay in the app. Custom numbering off: QuickBooks numbers them and orders become Estimates; on: the app's
 * numbers are sent and orders become Invoices (orderAs).
 */
describe.each([
  { customTxnNumbers: false, orderAs: 'Estimate' as const },
  { customTxnNumbers: true, orderAs: 'Invoice' as const },
])('custom transaction numbers $customTxnNumbers, orders as $orderAs', ({ customTxnNumbers, orderAs }) => {
  test('master data in, ready sales out and handed over, nothing twice', async () => {
    const { tenantId, realmId } = await stack.addTenant({
      mode: 'order-taking',
      seed: 'demo',
      customTxnNumbers,
      settings: { orderTaking: { ...ORDER_TAKING, orderAs } },
    });

    // 1. Master data: QuickBooks → app, nothing written to QuickBooks.
    const first = await stack.sync(tenantId);
    expect(first.status).toBe('succeeded');
    expect(first.steps.map((s) => [s.step, s.status])).toEqual([
      ['customers', 'succeeded'],
      ['items', 'succeeded'],
      ['taxes', 'succeeded'],
      ['invoices', 'succeeded'],
      ['payments', 'succeeded'],
    ]);
    expect(await qboWrites(stack.admin, realmId)).toEqual([]);
    type QboCustomer = {
      Id: string;
      DisplayName: string;
      BillAddr: { Line1: string; City: string; PostalCode: string };
      ShipAddr: { Line1: string };
    };
    const qboCustomers = await stack.admin.entities<QboCustomer>(realmId, 'Customer');
    expect(await count('customers', tenantId)).toBe(qboCustomers.length);
    expect(await count('items', tenantId)).toBe((await stack.admin.entities(realmId, 'Item')).length);
    expect(await count('tax_codes', tenantId)).toBe((await stack.admin.entities(realmId, 'TaxCode')).length);
    expect(await count('tax_rates', tenantId)).toBe((await stack.admin.entities(realmId, 'TaxRate')).length);
    // Sales documents, payments and estimates stay in QuickBooks in this mode.
    expect([
      await count('invoices', tenantId),
      await count('payments', tenantId),
      await count('estimates', tenantId),
    ]).toEqual([0, 0, 0]);
    // Billing and shipping addresses, where they differ.
    const shipsElsewhere = qboCustomers.find((c) => c.ShipAddr.Line1 !== c.BillAddr.Line1)!;
    const customerRow = await db
      .selectFrom('customers')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('display_name', '=', shipsElsewhere.DisplayName)
      .executeTakeFirstOrThrow();
    expect(customerRow.billing_address).toMatchObject({
      line1: shipsElsewhere.BillAddr.Line1,
      city: shipsElsewhere.BillAddr.City,
      postalCode: shipsElsewhere.BillAddr.PostalCode,
    });
    expect(customerRow.shipping_address).toMatchObject({ line1: shipsElsewhere.ShipAddr.Line1 });
    // Categories and their items, and stock.
    const router = await db
      .selectFrom('items')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', 'Router')
      .executeTakeFirstOrThrow();
    const hardware = await db
      .selectFrom('items')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', 'Hardware')
      .executeTakeFirstOrThrow();
    expect(hardware.type).toBe('Category');
    expect(router.parent_id).toBe(hardware.id);
    expect(Number(router.quantity_on_hand)).toBe(40);

    // 2. The app takes orders.
    const customer = await appIdByName(db, tenantId, 'customers', "Amy O'Brien 1");
    const installation = await appIdByName(db, tenantId, 'items', 'Installation');
    const illinois = await appIdByName(db, tenantId, 'tax_codes', 'Illinois');
    const tax = await appIdByName(db, tenantId, 'tax_codes', 'TAX');
    const non = await appIdByName(db, tenantId, 'tax_codes', 'NON');
    const lines = [
      { itemId: router.id, qty: '2', price: '149.99', amount: '299.98', taxCodeId: tax },
      { itemId: installation, qty: '1', price: '75', amount: '75.00', taxCodeId: non },
    ];
    const sale = (type: string, status: string, number: string) =>
      addSale(db, tenantId, { type, status, number, customerId: customer, taxCodeId: illinois, lines });
    const invoice = await sale('Invoice', 'Open', 'S-1001');
    const quote = await sale('Quote', 'Open', 'S-1002');
    const order = await sale('Order', 'Open', 'S-1003');
    const salesOrder = await sale('Sales Order', 'Open', 'S-1004');
    const creditNote = await sale('Credit Note', 'Open', 'S-1005');
    const draft = await sale('Invoice', 'Draft', 'S-1006');
    const before = await qboDocs(stack, realmId);

    // 3. They are handed over.
    const seq = await lastSeq(stack.admin);
    const second = await stack.sync(tenantId);
    expect(second.status).toBe('succeeded');
    const after = await qboDocs(stack, realmId);
    const asInvoice = orderAs === 'Invoice' ? [invoice, order, salesOrder] : [invoice];
    const asEstimate = orderAs === 'Invoice' ? [quote] : [quote, order, salesOrder];
    expect(after.invoices).toHaveLength(before.invoices.length + asInvoice.length);
    expect(after.estimates).toHaveLength(before.estimates.length + asEstimate.length);
    // One batch, nothing else written.
    expect((await qboWrites(stack.admin, realmId, seq)).map((w) => w.operation)).toEqual(['batch']);

    const customerQboId = await qboIdOf(db, tenantId, 'customer', customer);
    for (const [ids, entity, docs] of [
      [asInvoice, 'Invoice', after.invoices],
      [asEstimate, 'Estimate', after.estimates],
    ] as const) {
      for (const id of ids) {
        const row = await saleRow(db, id);
        const doc = docs.find((d) => d.Id === row.qbo_id)!;
        expect(doc).toBeDefined();
        expect(row).toMatchObject({ status: 'Closed', qbo_entity: entity, qbo_doc_number: doc.DocNumber });
        expect(row.handed_over_at).toBeInstanceOf(Date);
        expect(await qboIdOf(db, tenantId, 'sale', id)).toBe(`${entity}:${doc.Id}`);
        expect(doc.CustomerRef.value).toBe(customerQboId);
        // QuickBooks' tax (7.5% of the taxable 299.98) and totals, stamped back to the cent.
        expect(row).toMatchObject({ subtotal: '374.98', tax: '22.50', total: '397.48' });
        expect(Math.round(doc.TotalAmt * 100)).toBe(39748);
        if (customTxnNumbers) expect(doc.DocNumber).toBe(row.number);
        else expect(doc.DocNumber).toMatch(/^\d+$/);
        const isOrder = id === order || id === salesOrder;
        if (isOrder) expect(doc.PrivateNote).toBe(`Order ${row.number}`);
        else expect(doc.PrivateNote).toBeUndefined();
        if (entity === 'Estimate') expect(doc.TxnStatus).toBe(isOrder ? 'Accepted' : 'Pending');
      }
    }
    // QuickBooks numbers are distinct.
    const numbers = [...after.invoices, ...after.estimates].map((d) => d.DocNumber).filter(Boolean);
    expect(new Set(numbers).size).toBe(numbers.length);

    // A type that never transfers, and a sale not ready yet: untouched, in the app only.
    for (const id of [creditNote, draft]) {
      const row = await saleRow(db, id);
      expect(row).toMatchObject({ qbo_id: null, qbo_doc_number: null, handed_over_at: null });
      expect(await qboIdOf(db, tenantId, 'sale', id)).toBeUndefined();
    }
    expect((await saleRow(db, creditNote)).status).toBe('Open');
    expect(await pendingChanges(db, tenantId, 'sale')).toBe(0);

    // 4. A run without edits writes nothing anywhere.
    const quiet = await lastSeq(stack.admin);
    const since = new Date();
    expect((await stack.sync(tenantId)).status).toBe('succeeded');
    expect(await qboWrites(stack.admin, realmId, quiet)).toEqual([]);
    const touched = await sql<{ n: number }>`
      select (select count(*) from sales where tenant_id = ${tenantId} and updated_at > ${since})
           + (select count(*) from customers where tenant_id = ${tenantId} and updated_at > ${since})
           + (select count(*) from items where tenant_id = ${tenantId} and updated_at > ${since}) as n`.execute(db);
    expect(Number(touched.rows[0].n)).toBe(0);

    // 5. The draft becomes ready: it goes now, once.
    await db.updateTable('sales').set({ status: 'Open' }).where('id', '=', draft).execute();
    const ready = await lastSeq(stack.admin);
    expect((await stack.sync(tenantId)).status).toBe('succeeded');
    expect((await qboWrites(stack.admin, realmId, ready)).map((w) => w.operation)).toEqual(['batch']);
    const handed = await saleRow(db, draft);
    expect(handed).toMatchObject({ status: 'Closed', qbo_entity: 'Invoice' });
    expect((await qboDocs(stack, realmId)).invoices).toHaveLength(after.invoices.length + 1);
  });
});
