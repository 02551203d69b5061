import { sql } from 'kysely';
import { createDesktopStack, type DesktopStack } from './desktopStack';

/**
 * The first Full Integration of the `salesin` seed through the Web Connector: every customer (with addresses), item
 * (category via ParentRef, tax code, price, stock), price level (both kinds) and tax code in the app, field by field;
 * a second run with nothing changed sends only queries.
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_full');
});
afterAll(async () => {
  await stack?.close();
});

const str = (v: unknown) => (v === undefined || v === null || v === '' ? null : String(v));
const num = (v: unknown) => (v === undefined || v === null ? null : Number(v));

async function linkMap(tenantId: string, entity: string): Promise<Map<string, number>> {
  const rows = await stack.database.db
    .selectFrom('sync_links')
    .select(['remote_id', 'app_id'])
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .execute();
  return new Map(rows.map((r) => [r.remote_id, r.app_id]));
}

test('first Full Integration of salesin, then a second run that writes nothing', async () => {
  const { tenantId, company, connector } = await stack.addTenant({ seed: 'salesin' });
  const result = await stack.sync(tenantId);
  expect(result).toBeDefined();
  const db = stack.database.db;

  // Customers, field by field (jobs under their parent; price level and tax code, pulled in the later items step).
  const customers = company.customers();
  const customerLinks = await linkMap(tenantId, 'customer');
  const codeLinks = await linkMap(tenantId, 'tax_code');
  const levelLinks = await linkMap(tenantId, 'price_level');
  const refOf = (r: unknown, links: Map<string, number>) =>
    r ? links.get(String((r as Record<string, unknown>).ListID))! : null;
  expect(customers.filter((c) => c.PriceLevelRef).length).toBeGreaterThan(0);
  expect(customers.filter((c) => c.SalesTaxCodeRef).length).toBeGreaterThan(0);
  expect(customerLinks.size).toBe(customers.length);
  const appCustomers = await db.selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).execute();
  expect(appCustomers).toHaveLength(customers.length);
  for (const c of customers) {
    const row = appCustomers.find((r) => r.id === customerLinks.get(String(c.ListID)))!;
    expect(row).toBeDefined();
    const bill = (c.BillAddress ?? {}) as Record<string, unknown>;
    const ship = (c.ShipAddress ?? {}) as Record<string, unknown>;
    expect({
      name: row.display_name,
      company: row.company_name,
      first: row.given_name,
      last: row.family_name,
      email: row.email,
      phone: row.phone,
      active: row.active,
      parent: row.parent_id,
      priceLevel: row.price_level_id,
      taxCode: row.tax_code_id,
      bill1: row.billing_address?.line1 ?? null,
      bill2: row.billing_address?.line2 ?? null,
      billCity: row.billing_address?.city ?? null,
      billZip: row.billing_address?.postalCode ?? null,
      ship2: row.shipping_address?.line2 ?? null,
    }).toEqual({
      name: c.Name,
      company: str(c.CompanyName),
      first: str(c.FirstName),
      last: str(c.LastName),
      email: str(c.Email)?.toLowerCase() ?? null,
      phone: str(c.Phone),
      active: c.IsActive !== 'false',
      parent: refOf(c.ParentRef, customerLinks),
      priceLevel: refOf(c.PriceLevelRef, levelLinks),
      taxCode: refOf(c.SalesTaxCodeRef, codeLinks),
      bill1: str(bill.Addr1),
      bill2: str(bill.Addr2),
      billCity: str(bill.City),
      billZip: str(bill.PostalCode),
      ship2: str(ship.Addr2),
    });
  }

  // Tax codes and tax items.
  // Every late reference was filled within the run.
  expect(await db.selectFrom('sync_late_references').selectAll().where('tenant_id', '=', tenantId).execute()).toEqual(
    [],
  );
  const codes = company.salesTaxCodes();
  expect(codeLinks.size).toBe(codes.length);
  const appCodes = await db.selectFrom('tax_codes').selectAll().where('tenant_id', '=', tenantId).execute();
  for (const code of codes) {
    const row = appCodes.find((r) => r.id === codeLinks.get(String(code.ListID)))!;
    expect({ name: row.name, taxable: row.taxable }).toEqual({ name: code.Name, taxable: code.IsTaxable === 'true' });
  }
  const taxItems = company.items().filter((i) => 'TaxRate' in i);
  expect((await linkMap(tenantId, 'tax_rate')).size).toBe(taxItems.length);

  // Items: sellable types with category, tax code, price and stock.
  const items = company
    .items()
    .filter(
      (i) => !('TaxRate' in i) && !('ItemGroupLine' in i) && !('DiscountRate' in i) && !('DiscountRatePercent' in i),
    );
  const itemLinks = await linkMap(tenantId, 'item');
  const appItems = await db.selectFrom('items').selectAll().where('tenant_id', '=', tenantId).execute();
  expect(appItems).toHaveLength(items.length);
  for (const i of items) {
    const row = appItems.find((r) => r.id === itemLinks.get(String(i.ListID)))!;
    expect(row).toBeDefined();
    const sp = (i.SalesOrPurchase ?? {}) as Record<string, unknown>;
    expect({
      name: row.name,
      price: num(row.unit_price),
      stock: num(row.quantity_on_hand),
      parent: row.parent_id,
      code: row.tax_code_id,
    }).toEqual({
      name: i.Name,
      price: num(i.SalesPrice ?? sp.Price ?? '0'),
      stock: 'QuantityOnHand' in i ? num(i.QuantityOnHand) : null,
      parent: i.ParentRef ? itemLinks.get(String((i.ParentRef as Record<string, unknown>).ListID))! : null,
      code: codeLinks.get(String((i.SalesTaxCodeRef as Record<string, unknown>).ListID))!,
    });
  }

  // Price levels, both kinds.
  const levels = company.priceLevels();
  const appLevels = await db.selectFrom('price_levels').selectAll().where('tenant_id', '=', tenantId).execute();
  expect(appLevels).toHaveLength(levels.length);
  for (const level of levels) {
    const row = appLevels.find((r) => r.name === level.Name)!;
    expect(row.kind).toBe(level.PriceLevelType === 'PerItem' ? 'per-item' : 'fixed-percentage');
    if (level.PriceLevelType === 'FixedPercentage') expect(num(row.percent)).toBe(num(level.PriceLevelFixedPercentage));
    const perItem = ([] as unknown[]).concat(level.PriceLevelPerItemRet ?? []) as Array<Record<string, unknown>>;
    const lines = await db.selectFrom('price_level_items').selectAll().where('price_level_id', '=', row.id).execute();
    expect(lines).toHaveLength(perItem.length);
    for (const p of perItem) {
      const line = lines.find(
        (l) => l.item_id === itemLinks.get(String((p.ItemRef as Record<string, unknown>).ListID)),
      )!;
      expect({ price: num(line.unit_price), percent: num(line.percent) }).toEqual({
        price: num(p.CustomPrice),
        percent: num(p.CustomPricePercent),
      });
    }
  }

  // A second run with nothing changed: only queries reach QuickBooks, and the app is not written.
  const before = new Date();
  const seq = connector.log.list({}).at(-1)?.seq ?? 0;
  await stack.sync(tenantId);
  const sent = connector.log.list({ sinceSeq: seq }).flatMap((e) => (e.qbxmlRequest ? [e.qbxmlRequest] : []));
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.filter((d) => /<\w+(Add|Mod)Rq/.test(d))).toEqual([]);
  const { rows } = await sql<{ n: number }>`
    select (select count(*) from customers where tenant_id = ${tenantId} and updated_at > ${before})
         + (select count(*) from items where tenant_id = ${tenantId} and updated_at > ${before})
         + (select count(*) from price_levels where tenant_id = ${tenantId} and updated_at > ${before}) as n`.execute(
    db,
  );
  expect(Number(rows[0].n)).toBe(0);

  // A customer's price level and tax code changed in QuickBooks reach the app on the next run; one cleared too.
  const [levelA, levelB] = company.priceLevels().map((l) => String(l.ListID));
  const taxed = customers.find((c) => c.PriceLevelRef && c.SalesTaxCodeRef && !c.ParentRef)!;
  const oldLevel = String((taxed.PriceLevelRef as Record<string, unknown>).ListID);
  const newLevel = oldLevel === levelA ? levelB : levelA;
  const otherCode = company
    .salesTaxCodes()
    .find((s) => s.ListID !== (taxed.SalesTaxCodeRef as { ListID: string }).ListID)!;
  company.touchRecord(String(taxed.ListID), {
    PriceLevelListID: newLevel,
    SalesTaxCodeListID: String(otherCode.ListID),
  });
  const cleared = customers.find((c) => c.PriceLevelRef && c.ListID !== taxed.ListID && !c.ParentRef)!;
  company.touchRecord(String(cleared.ListID), { PriceLevelListID: '' });
  await stack.sync(tenantId);
  const changed = await db
    .selectFrom('customers')
    .select(['id', 'price_level_id', 'tax_code_id'])
    .where('id', 'in', [customerLinks.get(String(taxed.ListID))!, customerLinks.get(String(cleared.ListID))!])
    .orderBy('id')
    .execute();
  expect(Object.fromEntries(changed.map((r) => [r.id, [r.price_level_id, r.tax_code_id]]))).toEqual({
    [customerLinks.get(String(taxed.ListID))!]: [levelLinks.get(newLevel), codeLinks.get(String(otherCode.ListID))],
    [customerLinks.get(String(cleared.ListID))!]: [null, refOf(cleared.SalesTaxCodeRef, codeLinks)],
  });
});
