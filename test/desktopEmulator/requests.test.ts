import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDesktopCompany, type DesktopCompany } from '../../emulator/desktop';
import { all, msgsAttrs, qbxml, responses, text } from './qbxml';

const GUID = '{6B29FC40-CA47-1067-B31D-00DD010662DA}';

function run(
  company: DesktopCompany,
  body: string,
  options?: Parameters<typeof qbxml>[1],
  session = company.newSession(),
) {
  return responses(company.execute(qbxml(body, options), session));
}

const soLine = (item: string, qty: string, extra = '') =>
  `<SalesOrderLineAdd><ItemRef><FullName>${item}</FullName></ItemRef><Quantity>${qty}</Quantity>${extra}</SalesOrderLineAdd>`;
const salesOrder = (customer: string, lines: string, head = '') =>
  `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>${customer}</FullName></CustomerRef>${head}${lines}</SalesOrderAdd></SalesOrderAddRq>`;

describe('customers', () => {
  test('CustomerQuery: ActiveOnly by default, All on request, MaxReturned, IncludeRetElement', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const total = c.customers().length;
    const inactive = c.customers().filter((x) => x.IsActive === 'false').length;
    expect(inactive).toBeGreaterThan(0);
    const [active] = run(c, '<CustomerQueryRq/>');
    expect(all(active, 'CustomerRet')).toHaveLength(total - inactive);
    const [everyone] = run(c, '<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>');
    expect(all(everyone, 'CustomerRet')).toHaveLength(total);
    const [few] = run(
      c,
      '<CustomerQueryRq><MaxReturned>3</MaxReturned><IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>FullName</IncludeRetElement></CustomerQueryRq>',
    );
    const rets = all(few, 'CustomerRet');
    expect(rets).toHaveLength(3);
    for (const r of rets) expect(r.children.map((x) => x.name)).toEqual(['ListID', 'FullName']);
  });

  test('seeded customers have bill and ship addresses, tax code and price levels; jobs are Parent:Child', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const customers = c.customers();
    const top = customers.filter((x) => x.Sublevel === '0');
    expect(top).toHaveLength(40);
    for (const x of top) {
      expect(x.BillAddress).toBeDefined();
      expect(x.ShipAddress).toBeDefined();
      expect(x.SalesTaxCodeRef).toBeDefined();
    }
    const levels = new Set(top.map((x) => (x.PriceLevelRef as { FullName?: string } | undefined)?.FullName));
    expect(levels).toEqual(new Set(['Wholesale -10%', 'Trade Prices', undefined]));
    const job = customers.find((x) => x.Sublevel === '1')!;
    expect(String(job.FullName)).toMatch(/^[^:]+:[^:]+$/);
  });

  test('FromModifiedDate returns what changed since; a missing ListID is warning 500', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    c.clock.advance(3_600_000);
    const target = c.customers()[5];
    c.touchRecord(String(target.ListID), { Phone: '555-0000' });
    const since = new Date(c.clock.now() - 60_000).toISOString().slice(0, 19) + 'Z';
    const sinceLocal = since.replace('Z', '+00:00');
    const [changed] = run(c, `<CustomerQueryRq><FromModifiedDate>${sinceLocal}</FromModifiedDate></CustomerQueryRq>`);
    expect(all(changed, 'CustomerRet').map((r) => text(r, 'ListID'))).toEqual([target.ListID]);
    const [partial] = run(
      c,
      `<CustomerQueryRq><ListID>${String(target.ListID)}</ListID><ListID>80000999-1</ListID></CustomerQueryRq>`,
    );
    expect(partial.attrs.statusCode).toBe('500');
    expect(partial.attrs.statusSeverity).toBe('Warn');
    expect(all(partial, 'CustomerRet')).toHaveLength(1);
  });

  test('CustomerAdd stores ExternalGUID and price level; names are unique across name lists (3100); a bad ref is 3140', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [added] = run(
      c,
      `<CustomerAddRq requestID="a1"><CustomerAdd><Name>Fresh Co</Name><PriceLevelRef><FullName>Trade Prices</FullName></PriceLevelRef><ExternalGUID>${GUID}</ExternalGUID></CustomerAdd></CustomerAddRq>`,
    );
    expect(added.attrs).toMatchObject({ requestID: 'a1', statusCode: '0', statusSeverity: 'Info' });
    const ret = all(added, 'CustomerRet')[0];
    expect(text(ret, 'ExternalGUID')).toBe(GUID);
    expect(text(ret, 'PriceLevelRef', 'FullName')).toBe('Trade Prices');
    expect(c.customers().find((x) => x.Name === 'Fresh Co')?.ExternalGUID).toBe(GUID);
    const [dup] = run(c, '<CustomerAddRq><CustomerAdd><Name>fresh co</Name></CustomerAdd></CustomerAddRq>');
    expect(dup.attrs.statusCode).toBe('3100');
    const [vendorName] = run(
      c,
      '<CustomerAddRq><CustomerAdd><Name>Acme Supply Co</Name></CustomerAdd></CustomerAddRq>',
    );
    expect(vendorName.attrs.statusCode).toBe('3100');
    const [badRef] = run(
      c,
      '<CustomerAddRq><CustomerAdd><Name>Ref Co</Name><PriceLevelRef><FullName>No Such Level</FullName></PriceLevelRef></CustomerAdd></CustomerAddRq>',
    );
    expect(badRef.attrs.statusCode).toBe('3140');
    expect(c.customers().some((x) => x.Name === 'Ref Co')).toBe(false);
  });

  test('CustomerMod: EditSequence must be current (3200), unknown ListID is 3120, and a mod bumps EditSequence', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const target = c.customers()[0];
    const mod = (es: string, id = String(target.ListID)) =>
      `<CustomerModRq><CustomerMod><ListID>${id}</ListID><EditSequence>${es}</EditSequence><Phone>555-1234</Phone></CustomerMod></CustomerModRq>`;
    const [stale] = run(c, mod(String(Number(target.EditSequence) - 1)));
    expect(stale.attrs.statusCode).toBe('3200');
    const [missing] = run(c, mod('1', '80009999-1'));
    expect(missing.attrs.statusCode).toBe('3120');
    const [ok] = run(c, mod(String(target.EditSequence)));
    expect(ok.attrs.statusCode).toBe('0');
    const after = text(all(ok, 'CustomerRet')[0], 'EditSequence')!;
    expect(Number(after)).toBeGreaterThan(Number(target.EditSequence));
    const [again] = run(c, mod(String(target.EditSequence)));
    expect(again.attrs.statusCode).toBe('3200');
  });
});

