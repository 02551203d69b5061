import { createDesktopCompany, parseXml } from '../../emulator/desktop';
import { addSale, appIdByName, ORDER_TAKING } from '../orderTaking/helpers';
import { until } from '../helpers/until';
import { createDesktopStack, type DesktopStack, type DesktopTenant } from './desktopStack';

/**
 * Every qbXML document qbsync sends, captured from the Web Connector simulator's log across a Full Integration, a
 * second (incremental) run, the hand-over of each sale type with an app-created customer, a lost answer (message-set
 * recovery and the twin search) and a small iterator page — validated against the emulator's schema module
 * (emulator/desktop/schema.ts, element order, required elements, types, maximum lengths) by a company that runs
 * nothing: qbXML 13.0 for QuickBooks, 6.1 for Reckon.
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_qbxml', { pageSize: 7 });
});
afterAll(async () => {
  await stack?.close();
});

async function flow(t: DesktopTenant): Promise<void> {
  const db = stack.database.db;
  await stack.sync(t.tenantId);
  const customer = await appIdByName(db, t.tenantId, 'customers', 'Abercrombie Hardware');
  const drill = await appIdByName(db, t.tenantId, 'items', 'Cordless Drill');
  const created = await db
    .insertInto('customers')
    .values({
      tenant_id: t.tenantId,
      display_name: 'Validation Hardware & Sons',
      company_name: 'Validation Hardware',
      email: 'v@example.com',
      billing_address: JSON.stringify({ line1: '1 Main St', city: 'Reno', region: 'NV', postalCode: '89501' }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const lines = [{ itemId: drill, qty: '2', price: '149.00', amount: '298.00' }];
  for (const type of ['Order', 'Invoice', 'Quote'])
    await addSale(db, t.tenantId, { type, status: 'Open', customerId: customer, lines });
  await addSale(db, t.tenantId, { type: 'Invoice', status: 'Open', customerId: created.id, lines });
  // The first sale add's answer is lost and QuickBooks forgets the message set: recovery, then the twin search.
  t.company.faults.add({ kind: 'responseLost', count: 1, requestType: 'SalesOrderAddRq' });
  const run = stack.sync(t.tenantId);
  await until(
    'the sales order reaches QuickBooks',
    () => t.company.salesOrders().filter((d) => d.ExternalGUID || /^qbsync:/.test(String(d.Other ?? ''))).length,
    (n) => n >= 1,
  );
  t.company.data.messageSets.clear();
  await run;
  await stack.sync(t.tenantId);
}

function validate(t: DesktopTenant, version: '13.0' | '6.1') {
  const docs = t.connector.log.list({}).flatMap((e) => (e.qbxmlRequest ? [e.qbxmlRequest] : []));
  // A fresh company of the same product judges them (running nothing), as QuickBooks' parser would.
  const judge = createDesktopCompany({ seed: version === '6.1' ? 'reckon' : 'salesin' });
  const kinds = new Map<string, number>();
  const faults: string[] = [];
  for (const doc of docs) {
    // The endpoint's closing query (nothing left to do) is 6.1, which every QuickBooks and Reckon reads.
    const closing = doc.includes('requestID="qbsync-close"');
    expect(doc).toContain(`<?qbxml version="${closing ? '6.1' : version}"?>`);
    try {
      const { problems } = judge.executor.validate(doc);
      for (const p of problems) faults.push(`${p.request}: ${p.code} ${p.field} "${p.value}"`);
    } catch (error) {
      faults.push(`${(error as Error).message}\n${doc}`);
    }
    for (const rq of parseXml(doc).root.children[0].children) kinds.set(rq.name, (kinds.get(rq.name) ?? 0) + 1);
  }
  expect(faults).toEqual([]);
  // The judge does reject what QuickBooks would: the customer add with its first two elements swapped.
  const add = docs.find((d) => d.includes('<CustomerAddRq'))!;
  const swapped = add.replace(/(<Name>[^<]*<\/Name>)(\s*)(<IsActive>[^<]*<\/IsActive>)/, '$3$2$1');
  expect(swapped).not.toBe(add);
  expect(() => judge.executor.validate(swapped)).toThrow(/error when parsing the provided XML/);
  return { docs: docs.length, kinds };
}

test('qbXML 13.0 (QuickBooks): every document qbsync sent is valid', async () => {
  const t = await stack.addTenant({ seed: 'salesin', settings: { orderTaking: ORDER_TAKING } });
  await flow(t);
  const { docs, kinds } = validate(t, '13.0');
  expect(docs).toBeGreaterThan(20);
  const sent = [
    'CustomerQueryRq',
    'ItemQueryRq',
    'PriceLevelQueryRq',
    'SalesTaxCodeQueryRq',
    'ItemSalesTaxQueryRq',
    'ListDeletedQueryRq',
    'TxnDeletedQueryRq',
    'CustomerAddRq',
    'SalesOrderAddRq',
    'InvoiceAddRq',
    'EstimateAddRq',
    'HostQueryRq',
    'SalesOrderQueryRq',
  ];
  expect(sent.filter((rq) => !kinds.has(rq))).toEqual([]);
});

test('qbXML 6.1 (Reckon): every document qbsync sent is valid', async () => {
  const t = await stack.addTenant({ seed: 'reckon', settings: { orderTaking: ORDER_TAKING } });
  await flow(t);
  const { docs, kinds } = validate(t, '6.1');
  expect(docs).toBeGreaterThan(20);
  const sent = ['CustomerQueryRq', 'ItemQueryRq', 'ListDeletedQueryRq', 'TxnDeletedQueryRq', 'CustomerAddRq'];
  sent.push('SalesOrderAddRq', 'InvoiceAddRq', 'EstimateAddRq', 'HostQueryRq', 'SalesOrderQueryRq');
  expect(sent.filter((rq) => !kinds.has(rq))).toEqual([]);
});
