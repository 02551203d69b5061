import { randomUUID } from 'node:crypto';
import { syncTransaction } from '../../activities/sync/appSide';
import { MAPPINGS } from '../../activities/sync/entities';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import type { InvoiceRecord } from '../../activities/sync/entities/invoice';
import { LinkStore, type Link } from '../../activities/sync/links';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** The page-at-once SQL of the engine: the same rows as writing record by record, conflicting rows included. */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('bulk_writes');
});
afterAll(() => database?.drop());

async function tenant(): Promise<string> {
  const tenantId = `bulk-${randomUUID().slice(0, 8)}`;
  await database.db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'memory' }).execute();
  return tenantId;
}

const link = (appId: number, remoteId: string, fingerprint = `fp-${appId}-${remoteId}`): Link => ({
  appId,
  remoteId,
  remoteVersion: '1',
  fingerprint,
});

async function linksOf(tenantId: string) {
  const rows = await database.db
    .selectFrom('sync_links')
    .select(['app_id', 'remote_id', 'fingerprint'])
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', 'customer')
    .orderBy('app_id')
    .execute();
  return rows.map((r) => [r.app_id, r.remote_id, r.fingerprint]);
}

describe('links.upsertMany', () => {
  it('ends with the same links as upserting one by one, when new agreements conflict with existing links', async () => {
    const existing = [link(1, 'A'), link(2, 'B'), link(3, 'C'), link(4, 'D')];
    // 1 keeps its backend record (updated); 2 moves to E; F moves onto app 5 from nowhere; C is taken by app 6 from 3.
    const page = [link(1, 'A', 'new-1'), link(2, 'E'), link(5, 'F'), link(6, 'C')];
    const results = [];
    for (const bulk of [false, true]) {
      const tenantId = await tenant();
      const store = new LinkStore(tenantId, 'memory');
      const at = new Date();
      await syncTransaction(database.db, (trx) => store.insertNew(trx, 'customer', existing, at));
      await syncTransaction(database.db, async (trx) => {
        if (bulk) await store.upsertMany(trx, 'customer', page, at);
        else for (const l of page) await store.upsert(trx, 'customer', l, at);
      });
      results.push(await linksOf(tenantId));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual([
      [1, 'A', 'new-1'],
      [2, 'E', 'fp-2-E'],
      [4, 'D', 'fp-4-D'],
      [5, 'F', 'fp-5-F'],
      [6, 'C', 'fp-6-C'],
    ]);
  });

  it('takes the last of two agreements naming the same record, as one by one would', async () => {
    const tenantId = await tenant();
    const store = new LinkStore(tenantId, 'memory');
    await syncTransaction(database.db, (trx) =>
      store.upsertMany(trx, 'customer', [link(1, 'A'), link(2, 'A'), link(2, 'B')], new Date()),
    );
    expect(await linksOf(tenantId)).toEqual([[2, 'B', 'fp-2-B']]);
  });
});

describe('bulk create and update of app records', () => {
  const customer = (name: string): CustomerRecord =>
    ({
      displayName: name,
      companyName: null,
      givenName: null,
      familyName: null,
      email: `${name}@example.com`,
      phone: null,
      billingAddress: {
        line1: `${name} street`,
        line2: null,
        line3: null,
        city: 'X',
        region: null,
        postalCode: null,
        country: null,
      },
      shippingAddress: null,
      parentId: null,
      active: true,
    }) as CustomerRecord;

  it('creates records in input order with their ids, and updates invoices and their lines as writeApp would', async () => {
    const tenantId = await tenant();
    const { db } = database;
    const names = ['c1', 'c2', 'c3'];
    const ids = await syncTransaction(db, (trx) => MAPPINGS.customer!.createApp!(trx, tenantId, names.map(customer)));
    const loaded = await MAPPINGS.customer!.loadApp(db, tenantId, ids);
    expect(ids.map((id) => (loaded.get(id) as { canonical: CustomerRecord }).canonical.displayName)).toEqual(names);

    const line = (n: number) => ({
      kind: 'item' as const,
      itemId: null,
      description: `line ${n}`,
      quantity: '1',
      unitPrice: `${n}`,
      amountCents: n * 100,
      taxable: false,
    });
    const invoice = (doc: string, lines: number[]): InvoiceRecord => ({
      docNumber: doc,
      customerId: ids[0],
      txnDate: '2026-01-02',
      dueDate: null,
      taxCodeId: null,
      lines: lines.map(line),
      subtotalCents: 0,
      taxCents: 0,
      totalCents: 0,
      balanceCents: 0,
      email: null,
      customerMemo: null,
      privateNote: null,
    });
    const mapping = MAPPINGS.invoice!;
    const [a, b] = await syncTransaction(db, (trx) =>
      mapping.createApp!(trx, tenantId, [invoice('A', [1, 2]), invoice('B', [3])]),
    );
    const lineIds = async () =>
      (await db.selectFrom('invoice_lines').select('id').where('invoice_id', 'in', [a, b]).orderBy('id').execute()).map(
        (r) => r.id,
      );
    const before = await lineIds();
    // A: its number and one line change, a line is added; B: a line fewer. Unchanged lines keep their rows.
    const updated = [
      { appId: a, c: { ...invoice('A-1', [1, 5, 6]), totalCents: 1200 } },
      { appId: b, c: invoice('B', []) },
    ];
    await syncTransaction(db, (trx) => mapping.updateApp!(trx, tenantId, updated));
    const after = await mapping.loadApp(db, tenantId, [a, b]);
    expect(after.get(a)).toMatchObject({ canonical: updated[0].c });
    expect(after.get(b)).toMatchObject({ canonical: updated[1].c });
    expect((await lineIds()).slice(0, 2)).toEqual(before.slice(0, 2));
  });
});