describe('items, price levels, tax', () => {
  test('item types with categories as parents, prices, tax codes and stock', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [items] = run(c, '<ItemQueryRq/>');
    const names = items.children.map((r) => r.name);
    for (const kind of [
      'ItemServiceRet',
      'ItemNonInventoryRet',
      'ItemInventoryRet',
      'ItemOtherChargeRet',
      'ItemGroupRet',
      'ItemDiscountRet',
      'ItemSalesTaxRet',
    ])
      expect(names).toContain(kind);
    const [inventory] = run(
      c,
      '<ItemInventoryQueryRq><FullName>Hardware:Cordless Drill</FullName></ItemInventoryQueryRq>',
    );
    const drill = all(inventory, 'ItemInventoryRet')[0];
    expect(text(drill, 'ParentRef', 'FullName')).toBe('Hardware');
    expect(text(drill, 'SalesPrice')).toBe('149.00');
    expect(text(drill, 'QuantityOnHand')).toBe('35');
    expect(text(drill, 'SalesTaxCodeRef', 'FullName')).toBe('Tax');
    const categories = new Set(
      c
        .items()
        .filter((i) => i.ParentRef)
        .map((i) => (i.ParentRef as { FullName: string }).FullName),
    );
    expect(categories).toEqual(new Set(['Hardware', 'Garden', 'Services']));
  });

  test('item adds: a sub-item under a category, stock on hand; a used full name is 3100, a name may repeat under another parent', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const add = (name: string, parent: string) =>
      `<ItemInventoryAddRq><ItemInventoryAdd><Name>${name}</Name><ParentRef><FullName>${parent}</FullName></ParentRef><SalesPrice>9.5</SalesPrice><QuantityOnHand>7</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`;
    const [ok] = run(c, add('Spade', 'Garden'));
    expect(ok.attrs.statusCode).toBe('0');
    expect(text(ok.children[0], 'FullName')).toBe('Garden:Spade');
    expect(text(ok.children[0], 'SalesPrice')).toBe('9.50');
    expect(text(ok.children[0], 'QuantityOnHand')).toBe('7');
    const [dup] = run(c, add('spade', 'Garden'));
    expect(dup.attrs.statusCode).toBe('3100');
    const [elsewhere] = run(c, add('Spade', 'Hardware'));
    expect(elsewhere.attrs.statusCode).toBe('0');
    const [noParent] = run(c, add('Rake', 'No Such Category'));
    expect(noParent.attrs.statusCode).toBe('3140');
  });

  test('price levels: one fixed percentage, one per item with CustomPrice and CustomPricePercent', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [levels] = run(c, '<PriceLevelQueryRq/>');
    const rets = all(levels, 'PriceLevelRet');
    const fixed = rets.find((r) => text(r, 'PriceLevelType') === 'FixedPercentage')!;
    expect(text(fixed, 'PriceLevelFixedPercentage')).toBe('-10');
    const perItem = rets.find((r) => text(r, 'PriceLevelType') === 'PerItem')!;
    const entries = all(perItem, 'PriceLevelPerItemRet');
    expect(entries.some((e) => text(e, 'CustomPrice') !== undefined)).toBe(true);
    expect(entries.some((e) => text(e, 'CustomPricePercent') !== undefined)).toBe(true);
  });

  test('sales tax codes and tax items (US) and GST codes (Reckon)', () => {
    const us = createDesktopCompany({ seed: 'salesin' });
    const [codes, taxItems] = run(us, '<SalesTaxCodeQueryRq/><ItemSalesTaxQueryRq/>');
    expect(
      all(codes, 'SalesTaxCodeRet')
        .map((r) => text(r, 'Name'))
        .sort(),
    ).toEqual(['Non', 'Tax']);
    expect(all(taxItems, 'ItemSalesTaxRet').map((r) => text(r, 'TaxRate'))).toContain('8.625');
    const au = createDesktopCompany({ seed: 'reckon' });
    const [gst] = run(au, '<SalesTaxCodeQueryRq/>', { version: '6.1' });
    expect(
      all(gst, 'SalesTaxCodeRet')
        .map((r) => text(r, 'Name'))
        .sort(),
    ).toEqual(['E', 'FRE', 'GST']);
  });
});

