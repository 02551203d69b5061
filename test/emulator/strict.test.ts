import { accountId, createCustomer, createInvoice, createItem, salesLine } from './fixtures';
import { contract, unique } from './target';

/** The rules a real QuickBooks company applies that a lenient stand-in would let through (issue 15). */
contract('QuickBooks as it really answers', ({ target, emulatorOnly }) => {
  it('refuses an unknown or misspelt property with 2010, naming it and its class, at any depth', async () => {
    const realm = await target().realm();
    const top = await realm.call('POST', 'customer', { DisplayName: unique('Strict'), PrimaryEmail: 'x@example.com' });
    expect(top.status).toBe(400);
    expect(top.json.Fault.type).toBe('ValidationFault');
    expect(top.json.Fault.Error[0]).toMatchObject({
      code: '2010',
      Message: 'Request has invalid or unsupported property',
    });
    expect(top.json.Fault.Error[0].Detail).toContain('PrimaryEmail');
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const line = salesLine(item.Id, 1, 10);
    const nested = await createInvoice(realm, customer.Id, [
      { ...line, SalesItemLineDetail: { ...(line.SalesItemLineDetail as object), Quantity: 1 } },
    ]);
    expect(nested.status).toBe(400);
    expect(nested.json.Fault.Error[0].code).toBe('2010');
    expect(nested.json.Fault.Error[0].Detail).toContain('"Quantity"');
    const inAddress = await realm.call('POST', 'customer', {
      DisplayName: unique('Strict'),
      BillAddr: { Street: '1 Main St' },
    });
    expect(inAddress.json.Fault.Error[0].code).toBe('2010');
    expect(inAddress.json.Fault.Error[0].Detail).toContain('Street');
  });

  it('refuses a value of the wrong kind with 2010; takes what QuickBooks coerces (numeric strings, numbers for text)', async () => {
    const realm = await target().realm();
    const badAmount = await realm.call('POST', 'item', {
      Name: unique('Kind'),
      Type: 'Service',
      UnitPrice: 'twelve',
      IncomeAccountRef: { value: await accountId(realm, 'Income') },
    });
    expect(badAmount.status).toBe(400);
    expect(badAmount.json.Fault.Error[0].code).toBe('2010');
    const objectForText = await realm.call('POST', 'customer', { DisplayName: { value: 'x' } });
    expect(objectForText.json.Fault.Error[0].code).toBe('2010');
    const badType = await realm.call('POST', 'item', { Name: unique('Kind'), Type: 'Widget' });
    expect(badType.json.Fault.Error[0].code).toBe('2010');
    const coerced = await realm.call('POST', 'item', {
      Name: unique('Kind'),
      Type: 'Service',
      UnitPrice: '12.50',
      IncomeAccountRef: { value: await accountId(realm, 'Income') },
    });
    expect(coerced.status).toBe(200);
    expect(coerced.json.Item.UnitPrice).toBe(12.5);
    const broken = await realm.call('POST', 'customer', '{"DisplayName": ', { contentType: 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.json.Fault.Error[0].code).toBe('2010');
  });

  it('accepts an object read from QuickBooks and sent back whole (read-only properties are known)', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm, unique('Echo'), { BillAddr: { Line1: '1 Main St', City: 'Austin' } });
    const read = (await realm.call('GET', `customer/${customer.Id}`)).json.Customer;
    const back = await realm.call('POST', 'customer', { ...read, Notes: 'echoed' });
    expect(back.status).toBe(200);
    expect(back.json.Customer.Notes).toBe('echoed');
  });

  it('fills in what QuickBooks fills: DueDate from terms, addresses, names, currency, print/email status', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm, unique('Filled'), {
      BillAddr: { Line1: '9 Elm St', City: 'Denver', CountrySubDivisionCode: 'CO', PostalCode: '80202' },
    });
    expect(customer).toMatchObject({ Taxable: expect.any(Boolean), BillWithParent: false, Job: false });
    expect(customer.CurrencyRef).toMatchObject({ value: 'USD' });
    expect(customer.BalanceWithJobs).toBe(0);
    expect(typeof (customer.BillAddr as { Id?: string }).Id).toBe('string');
    const item = await createItem(realm);
    const r = await createInvoice(realm, customer.Id, [salesLine(item.Id, 2, 50)], { TxnDate: '2026-03-01' });
    expect(r.status).toBe(200);
    const invoice = r.json.Invoice;
    expect(invoice.CustomerRef).toEqual({ value: customer.Id, name: customer.DisplayName });
    expect(invoice.Line[0].SalesItemLineDetail.ItemRef).toEqual({ value: item.Id, name: item.Name });
    expect(invoice.BillAddr).toMatchObject({ Line1: '9 Elm St', City: 'Denver' });
    expect(invoice.BillAddr.Id).not.toBe((customer.BillAddr as { Id?: string }).Id);
    expect(invoice.CurrencyRef).toMatchObject({ value: 'USD' });
    expect(['NotSet', 'NeedToPrint', 'PrintComplete']).toContain(invoice.PrintStatus);
    expect(['NotSet', 'NeedToSend', 'EmailSent']).toContain(invoice.EmailStatus);
    expect(invoice.DueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(invoice.DueDate >= invoice.TxnDate).toBe(true);
    const terms = await realm.query(`select * from Term where Id = '${invoice.SalesTermRef.value}'`);
    const days = terms.json.QueryResponse.Term[0].DueDays;
    const due = new Date(Date.parse('2026-03-01T00:00:00Z') + days * 86_400_000).toISOString().slice(0, 10);
    expect(invoice.DueDate).toBe(due);
  });

  emulatorOnly("uses the customer's terms over the company's (Net 30 here), and a sent DueDate stands", async () => {
    const realm = await target().realm();
    const net15 = (await realm.query("select * from Term where Name = 'Net 15'")).json.QueryResponse.Term[0];
    const customer = await createCustomer(realm, unique('Terms'), { SalesTermRef: { value: net15.Id } });
    const plain = await createCustomer(realm);
    const item = await createItem(realm);
    const line = [salesLine(item.Id, 1, 10)];
    const byCustomer = await createInvoice(realm, customer.Id, line, { TxnDate: '2026-03-01' });
    expect(byCustomer.json.Invoice.DueDate).toBe('2026-03-16');
    const byCompany = await createInvoice(realm, plain.Id, line, { TxnDate: '2026-03-01' });
    expect(byCompany.json.Invoice.DueDate).toBe('2026-03-31');
    expect(byCompany.json.Invoice.SalesTermRef).toMatchObject({ name: 'Net 30' });
    const sent = await createInvoice(realm, plain.Id, line, { TxnDate: '2026-03-01', DueDate: '2026-04-15' });
    expect(sent.json.Invoice.DueDate).toBe('2026-04-15');
  });

  it('jobs: Job, ParentRef, Level, "Parent:Child" FullyQualifiedName; a job and a customer may share a DisplayName', async () => {
    const realm = await target().realm();
    const suffix = unique('').trim();
    const parent = await createCustomer(realm, `Doe, Jack ${suffix}`);
    const job = await createCustomer(realm, `Jack Doe ${suffix}`, { ParentRef: { value: parent.Id }, Job: true });
    expect(job).toMatchObject({ Job: true, Level: 1, ParentRef: { value: parent.Id }, BillWithParent: false });
    expect(job.FullyQualifiedName).toBe(`Doe, Jack ${suffix}:Jack Doe ${suffix}`);
    const top = await realm.call('POST', 'customer', { DisplayName: `Jack Doe ${suffix}` });
    expect(top.status).toBe(200);
    expect(top.json.Customer).toMatchObject({ Job: false, FullyQualifiedName: `Jack Doe ${suffix}` });
    const again = await realm.call('POST', 'customer', {
      DisplayName: `Jack Doe ${suffix}`,
      ParentRef: { value: parent.Id },
      Job: true,
    });
    expect(again.status).toBe(400);
    expect(again.json.Fault.Error[0].code).toBe('6240');
    const both = await realm.query(`select * from Customer where DisplayName = 'Jack Doe ${suffix}'`);
    expect(both.json.QueryResponse.Customer).toHaveLength(2);
  });

  it('accounts: queried and read; items need the accounts QuickBooks requires (2020), Inventory three of them', async () => {
    const realm = await target().realm();
    const all = await realm.query('select * from Account MAXRESULTS 1000');
    expect(all.status).toBe(200);
    const types = new Set(all.json.QueryResponse.Account.map((a: { AccountType: string }) => a.AccountType));
    for (const t of ['Income', 'Cost of Goods Sold', 'Other Current Asset']) expect(types).toContain(t);
    const income = await accountId(realm, 'Income');
    expect((await realm.call('GET', `account/${income}`)).json.Account.AccountType).toBe('Income');
    const noAccount = await realm.call('POST', 'item', { Name: unique('Bare'), Type: 'Service' });
    expect(noAccount.status).toBe(400);
    expect(noAccount.json.Fault.Error[0].code).toBe('2020');
    expect(noAccount.json.Fault.Error[0].Detail).toContain('IncomeAccountRef');
    const stock = {
      Type: 'Inventory',
      TrackQtyOnHand: true,
      QtyOnHand: 1,
      InvStartDate: '2026-01-01',
      IncomeAccountRef: { value: income },
      ExpenseAccountRef: { value: await accountId(realm, 'Cost of Goods Sold') },
    };
    const noAsset = await realm.call('POST', 'item', { Name: unique('Stock'), ...stock });
    expect(noAsset.status).toBe(400);
    expect(noAsset.json.Fault.Error[0].code).toBe('2020');
    expect(noAsset.json.Fault.Error[0].Detail).toContain('AssetAccountRef');
    const ok = await realm.call('POST', 'item', {
      Name: unique('Stock'),
      ...stock,
      AssetAccountRef: { value: await accountId(realm, 'Other Current Asset', 'Inventory') },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.Item.IncomeAccountRef.name).toEqual(expect.any(String));
  });

  it('error codes: a non-numeric Id is 2030 (not 610), an unknown path 400, an unknown entity in a query 4001', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const decimal = await realm.call('GET', 'customer/1.5');
    expect(decimal.status).toBe(400);
    expect(decimal.json.Fault.Error[0].code).toBe('2030');
    const missing = await realm.call('GET', `customer/${Number(customer.Id) + 100000}`);
    expect(missing.json.Fault.Error[0].code).toBe('610');
    const extra = await realm.call('GET', `customer/${customer.Id}/extra`);
    expect(extra.status).toBe(400);
    const unknown = await realm.call('POST', 'custmer', { DisplayName: 'x' });
    expect(unknown.status).toBe(400);
    const query = await realm.query('select * from Custmoer');
    expect(query.status).toBe(400);
    expect(query.json.Fault.Error[0].code).toBe('4001');
  });

  it('name lists come sorted by name without ORDERBY; times carry the Pacific offset; the envelope time has milliseconds', async () => {
    const realm = await target().realm();
    const tag = unique('Sort').replace(' ', '');
    for (const n of ['b', 'c', 'a']) await createCustomer(realm, `${tag} ${n}`);
    const q = await realm.query(`select * from Customer where DisplayName LIKE '${tag}%'`);
    const names = q.json.QueryResponse.Customer.map((c: { DisplayName: string }) => c.DisplayName);
    expect(names).toEqual([`${tag} a`, `${tag} b`, `${tag} c`]);
    expect(q.json.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}-0[78]:00$/);
    expect(q.json.QueryResponse.Customer[0].MetaData.CreateTime).toMatch(/T\d{2}:\d{2}:\d{2}-0[78]:00$/);
  });

  it('a 401 carries the keys QuickBooks sends (null and empty ones too); every answer has an intuit_tid', async () => {
    const realm = await target().realm();
    const response = await fetch(realm.url('query?query=select%20*%20from%20Customer'), {
      headers: { authorization: 'Bearer not-a-token', accept: 'application/json' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('intuit_tid')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const body = (await response.json()) as Record<string, unknown>;
    for (const key of ['warnings', 'intuitObject', 'fault', 'report', 'queryResponse', 'batchItemResponse', 'time'])
      expect(body).toHaveProperty(key);
    expect(body.fault).toMatchObject({ type: 'AUTHENTICATION', error: [{ code: '3200', element: null }] });
  });

  it('a voided invoice keeps its lines with zero amounts; a line gains no quantity it did not have', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const lines = [
      salesLine(item.Id, 2, 10),
      { DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: { ItemRef: { value: item.Id } } },
    ];
    const invoice = (await createInvoice(realm, customer.Id, lines)).json.Invoice;
    const voided = await realm.call('POST', 'invoice?operation=void', { Id: invoice.Id, SyncToken: invoice.SyncToken });
    expect(voided.status).toBe(200);
    const items = voided.json.Invoice.Line.filter(
      (l: { DetailType: string }) => l.DetailType === 'SalesItemLineDetail',
    );
    expect(items.map((l: { Amount: number }) => l.Amount)).toEqual([0, 0]);
    expect(items[1].SalesItemLineDetail).not.toHaveProperty('Qty');
  });
});
