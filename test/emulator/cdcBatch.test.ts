import { createCustomer, createInvoice, createItem, salesLine } from './fixtures';
import { contract, unique } from './target';

const DAY = 24 * 3600 * 1000;

contract('CDC and batch', ({ target, emulatorOnly }) => {
  it('CDC returns changed objects and a deleted invoice as {status:"Deleted"}', async () => {
    const realm = await target().realm();
    const since = new Date(Date.now() - 60_000).toISOString();
    const customer = await createCustomer(realm);
    const item = await createItem(realm);
    const invoice = (await createInvoice(realm, customer.Id, [salesLine(item.Id, 1, 10)])).json.Invoice;
    await realm.call('POST', 'invoice?operation=delete', { Id: invoice.Id, SyncToken: invoice.SyncToken });
    const r = await realm.call('GET', `cdc?entities=Customer,Invoice&changedSince=${encodeURIComponent(since)}`);
    expect(r.status).toBe(200);
    const responses = r.json.CDCResponse[0].QueryResponse as Array<Record<string, Array<Record<string, unknown>>>>;
    const customers = responses.flatMap((q) => q.Customer ?? []);
    const invoices = responses.flatMap((q) => q.Invoice ?? []);
    expect(customers.map((c) => c.Id)).toContain(customer.Id);
    expect(invoices.find((i) => i.Id === invoice.Id)).toMatchObject({ status: 'Deleted', Id: invoice.Id });
  });

  it('CDC refuses a changedSince more than 30 days back, and TaxCode', async () => {
    const realm = await target().realm();
    const old = new Date(Date.now() - 31 * DAY).toISOString();
    const r = await realm.call('GET', `cdc?entities=Customer&changedSince=${encodeURIComponent(old)}`);
    expect(r.status).toBe(400);
    expect(r.json.Fault).toBeDefined();
    const tax = await realm.call(
      'GET',
      `cdc?entities=TaxCode&changedSince=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(tax.status).toBe(400);
  });

  emulatorOnly('CDC look-back follows the emulator clock', async () => {
    const realm = await target().realm();
    const since = new Date(Date.now() - 1000).toISOString();
    await createCustomer(realm);
    await target().admin!.advanceClock(31 * DAY);
    try {
      const r = await realm.call('GET', `cdc?entities=Customer&changedSince=${encodeURIComponent(since)}`);
      expect(r.status).toBe(401); // the access token expired too: an hour is long gone
      const tokens = await target().admin!.issueTokens({ realmId: realm.realmId, clientId: target().clientId! });
      const again = await fetch(realm.url(`cdc?entities=Customer&changedSince=${encodeURIComponent(since)}`), {
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
      });
      expect(again.status).toBe(400);
    } finally {
      await target().admin!.advanceClock(-31 * DAY);
    }
  });

  emulatorOnly('CDC answers at most 1000 objects', async () => {
    const realm = await target().realm();
    await target().admin!.seed(realm.realmId, { kind: 'bulk', customers: 1200 });
    const r = await realm.call(
      'GET',
      `cdc?entities=Customer&changedSince=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`,
    );
    expect(r.json.CDCResponse[0].QueryResponse[0].Customer).toHaveLength(1000);
  });

  it('batch runs items independently: successes and per-item faults in one 200 answer', async () => {
    const realm = await target().realm();
    const existing = await createCustomer(realm);
    const fresh = unique('Batch');
    const r = await realm.call('POST', 'batch', {
      BatchItemRequest: [
        { bId: 'b1', operation: 'create', Customer: { DisplayName: fresh } },
        { bId: 'b2', operation: 'create', Customer: { DisplayName: existing.DisplayName } },
        { bId: 'b3', operation: 'update', Customer: { Id: existing.Id, SyncToken: '99', sparse: true, Notes: 'x' } },
        { bId: 'b4', Query: `select * from Customer where Id = '${existing.Id}'` },
      ],
    });
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(
      (r.json.BatchItemResponse as Array<{ bId: string }>).map((x) => [x.bId, x]),
    ) as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byId.b1.Customer.DisplayName).toBe(fresh);
    expect(byId.b2.Fault.Error[0].code).toBe('6240');
    expect(byId.b3.Fault.Error[0].code).toBe('5010');
    expect(byId.b4.QueryResponse.Customer[0].Id).toBe(existing.Id);
  });

  it('batch refuses more than 30 items', async () => {
    const realm = await target().realm();
    const items = Array.from({ length: 31 }, (_, i) => ({
      bId: `b${i}`,
      Query: 'select * from Customer MAXRESULTS 1',
    }));
    const r = await realm.call('POST', 'batch', { BatchItemRequest: items });
    expect(r.status).toBe(400);
    expect(r.json.Fault).toBeDefined();
  });
});