describe('sales orders, invoices, estimates, payments', () => {
  test('adds without RefNumber get the next number of their own sequence; a given RefNumber moves it on', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const ref = (rs: ReturnType<typeof run>[number]) => text(rs.children[0], 'RefNumber');
    const [so1] = run(c, salesOrder('Delta Plumbing', soLine('Hardware:Claw Hammer', '1')));
    const [so2] = run(c, salesOrder('Delta Plumbing', soLine('Hardware:Claw Hammer', '1')));
    expect(Number(ref(so2))).toBe(Number(ref(so1)) + 1);
    const inv = (refNumber = '') =>
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Delta Plumbing</FullName></CustomerRef>${refNumber}<InvoiceLineAdd><ItemRef><FullName>Freight</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`;
    const [i1] = run(c, inv());
    expect(ref(i1)).not.toBe(ref(so1));
    const [i2] = run(c, inv('<RefNumber>INV-0099</RefNumber>'));
    expect(ref(i2)).toBe('INV-0099');
    const [i3] = run(c, inv());
    expect(ref(i3)).toBe('INV-0100');
    const [e1] = run(
      c,
      `<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Delta Plumbing</FullName></CustomerRef><EstimateLineAdd><ItemRef><FullName>Freight</FullName></ItemRef></EstimateLineAdd></EstimateAdd></EstimateAddRq>`,
    );
    expect(ref(e1)).toBeDefined();
    expect([ref(so1), ref(i1)]).not.toContain(ref(e1));
  });

  test('sales orders raise QuantityOnSalesOrder, invoices lower QuantityOnHand', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const stock = () => c.items().find((i) => i.FullName === 'Garden:Garden Hose 30m')!;
    const before = stock();
    run(c, salesOrder('Granite Works', soLine('Garden:Garden Hose 30m', '4')));
    expect(Number(stock().QuantityOnSalesOrder)).toBe(Number(before.QuantityOnSalesOrder) + 4);
    expect(stock().QuantityOnHand).toBe(before.QuantityOnHand);
    run(
      c,
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Granite Works</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>Garden:Garden Hose 30m</FullName></ItemRef><Quantity>2.5</Quantity></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`,
    );
    expect(stock().QuantityOnHand).toBe(String(Number(before.QuantityOnHand) - 2.5));
  });

  test('a user invoices a sales order in QuickBooks: the order counts it invoiced, stock on order and on hand fall', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const hose = () => c.items().find((i) => i.FullName === 'Garden:Garden Hose 30m')!;
    const before = hose();
    const [so] = run(
      c,
      salesOrder('Granite Works', soLine('Garden:Garden Hose 30m', '3') + soLine('Services:Delivery', '1')),
    );
    expect(Number(hose().QuantityOnSalesOrder)).toBe(Number(before.QuantityOnSalesOrder) + 3);
    const invoice = c.invoiceSalesOrder(text(so.children[0], 'TxnID')!);
    expect(invoice.BalanceRemaining).toBe(text(so.children[0], 'TotalAmount'));
    expect(hose().QuantityOnSalesOrder).toBe(before.QuantityOnSalesOrder);
    expect(Number(hose().QuantityOnHand)).toBe(Number(before.QuantityOnHand) - 3);
    const order = c.salesOrders()[0];
    expect(order.IsFullyInvoiced).toBe('true');
    expect(Number(order.EditSequence)).toBeGreaterThan(Number(text(so.children[0], 'EditSequence')));
    expect(() => c.invoiceSalesOrder(String(order.TxnID))).toThrow(/nothing left/);
  });

  test('price levels price the lines: the customer’s level by default, a PriceLevelRef on request, exact cents and tax', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    // Abercrombie Hardware is on "Wholesale -10%": 149.00 → 134.10; Trade Prices has the drill at 129.00.
    const [rs] = run(
      c,
      salesOrder(
        'Abercrombie Hardware',
        soLine('Hardware:Cordless Drill', '3') +
          soLine('Hardware:Cordless Drill', '1', '<PriceLevelRef><FullName>Trade Prices</FullName></PriceLevelRef>'),
      ),
    );
    const ret = rs.children[0];
    const lines = all(ret, 'SalesOrderLineRet');
    expect(lines.map((l) => [text(l, 'Rate'), text(l, 'Amount')])).toEqual([
      ['134.10', '402.30'],
      ['129.00', '129.00'],
    ]);
    expect(text(ret, 'Subtotal')).toBe('531.30');
    // 531.30 × 8.625% = 45.824… → 45.82
    expect(text(ret, 'SalesTaxTotal')).toBe('45.82');
    expect(text(ret, 'TotalAmount')).toBe('577.12');
  });

  test('Reckon: GST-inclusive amounts, GST is the included tenth-of-eleven', () => {
    const c = createDesktopCompany({ seed: 'reckon' });
    const [rs] = run(c, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '2', '<Rate>27.50</Rate>')), {
      version: '6.1',
    });
    const ret = rs.children[0];
    expect(text(ret, 'Subtotal')).toBe('55.00');
    expect(text(ret, 'SalesTaxTotal')).toBe('5.00');
    expect(text(ret, 'TotalAmount')).toBe('55.00');
    expect(text(ret, 'IsTaxIncluded')).toBe('true');
    expect(text(ret, 'SalesOrderLineRet', 'SalesTaxCodeRef', 'FullName')).toBe('GST');
  });

  test('SalesOrderMod keeps listed lines, adds TxnLineID -1, drops the rest; stale EditSequence is 3200', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [added] = run(
      c,
      salesOrder('Granite Works', soLine('Garden:Garden Hose 30m', '2') + soLine('Hardware:Claw Hammer', '1')),
    );
    const ret = added.children[0];
    const [keep] = all(ret, 'SalesOrderLineRet');
    const mod = (es: string) =>
      `<SalesOrderModRq><SalesOrderMod><TxnID>${text(ret, 'TxnID')}</TxnID><EditSequence>${es}</EditSequence><Memo>changed</Memo>` +
      `<SalesOrderLineMod><TxnLineID>${text(keep, 'TxnLineID')}</TxnLineID><Quantity>5</Quantity></SalesOrderLineMod>` +
      `<SalesOrderLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Services:Delivery</FullName></ItemRef></SalesOrderLineMod></SalesOrderMod></SalesOrderModRq>`;
    const hose = () => c.items().find((i) => i.FullName === 'Garden:Garden Hose 30m')!.QuantityOnSalesOrder;
    expect(hose()).toBe('2');
    const [ok] = run(c, mod(text(ret, 'EditSequence')!));
    expect(ok.attrs.statusCode).toBe('0');
    const lines = all(ok.children[0], 'SalesOrderLineRet');
    expect(lines.map((l) => text(l, 'ItemRef', 'FullName'))).toEqual(['Garden:Garden Hose 30m', 'Services:Delivery']);
    expect(text(lines[0], 'TxnLineID')).toBe(text(keep, 'TxnLineID'));
    expect(hose()).toBe('5');
    const [stale] = run(c, mod(text(ret, 'EditSequence')!));
    expect(stale.attrs.statusCode).toBe('3200');
  });

  test('InvoiceMod moves the customer balance and the stock with the new quantities', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const drill = () => c.items().find((i) => i.FullName === 'Hardware:Cordless Drill')!;
    const balance = () => c.customers().find((x) => x.Name === 'Summit Roofing')!.Balance;
    const stock = Number(drill().QuantityOnHand);
    const [added] = run(
      c,
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Summit Roofing</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>Hardware:Cordless Drill</FullName></ItemRef><Quantity>2</Quantity><Rate>100</Rate><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`,
    );
    const ret = added.children[0];
    expect(balance()).toBe('200.00');
    expect(Number(drill().QuantityOnHand)).toBe(stock - 2);
    const line = all(ret, 'InvoiceLineRet')[0];
    const [modded] = run(
      c,
      `<InvoiceModRq><InvoiceMod><TxnID>${text(ret, 'TxnID')}</TxnID><EditSequence>${text(ret, 'EditSequence')}</EditSequence><InvoiceLineMod><TxnLineID>${text(line, 'TxnLineID')}</TxnLineID><Quantity>5</Quantity><Rate>100</Rate></InvoiceLineMod></InvoiceMod></InvoiceModRq>`,
    );
    expect(modded.attrs.statusCode).toBe('0');
    expect(text(modded.children[0], 'BalanceRemaining')).toBe('500.00');
    expect(balance()).toBe('500.00');
    expect(Number(drill().QuantityOnHand)).toBe(stock - 5);
  });

  test('ExternalGUID is stored and returned, but finding a twin takes a customer + modified-date query', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    run(
      c,
      salesOrder('Oakmont Renovations', soLine('Hardware:Claw Hammer', '1'), `<ExternalGUID>${GUID}</ExternalGUID>`),
    );
    const [found] = run(
      c,
      '<SalesOrderQueryRq><EntityFilter><FullName>Oakmont Renovations</FullName></EntityFilter></SalesOrderQueryRq>',
    );
    expect(all(found, 'SalesOrderRet').map((r) => text(r, 'ExternalGUID'))).toEqual([GUID]);
    expect(c.salesOrders().map((s) => s.ExternalGUID)).toEqual([GUID]);
  });

  test('ReceivePayment applies to invoices; InvoiceQuery PaidStatus sees it', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [inv] = run(
      c,
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Harbor Home Supply</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>Services:Delivery</FullName></ItemRef><Amount>40.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`,
    );
    const txnId = text(inv.children[0], 'TxnID');
    const [pay] = run(
      c,
      `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Harbor Home Supply</FullName></CustomerRef><TotalAmount>40.00</TotalAmount><AppliedToTxnAdd><TxnID>${txnId}</TxnID><PaymentAmount>40.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`,
    );
    expect(pay.attrs.statusCode).toBe('0');
    const [paid] = run(c, '<InvoiceQueryRq><PaidStatus>PaidOnly</PaidStatus></InvoiceQueryRq>');
    expect(
      all(paid, 'InvoiceRet').map((r) => [text(r, 'TxnID'), text(r, 'IsPaid'), text(r, 'BalanceRemaining')]),
    ).toEqual([[txnId, 'true', '0.00']]);
    expect(c.payments()).toHaveLength(1);
  });

  test('deleted records show in ListDeletedQuery and TxnDeletedQuery', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [so] = run(c, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1')));
    const victim = c.customers().find((x) => x.Name === 'Summit Roofing')!;
    c.deleteRecord(String(victim.ListID));
    c.deleteRecord(text(so.children[0], 'TxnID')!);
    const [lists, txns] = run(
      c,
      '<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq><TxnDeletedQueryRq><TxnDelType>SalesOrder</TxnDelType></TxnDeletedQueryRq>',
    );
    expect(all(lists, 'ListDeletedRet').map((r) => text(r, 'FullName'))).toEqual(['Summit Roofing']);
    expect(all(txns, 'TxnDeletedRet').map((r) => text(r, 'TxnID'))).toEqual([text(so.children[0], 'TxnID')]);
  });
});

