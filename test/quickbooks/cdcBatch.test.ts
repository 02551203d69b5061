import { QboStaleObjectError, QboValidationError, select, type QboDeleted } from '../../activities/quickbooks';
import { startHarness, type Harness, type TestRealm } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const DAY = 24 * 3600 * 1000;

async function anInvoice(realm: TestRealm, requestId: string) {
  const [item] = await realm.client.queryAll('Item', select('Item').where('Type', '=', 'Service').maxResults(1), {
    pageSize: 1,
  });
  const [customer] = await realm.client.queryAll('Customer', undefined, { pageSize: 1 }).then((all) => all.slice(0, 1));
  return realm.client.create(
    'Invoice',
    {
      CustomerRef: { value: customer.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 25,
          SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 25, TaxCodeRef: { value: 'NON' } },
        },
      ],
    },
    { requestId },
  );
}

describe('batch', () => {
  it('maps mixed successes and per-item faults back to the input order', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const existing = await realm.client.create('Customer', { DisplayName: 'Taken Name' }, { requestId: 'b-setup-1' });
    await realm.client.update(
      'Customer',
      { Id: existing.Id, SyncToken: existing.SyncToken!, CompanyName: 'Moved on' },
      { requestId: 'b-setup-2' },
    );
    const results = await realm.client.batch(
      [
        { operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch New' } },
        { operation: 'create', entity: 'Customer', body: { DisplayName: 'Taken Name' }, recordId: 'app-9' },
        {
          operation: 'update',
          entity: 'Customer',
          body: { Id: existing.Id, SyncToken: existing.SyncToken, sparse: true, CompanyName: 'stale write' },
        },
        { query: "SELECT * FROM Customer WHERE DisplayName = 'Taken Name'" },
      ],
      { requestId: 'batch-mixed' },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[0].ok && results[0].entity && (results[0].entity as { DisplayName?: string }).DisplayName).toBe(
      'Batch New',
    );
    const dup = !results[1].ok ? results[1].error : undefined;
    expect(dup).toBeInstanceOf(QboValidationError);
    expect(dup).toMatchObject({ code: '6240', entity: 'Customer', recordId: 'app-9', tenantId: realm.tenantId });
    const stale = !results[2].ok ? results[2].error : undefined;
    expect(stale).toBeInstanceOf(QboStaleObjectError);
    expect(stale?.recordId).toBe(existing.Id);
    expect(results[3].ok && (results[3].queryResponse?.Customer as unknown[]).length).toBe(1);
    const log = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.operation === 'batch');
    expect(log.map((r) => r.requestid)).toEqual(['batch-mixed-0']);
  });

  it('splits more than 30 items into requests of at most 30, each with its own requestid of ≤ 36 characters', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const names = Array.from({ length: 65 }, (_, i) => `Bulk ${String(i).padStart(2, '0')}`);
    const base = 'x'.repeat(34);
    const results = await realm.client.batch(
      names.map((DisplayName) => ({ operation: 'create' as const, entity: 'Customer', body: { DisplayName } })),
      { requestId: base },
    );
    expect(results.map((r) => (r.ok ? (r.entity as { DisplayName?: string }).DisplayName : r.error.message))).toEqual(
      names,
    );
    const log = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.operation === 'batch');
    expect(log).toHaveLength(3);
    const ids = log.map((r) => r.requestid!);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(36);
    expect((await h.admin.entities(realm.realmId, 'Customer')).length).toBe(65);
    // The same call again (a retried activity) replays every chunk: still 65 customers.
    await realm.client.batch(
      names.map((DisplayName) => ({ operation: 'create' as const, entity: 'Customer', body: { DisplayName } })),
      { requestId: base },
    );
    expect((await h.admin.entities(realm.realmId, 'Customer')).length).toBe(65);
  });

  it('a fault of the whole batch request throws', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'batch' },
      count: 1,
      fault: { kind: 'status', status: 503 },
    });
    await expect(
      realm.client.batch([{ query: 'SELECT * FROM Customer' }], { requestId: 'batch-503' }),
    ).rejects.toMatchObject({ name: 'QboTransientError', status: 503 });
  });
});

describe('change data capture', () => {
  it('returns changed and deleted records of several entities in one call', async () => {
    const realm = await h.realm();
    const since = new Date(Date.now() - 60_000);
    const invoice = await anInvoice(realm, 'cdc-inv-1');
    const customer = await realm.client.create('Customer', { DisplayName: 'CDC New' }, { requestId: 'cdc-cust-1' });
    const gone = await realm.client.delete(
      'Invoice',
      { Id: invoice.Id, SyncToken: invoice.SyncToken! },
      { requestId: 'cdc-del-1' },
    );
    expect(gone).toMatchObject({ Id: invoice.Id, status: 'Deleted' });
    const result = await realm.client.cdc(['Customer', 'Invoice'], since);
    expect(result.complete).toBe(true);
    expect(result.changes.Customer.map((c) => c.Id)).toContain(customer.Id);
    const deleted = result.changes.Invoice.find((o) => o.Id === invoice.Id) as QboDeleted;
    expect(deleted.status).toBe('Deleted');
    const log = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.operation === 'cdc');
    expect(log).toHaveLength(1);
  });

  it('beyond 30 days it reads by MetaData.LastUpdatedTime queries and says deletions are unknown', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await h.admin.seed(realm.realmId, { kind: 'bulk', customers: 40 });
    const before = (await h.admin.requests({ realmId: realm.realmId })).length;
    const result = await realm.client.cdc(['Customer'], new Date(Date.now() - 31 * DAY));
    expect(result.complete).toBe(false);
    expect(result.deletionsUnknown).toEqual(['Customer']);
    expect(result.changes.Customer).toHaveLength(40);
    const log = (await h.admin.requests({ realmId: realm.realmId })).slice(before);
    expect(log.map((r) => r.operation)).toEqual(['query']);
    expect(decodeURIComponent(log[0].path)).not.toContain('cdc');
  });

  it('an answer cut at 1000 objects falls back to queries for that entity', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await h.admin.seed(realm.realmId, { kind: 'bulk', customers: 1200 });
    const result = await realm.client.cdc(['Customer'], new Date(Date.now() - 60_000));
    expect(result.complete).toBe(false);
    expect(result.deletionsUnknown).toEqual(['Customer']);
    expect(new Set(result.changes.Customer.map((c) => c.Id)).size).toBe(1200);
    const ops = (await h.admin.requests({ realmId: realm.realmId })).map((r) => r.operation);
    expect(ops).toEqual(['cdc', 'query', 'query']);
  });

  it('TaxCode is not in CDC: it is read by query', async () => {
    const realm = await h.realm();
    const result = await realm.client.cdc(['TaxCode'], new Date(Date.now() - DAY));
    expect(result.deletionsUnknown).toEqual(['TaxCode']);
    expect((await h.admin.requests({ realmId: realm.realmId })).some((r) => r.operation === 'cdc')).toBe(false);
  });
});
