import { accountId, createCustomer, createInvoice, createItem, salesLine } from './fixtures';
import { contract, unique } from './target';

contract('writes and business rules', ({ target, emulatorOnly }) => {
  it('creates, reads, fully and sparsely updates with SyncToken; a stale SyncToken is 5010; responses carry intuit_tid', async () => {
    const realm = await target().realm();
    const name = unique('Writer');
    const created = await realm.call('POST', 'customer', {
      DisplayName: name,
      PrimaryEmailAddr: { Address: 'w@example.com' },
      BillAddr: { Line1: '1 Main St', City: 'Chicago', CountrySubDivisionCode: 'IL', PostalCode: '60601' },
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('intuit_tid')).toBeTruthy();
    const customer = created.json.Customer;
    expect(customer).toMatchObject({ DisplayName: name, SyncToken: '0', Active: true, BillAddr: { City: 'Chicago' } });
    expect(customer.MetaData.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/);
    const read = await realm.call('GET', `customer/${customer.Id}`);
    expect(read.json.Customer.DisplayName).toBe(name);
    const sparse = await realm.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      Notes: 'sparse',
    });
    expect(sparse.status).toBe(200);
    expect(sparse.json.Customer).toMatchObject({
      SyncToken: '1',
      Notes: 'sparse',
      PrimaryEmailAddr: { Address: 'w@example.com' },
    });
    const full = await realm.call('POST', 'customer', { Id: customer.Id, SyncToken: '1', DisplayName: name });
    expect(full.status).toBe(200);
    expect(full.json.Customer.SyncToken).toBe('2');
    expect(full.json.Customer.PrimaryEmailAddr).toBeUndefined();
    const stale = await realm.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: '1',
      sparse: true,
      Notes: 'late',
    });
    expect(stale.status).toBe(400);
    expect(stale.json.Fault.Error[0].code).toBe('5010');
    expect(stale.json.Fault.type).toBe('ValidationFault');
  });

  it('refuses a duplicate customer DisplayName and item Name with 6240, and names with a colon', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const duplicate = await realm.call('POST', 'customer', { DisplayName: customer.DisplayName.toUpperCase() });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.Fault.Error[0].code).toBe('6240');
    const item = await createItem(realm);
    const duplicateItem = await realm.call('POST', 'item', {
      Name: item.Name,
      Type: 'Service',
      IncomeAccountRef: { value: '1' },
    });
    expect(duplicateItem.json.Fault.Error[0].code).toBe('6240');
    const colon = await realm.call('POST', 'customer', { DisplayName: 'a:b' });
    expect(colon.status).toBe(400);
  });

  it('deactivates a customer with Active:false and shows " (deleted)" on its DisplayName; the name becomes free', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const off = await realm.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(off.status).toBe(200);
    expect(off.json.Customer.Active).toBe(false);
    expect(off.json.Customer.DisplayName).toBe(`${customer.DisplayName} (deleted)`);
    const again = await realm.call('POST', 'customer', { DisplayName: customer.DisplayName });
    expect(again.status).toBe(200);
  });

  it('rejects missing and inactive references with 610', async () => {
    const realm = await target().realm();
    const item = await createItem(realm);
    const missing = await createInvoice(realm, '99999999', [salesLine(item.Id, 1, 10)]);
    expect(missing.status).toBe(400);
    expect(missing.json.Fault.Error[0].code).toBe('610');
    const customer = await createCustomer(realm);
    await realm.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      Active: false,
    });
    const inactive = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 10)]);
    expect(inactive.status).toBe(400);
    expect(inactive.json.Fault.Error[0].code).toBe('610');
  });

  it('computes line amounts, SubTotal and TotalAmt exactly to the cent; DocNumber over 21 characters is 6000', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const r = await createInvoice(realm, customer.Id, [salesLine(item.Id, 3, 0.1), salesLine(item.Id, 7, 19.99)]);
    expect(r.status).toBe(200);
    const invoice = r.json.Invoice;
    expect(invoice.TotalAmt).toBe(140.23);
    expect(invoice.Balance).toBe(140.23);
    expect(invoice.Line.find((l: { DetailType: string }) => l.DetailType === 'SubTotalLineDetail').Amount).toBe(140.23);
    const long = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 1)], { DocNumber: 'X'.repeat(22) });
    expect(long.status).toBe(400);
    expect(long.json.Fault.Error[0].code).toBe('6000');
  });

  emulatorOnly('numbers invoices itself when custom numbers are off (last + 1)', async () => {
    const realm = await target().realm({ customTxnNumbers: false });
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const first = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 5)])).json.Invoice;
    const second = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 5)])).json.Invoice;
    expect(Number(second.DocNumber)).toBe(Number(first.DocNumber) + 1);
  });

  emulatorOnly(
    'refuses a duplicate DocNumber with 6140 when custom numbers are on, unless include=allowduplicatedocnum',
    async () => {
      const realm = await target().realm({ customTxnNumbers: true });
      const customer = await createCustomer(realm);
      const item = await createItem(realm);
      const first = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 5)], { DocNumber: 'INV-7' });
      expect(first.json.Invoice.DocNumber).toBe('INV-7');
      const none = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 5)]);
      expect(none.json.Invoice.DocNumber).toBeUndefined();
      const duplicate = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 5)], { DocNumber: 'INV-7' });
      expect(duplicate.status).toBe(400);
      expect(duplicate.json.Fault.Error[0].code).toBe('6140');
      expect(duplicate.json.Fault.Error[0].Detail).toContain(first.json.Invoice.Id);
      const allowed = await createInvoice(
        realm,
        customer.Id,
        [salesLine(item.Id, 1, 5)],
        { DocNumber: 'INV-7' },
        'invoice?include=allowduplicatedocnum',
      );
      expect(allowed.status).toBe(200);
    },
  );

  it('applies a payment: the invoice Balance falls, it links the payment, the customer Balance follows', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const invoice = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 2, 50)])).json.Invoice;
    const payment = await realm.call('POST', 'payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 30.5,
      Line: [{ Amount: 30.5, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    expect(payment.status).toBe(200);
    const after = (await realm.call('GET', `invoice/${invoice.Id}`)).json.Invoice;
    expect(after.Balance).toBe(69.5);
    expect(after.LinkedTxn).toEqual(
      expect.arrayContaining([expect.objectContaining({ TxnId: payment.json.Payment.Id, TxnType: 'Payment' })]),
    );
    expect(Number(after.SyncToken)).toBeGreaterThan(Number(invoice.SyncToken));
    const owner = (await realm.call('GET', `customer/${customer.Id}`)).json.Customer;
    expect(owner.Balance).toBe(69.5);
    // Deleting the payment reopens the invoice.
    const deleted = await realm.call('POST', 'payment?operation=delete', {
      Id: payment.json.Payment.Id,
      SyncToken: payment.json.Payment.SyncToken,
    });
    expect(deleted.json.Payment).toMatchObject({ status: 'Deleted', Id: payment.json.Payment.Id });
    expect((await realm.call('GET', `invoice/${invoice.Id}`)).json.Invoice.Balance).toBe(100);
  });

  it('voids an invoice (kept, zero amounts) and deletes one (gone)', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const a = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 40)])).json.Invoice;
    const b = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 60)])).json.Invoice;
    const voided = await realm.call('POST', 'invoice?operation=void', { Id: a.Id, SyncToken: a.SyncToken });
    expect(voided.status).toBe(200);
    expect(voided.json.Invoice).toMatchObject({ Id: a.Id, TotalAmt: 0, Balance: 0 });
    const deleted = await realm.call('POST', 'invoice?operation=delete', { Id: b.Id, SyncToken: b.SyncToken });
    expect(deleted.json.Invoice).toMatchObject({ status: 'Deleted', Id: b.Id });
    const gone = await realm.call('GET', `invoice/${b.Id}`);
    expect(gone.status).toBe(400);
    expect(gone.json.Fault.Error[0].code).toBe('610');
    const staleDelete = await realm.call('POST', 'invoice?operation=delete', { Id: a.Id, SyncToken: a.SyncToken });
    expect(staleDelete.json.Fault.Error[0].code).toBe('5010');
    const customerDelete = await realm.call('POST', 'customer?operation=delete', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
    });
    expect(customerDelete.status).toBe(400);
  });

  emulatorOnly(
    'computes sales tax from the TxnTaxCodeRef rates on TAX lines (half up), and honours an explicit TotalTax',
    async () => {
      const realm = await target().realm({ seed: 'demo' });
      const codes = (await realm.query('select * from TaxCode')).json.QueryResponse.TaxCode as Array<{
        Id: string;
        SalesTaxRateList?: { TaxRateDetail?: Array<{ TaxRateRef: { value: string } }> };
      }>;
      const code = codes.find((c) => (c.SalesTaxRateList?.TaxRateDetail ?? []).length > 0)!;
      const rates: number[] = [];
      for (const d of code.SalesTaxRateList!.TaxRateDetail!)
        rates.push(Number((await realm.call('GET', `taxrate/${d.TaxRateRef.value}`)).json.TaxRate.RateValue));
      const customer = await createCustomer(realm);
      const item = await createItem(realm);
      // 123.45 taxable: each rate's tax rounded half up to the cent (6.25% → 7.715625 → 7.72; 1.25% → 1.543125 → 1.54).
      const r = await createInvoice(
        realm,
        customer.Id,
        [salesLine(item.Id, 1, 123.45, true), salesLine(item.Id, 1, 10, false)],
        { TxnTaxDetail: { TxnTaxCodeRef: { value: code.Id } } },
      );
      expect(r.status).toBe(200);
      const expectedCents = rates.reduce((sum, rate) => sum + Math.round((12345 * rate * 10000) / 1000000 + 1e-9), 0);
      expect(r.json.Invoice.TxnTaxDetail.TotalTax).toBe(expectedCents / 100);
      expect(Math.round(r.json.Invoice.TotalAmt * 100)).toBe(12345 + 1000 + expectedCents);
      const explicit = await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 100, true)], {
        TxnTaxDetail: { TxnTaxCodeRef: { value: code.Id }, TotalTax: 9.99 },
      });
      expect(explicit.json.Invoice.TxnTaxDetail.TotalTax).toBe(9.99);
      expect(explicit.json.Invoice.TotalAmt).toBe(109.99);
      const readOnly = await realm.call('POST', 'taxcode', { Name: 'Nope' });
      expect(readOnly.status).toBe(400);
    },
  );

  it('supports items: Inventory with QtyOnHand, Category, and sub-items under a parent', async () => {
    const realm = await target().realm();
    const category = await realm.call('POST', 'item', { Name: unique('Category'), Type: 'Category' });
    expect(category.status).toBe(200);
    const inventory = await realm.call('POST', 'item', {
      Name: unique('Widget'),
      Type: 'Inventory',
      TrackQtyOnHand: true,
      QtyOnHand: 12,
      InvStartDate: '2026-01-01',
      UnitPrice: 3.5,
      IncomeAccountRef: { value: await accountId(realm, 'Income') },
      AssetAccountRef: { value: await accountId(realm, 'Other Current Asset', 'Inventory') },
      ExpenseAccountRef: { value: await accountId(realm, 'Cost of Goods Sold') },
      ParentRef: { value: category.json.Item.Id },
      SubItem: true,
    });
    expect(inventory.status).toBe(200);
    expect(inventory.json.Item).toMatchObject({
      Type: 'Inventory',
      QtyOnHand: 12,
      SubItem: true,
      ParentRef: { value: category.json.Item.Id },
    });
    expect(inventory.json.Item.FullyQualifiedName).toBe(`${category.json.Item.Name}:${inventory.json.Item.Name}`);
  });

  it('an Estimate is created and read like an invoice, without a Balance', async () => {
    const realm = await target().realm();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const r = await createInvoice(realm, customer.Id, [salesLine(item.Id, 4, 25)], {}, 'estimate');
    expect(r.status).toBe(200);
    expect(r.json.Estimate.TotalAmt).toBe(100);
    expect((await realm.call('GET', `estimate/${r.json.Estimate.Id}`)).json.Estimate.Id).toBe(r.json.Estimate.Id);
  });

  it('answers CompanyInfo and Preferences', async () => {
    const realm = await target().realm();
    const info = await realm.call('GET', `companyinfo/${realm.realmId}`);
    expect(info.status).toBe(200);
    expect(typeof info.json.CompanyInfo.CompanyName).toBe('string');
    const prefs = await realm.call('GET', 'preferences');
    expect(typeof prefs.json.Preferences.SalesFormsPrefs.CustomTxnNumbers).toBe('boolean');
    const q = await realm.query('select * from CompanyInfo');
    expect(q.json.QueryResponse.CompanyInfo).toHaveLength(1);
  });

  it('replays a repeated requestid: the original answer, nothing created twice', async () => {
    const realm = await target().realm();
    const name = unique('Replay');
    const requestid = unique('rid').replace(' ', '-');
    const first = await realm.call('POST', `customer?requestid=${requestid}`, { DisplayName: name });
    const second = await realm.call('POST', `customer?requestid=${requestid}`, { DisplayName: name });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.json.Customer.Id).toBe(first.json.Customer.Id);
    const found = await realm.query(`select count(*) from Customer where DisplayName = '${name}'`);
    expect(found.json.QueryResponse.totalCount).toBe(1);
    const admin = target().admin;
    if (admin) {
      expect(await admin.entities(realm.realmId, 'Customer')).toHaveLength(1);
      const log = (await admin.requests({ realmId: realm.realmId })).filter((e) => e.requestid === requestid);
      expect(log.map((e) => [e.operation, e.status, e.replayed ?? false])).toEqual([
        ['create', 200, false],
        ['create', 200, true],
      ]);
    }
  });
});