describe('message sets', () => {
  test('requestID is echoed; over 50 characters is status 1060', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [ok, long] = run(c, `<HostQueryRq requestID="r-1"/><HostQueryRq requestID="${'x'.repeat(51)}"/>`, {
      attrs: 'onError="continueOnError"',
    });
    expect(ok.attrs.requestID).toBe('r-1');
    expect(long.attrs.statusCode).toBe('1060');
  });

  test('stopOnError stops at the first error (later requests get no answer); continueOnError runs them all', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const body =
      '<CustomerAddRq requestID="1"><CustomerAdd><Name>Granite Works</Name></CustomerAdd></CustomerAddRq><CustomerAddRq requestID="2"><CustomerAdd><Name>Brand New</Name></CustomerAdd></CustomerAddRq>';
    const stopped = run(c, body);
    expect(stopped.map((r) => [r.attrs.requestID, r.attrs.statusCode])).toEqual([['1', '3100']]);
    expect(c.customers().some((x) => x.Name === 'Brand New')).toBe(false);
    const continued = run(c, body, { attrs: 'onError="continueOnError"' });
    expect(continued.map((r) => [r.attrs.requestID, r.attrs.statusCode])).toEqual([
      ['1', '3100'],
      ['2', '0'],
    ]);
  });

  test('a query without matches is status 1 (Info), not an error', () => {
    const c = createDesktopCompany({ seed: 'empty' });
    const [rs] = run(c, '<CustomerQueryRq/>');
    expect(rs.attrs).toMatchObject({ statusCode: '1', statusSeverity: 'Info' });
  });

  test('invalid values are status 3210 on their request only', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const [bad, good] = run(c, `${salesOrder('Granite Works', soLine('Hardware:Claw Hammer', 'two'))}<HostQueryRq/>`, {
      attrs: 'onError="continueOnError"',
    });
    expect(bad.attrs.statusCode).toBe('3210');
    expect(good.attrs.statusCode).toBe('0');
  });

  test.each([3170, 3175, 3176, 3180])('a locked record answers %i, then the retry succeeds', (code) => {
    const c = createDesktopCompany({ seed: 'salesin' });
    c.faults.add({ kind: 'locked', count: 1, code: code as 3170, requestType: 'SalesOrderAddRq' });
    const [query] = run(c, '<HostQueryRq/>');
    expect(query.attrs.statusCode).toBe('0');
    const [locked] = run(c, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1')));
    expect(locked.attrs).toMatchObject({ statusCode: String(code), statusSeverity: 'Error' });
    expect(c.salesOrders()).toHaveLength(0);
    const [retry] = run(c, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1')));
    expect(retry.attrs.statusCode).toBe('0');
  });

  test('qbXML versions: 13.0 on Reckon (6.1 at most) and ExternalGUID in 6.1 reject the document', () => {
    const au = createDesktopCompany({ seed: 'reckon' });
    expect(au.tryExecute(qbxml('<HostQueryRq/>', { version: '13.0' })).ok).toBe(false);
    expect(au.tryExecute(qbxml('<HostQueryRq/>', { version: '6.1' })).ok).toBe(true);
    const withGuid = au.tryExecute(
      qbxml(
        `<CustomerAddRq><CustomerAdd><Name>G</Name><ExternalGUID>${GUID}</ExternalGUID></CustomerAdd></CustomerAddRq>`,
        { version: '6.1' },
      ),
    );
    expect(withGuid).toMatchObject({ ok: false, hresult: '0x80040400' });
    const withUom = au.tryExecute(
      qbxml(salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1', '<UnitOfMeasure>ea</UnitOfMeasure>')), {
        version: '6.1',
      }),
    );
    expect(withUom.ok).toBe(false);
    expect(au.tryExecute(qbxml('<HostQueryRq/>', { version: '6.1' }).replace('6.1', '7.5')).ok).toBe(false);
  });
});

