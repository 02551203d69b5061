import { addSale, appIdByName, saleRow } from '../orderTaking/helpers';
import { until } from '../helpers/until';
import { createDesktopStack, type DesktopStack } from './desktopStack';

/**
 * Reckon Accounts: qbXML 6.1 only, AU tax codes (GST, FRE, E), GST-inclusive prices and sales. qbXML 6.1 has no
 * ExternalGUID, so a sale's mark travels in `Other`; a lost answer is still resolved without a duplicate.
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_reckon');
});
afterAll(async () => {
  await stack?.close();
});

test('Full Integration of the reckon seed and a GST-inclusive sale, all in qbXML 6.1', async () => {
  const t = await stack.addTenant({ seed: 'reckon' });
  await stack.sync(t.tenantId);
  const db = stack.database.db;
  const codes = await db
    .selectFrom('tax_codes')
    .select(['name', 'taxable'])
    .where('tenant_id', '=', t.tenantId)
    .execute();
  expect(codes.map((c) => c.name).sort()).toEqual(['E', 'FRE', 'GST']);
  const customers = await db
    .selectFrom('customers')
    .select(['display_name', 'tax_code_id', 'price_level_id'])
    .where('tenant_id', '=', t.tenantId)
    .execute();
  expect(customers).toHaveLength(t.company.customers().length);
  // Each customer's AU tax code and price level (pulled after customers, in the items step) by name.
  const names = async (table: 'tax_codes' | 'price_levels') =>
    new Map(
      (await db.selectFrom(table).select(['id', 'name']).where('tenant_id', '=', t.tenantId).execute()).map((r) => [
        r.id,
        r.name,
      ]),
    );
  const [codeNames, levelNames] = [await names('tax_codes'), await names('price_levels')];
  const nameOf = (ref: unknown) => (ref ? String((ref as Record<string, unknown>).FullName) : null);
  const expected = t.company.customers().map((c) => [c.Name, nameOf(c.SalesTaxCodeRef), nameOf(c.PriceLevelRef)]);
  expect(expected.filter(([, code]) => code).length).toBeGreaterThan(0);
  expect(
    customers.map((c) => [
      c.display_name,
      c.tax_code_id === null ? null : codeNames.get(c.tax_code_id),
      c.price_level_id === null ? null : levelNames.get(c.price_level_id),
    ]),
  ).toEqual(expect.arrayContaining(expected));
  const drill = await appIdByName(db, t.tenantId, 'items', 'Cordless Drill');
  const drillRow = await db.selectFrom('items').selectAll().where('id', '=', drill).executeTakeFirstOrThrow();
  expect(Number(drillRow.unit_price)).toBe(163.9); // GST-inclusive AU price

  const customer = await appIdByName(db, t.tenantId, 'customers', 'Abercrombie Hardware');
  const order = await addSale(db, t.tenantId, {
    type: 'Order',
    status: 'Open',
    customerId: customer,
    lines: [{ itemId: drill, qty: '1', price: '163.90', amount: '163.90' }],
  });
  t.company.faults.add({ kind: 'responseLost', count: 1, requestType: 'SalesOrderAddRq' });
  const run = stack.sync(t.tenantId);
  await until(
    'the sales order reaches Reckon',
    () => t.company.salesOrders().length,
    (n) => n >= 1,
  );
  t.company.data.messageSets.clear(); // Reckon forgot the message set: the twin is found by its mark in Other.
  await run;
  const orders = t.company.salesOrders();
  expect(orders).toHaveLength(1);
  expect(orders[0].IsTaxIncluded).toBe('true');
  expect(String(orders[0].Other)).toMatch(/^qbsync:/);
  expect(await saleRow(db, order)).toMatchObject({ status: 'Closed', qbo_entity: 'SalesOrder', total: '163.90' });

  const docs = t.connector.log.list({}).flatMap((e) => (e.qbxmlRequest ? [e.qbxmlRequest] : []));
  expect(docs.length).toBeGreaterThan(5);
  for (const d of docs) expect(d).toContain('<?qbxml version="6.1"?>');
  expect(docs.some((d) => d.includes('ExternalGUID'))).toBe(false);
});