describe('iterators', () => {
  test('Start/Continue pages through with iteratorRemainingCount; the iterator is bound to its session', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const session = c.newSession();
    const expected = c
      .customers()
      .filter((x) => x.IsActive === 'true')
      .map((x) => x.ListID);
    const [first] = run(
      c,
      '<CustomerQueryRq iterator="Start"><MaxReturned>10</MaxReturned></CustomerQueryRq>',
      undefined,
      session,
    );
    const id = first.attrs.iteratorID;
    expect(first.attrs.iteratorRemainingCount).toBe(String(expected.length - 10));
    const seen = all(first, 'CustomerRet').map((r) => text(r, 'ListID'));
    // another session cannot continue it
    const [foreign] = run(
      c,
      `<CustomerQueryRq iterator="Continue" iteratorID="${id}"><MaxReturned>10</MaxReturned></CustomerQueryRq>`,
      undefined,
      c.newSession(),
    );
    expect(foreign.attrs.statusCode).toBe('3120');
    let remaining = Number(first.attrs.iteratorRemainingCount);
    let pages = 1;
    while (remaining > 0) {
      const [page] = run(
        c,
        `<CustomerQueryRq iterator="Continue" iteratorID="${id}"><MaxReturned>10</MaxReturned></CustomerQueryRq>`,
        undefined,
        session,
      );
      expect(page.attrs.iteratorID).toBe(id);
      seen.push(...all(page, 'CustomerRet').map((r) => text(r, 'ListID')));
      remaining = Number(page.attrs.iteratorRemainingCount);
      pages++;
    }
    expect(pages).toBe(Math.ceil(expected.length / 10));
    expect(new Set(seen)).toEqual(new Set(expected));
    expect(seen).toHaveLength(expected.length);
    const [done] = run(
      c,
      `<CustomerQueryRq iterator="Continue" iteratorID="${id}"><MaxReturned>10</MaxReturned></CustomerQueryRq>`,
      undefined,
      session,
    );
    expect(done.attrs.statusCode).toBe('3120');
  });

  test('Stop ends an iterator', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const session = c.newSession();
    const [first] = run(
      c,
      '<ItemQueryRq iterator="Start"><MaxReturned>2</MaxReturned></ItemQueryRq>',
      undefined,
      session,
    );
    const id = first.attrs.iteratorID;
    const [stop] = run(c, `<ItemQueryRq iterator="Stop" iteratorID="${id}"/>`, undefined, session);
    expect(stop.attrs.statusCode).toBe('0');
    const [after] = run(
      c,
      `<ItemQueryRq iterator="Continue" iteratorID="${id}"><MaxReturned>2</MaxReturned></ItemQueryRq>`,
      undefined,
      session,
    );
    expect(after.attrs.statusCode).toBe('3120');
  });
});

describe('error recovery', () => {
  test('newMessageSetID keeps the answer; oldMessageSetID gets it back without running anything again', () => {
    const c = createDesktopCompany({ seed: 'salesin' });
    const add = salesOrder(
      'Granite Works',
      soLine('Hardware:Claw Hammer', '1'),
      `<ExternalGUID>${GUID}</ExternalGUID>`,
    );
    const first = c.execute(qbxml(add, { attrs: 'onError="stopOnError" newMessageSetID="set-1"' }), c.newSession());
    expect(msgsAttrs(first)).toMatchObject({ newMessageSetID: 'set-1', messageSetStatusCode: '0' });
    const [rs] = responses(first);
    const recovery = all(rs, 'ErrorRecovery')[0];
    expect(text(recovery, 'TxnID')).toBe(text(rs.children[0], 'TxnID'));
    expect(text(recovery, 'ExternalGUID')).toBe(GUID);
    // the answer was lost: ask QuickBooks what happened to set-1, sending the add again in the same document
    const recovered = c.execute(
      qbxml(add, { attrs: 'onError="stopOnError" oldMessageSetID="set-1" newMessageSetID="set-2"' }),
      c.newSession(),
    );
    expect(recovered).toBe(first);
    expect(c.salesOrders()).toHaveLength(1);
    // an unknown old set: QuickBooks runs the new requests and says it had nothing (9001)
    const unknown = c.execute(
      qbxml(add, { attrs: 'onError="stopOnError" oldMessageSetID="never" newMessageSetID="set-3"' }),
      c.newSession(),
    );
    expect(msgsAttrs(unknown).messageSetStatusCode).toBe('9001');
    expect(c.salesOrders()).toHaveLength(2);
    c.execute(
      qbxml('<HostQueryRq/>', { attrs: 'onError="stopOnError" oldMessageSetID="ClearAllMessageSets"' }),
      c.newSession(),
    );
    expect(c.data.messageSets.size).toBe(0);
  });
});

test('state is saved to a file and loaded back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-desktop-state-'));
  try {
    const file = path.join(dir, 'company.json');
    const c = createDesktopCompany({ seed: 'salesin', statePath: file });
    run(c, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1')));
    c.save();
    const again = createDesktopCompany({ seed: 'empty', statePath: file });
    expect(again.salesOrders()).toEqual(c.salesOrders());
    expect(again.customers()).toEqual(c.customers());
    const [next] = run(again, salesOrder('Granite Works', soLine('Hardware:Claw Hammer', '1')));
    expect(Number(text(next.children[0], 'RefNumber'))).toBe(Number(c.salesOrders()[0].RefNumber) + 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
