import { qboApiFromClient } from '../../activities/backends/quickbooks-online/api';
import { OVERLAP_MS, QuickBooksOnlineBackend } from '../../activities/backends/quickbooks-online/backend';
import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import { MAPPINGS } from '../../activities/sync/entities';
import { LinkStore } from '../../activities/sync/links';
import { systemClock } from '../../workers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startHarness, type Harness, type TestRealm } from '../quickbooks/harness';

/**
 * Reading QuickBooks page by page while it changes: records updated and deleted between every two pages must not
 * push an unread record out of the read (an offset would: a deletion before the position shifts the rest left).
 */
let harness: Harness;
let database: TestDatabase;
let realm: TestRealm;

beforeAll(async () => {
  harness = await startHarness();
  database = await createTestDatabase('qbo_paging');
  realm = await harness.realm({ seed: 'demo' });
});
afterAll(async () => {
  await database?.drop();
  await harness?.close();
});

function backend(): QuickBooksOnlineBackend {
  const links = new LinkStore(realm.tenantId, 'quickbooks-online');
  const api = qboApiFromClient(realm.client);
  return new QuickBooksOnlineBackend(api, database.db, links, qboEntitiesFor('billing'), MAPPINGS, systemClock, () =>
    Promise.resolve(false),
  );
}

test('a paged read misses no invoice when invoices are updated and deleted between every two pages', async () => {
  const qbo = backend();
  const before = await harness.admin.entities<{ Id: string; SyncToken: string }>(realm.realmId, 'Invoice');
  expect(before.length).toBeGreaterThan(60);
  const seen = new Set<string>();
  const deleted = new Set<string>();
  let cursor: unknown = null;
  let pages = 0;
  for (let done = false; !done;) {
    const page = await qbo.readChanges('invoice', cursor, 10);
    pages++;
    for (const r of page.records) seen.add(r.id);
    ({ nextCursor: cursor, done } = page);
    if (done) break;
    // Between pages: delete two invoices already read (the lowest ids left) and update one not yet read.
    const live = (
      await harness.admin.entities<{ Id: string; SyncToken: string; PrivateNote?: string }>(realm.realmId, 'Invoice')
    ).sort((a, b) => Number(a.Id) - Number(b.Id));
    for (const victim of live.filter((i) => seen.has(i.Id)).slice(0, 2)) {
      await realm.client.delete('Invoice', victim, { requestId: `paging-del-${victim.Id}` });
      deleted.add(victim.Id);
    }
    const unread = live.find((i) => !seen.has(i.Id));
    if (unread)
      await realm.client.update(
        'Invoice',
        { Id: unread.Id, SyncToken: unread.SyncToken, sparse: true, PrivateNote: `touched after page ${pages}` },
        { requestId: `paging-upd-${unread.Id}` },
      );
  }
  expect(pages).toBeGreaterThan(6);
  expect(deleted.size).toBeGreaterThan(10);
  // Every invoice that existed when the read began was read, deleted or not.
  expect(before.map((i) => i.Id).filter((id) => !seen.has(id))).toEqual([]);
  // The read continues with QuickBooks' change feed, which reports the deletions and the updates made meanwhile.
  expect(cursor).toMatchObject({ mode: 'cdc' });
  const followUp = await qbo.readChanges('invoice', cursor, 1000);
  const reported = new Set(followUp.records.filter((r) => r.deleted === 'deleted').map((r) => r.id));
  expect([...deleted].filter((id) => !reported.has(id))).toEqual([]);
});

test('a keyset cursor resumes after the last id even when that record was deleted', async () => {
  const qbo = backend();
  const first = await qbo.readChanges('customer', null, 5);
  const last = first.records.at(-1)!;
  const customers = await harness.admin.entities<{ Id: string; SyncToken: string }>(realm.realmId, 'Customer');
  const lastRecord = customers.find((c) => c.Id === last.id)!;
  // Customers cannot be deleted, only deactivated; a deactivated one is still read (Active IN (true, false)).
  await realm.client.update(
    'Customer',
    { Id: lastRecord.Id, SyncToken: lastRecord.SyncToken, sparse: true, Active: false },
    { requestId: 'paging-deactivate' },
  );
  const second = await qbo.readChanges('customer', first.nextCursor, 5);
  const ids = [...first.records, ...second.records].map((r) => Number(r.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(10);
});

test('a cursor saved by the offset-paged version starts its read again instead of failing', async () => {
  const qbo = backend();
  const old = { mode: 'full', startPosition: 11, since: new Date().toISOString() };
  const page = await qbo.readChanges('customer', old, 5);
  expect(page.records).toHaveLength(5);
  expect(page.nextCursor).toMatchObject({ mode: 'full', afterId: page.records.at(-1)!.id });
});

test("a read's window starts from QuickBooks' time, not this machine's clock, a few seconds back", async () => {
  // This machine's clock an hour ahead: a cursor from it would skip the hour's changes.
  const ahead = { now: () => new Date(Date.now() + 3600_000) };
  const links = new LinkStore(realm.tenantId, 'quickbooks-online');
  const qbo = new QuickBooksOnlineBackend(
    qboApiFromClient(realm.client),
    database.db,
    links,
    qboEntitiesFor('billing'),
    MAPPINGS,
    ahead,
    () => Promise.resolve(false),
  );
  const before = Date.now();
  let cursor: unknown = null;
  for (let done = false; !done;) ({ nextCursor: cursor, done } = await qbo.readChanges('customer', cursor, 1000));
  const since = Date.parse((cursor as { mode: string; since: string }).since);
  expect(cursor).toMatchObject({ mode: 'cdc' });
  expect(since).toBeLessThanOrEqual(before - OVERLAP_MS + 1000);
  expect(since).toBeGreaterThan(before - OVERLAP_MS - 60_000);
  // A customer changed right after is in the next read.
  const [first] = await harness.admin.entities<{ Id: string; SyncToken: string }>(realm.realmId, 'Customer');
  await realm.client.update(
    'Customer',
    { Id: first.Id, SyncToken: first.SyncToken, sparse: true, Notes: 'changed after the read' },
    { requestId: 'paging-after-read' },
  );
  const next = await qbo.readChanges('customer', cursor, 1000);
  expect(next.records.map((r) => r.id)).toContain(first.Id);
  expect(next.nextCursor).toMatchObject({ mode: 'cdc' });
  expect(Date.parse((next.nextCursor as { since: string }).since)).toBeLessThan(Date.now());
});

test('records read at their agreed SyncToken come back settled, except items (stock moves without a new SyncToken)', async () => {
  const qbo = backend();
  const read = async (entity: 'customer' | 'item') => {
    const objects = await harness.admin.entities<{ Id: string; SyncToken: string }>(
      realm.realmId,
      entity === 'customer' ? 'Customer' : 'Item',
    );
    const agreed = async (ids: string[]) =>
      new Map(objects.filter((o) => ids.includes(o.Id)).map((o) => [o.Id, o.SyncToken]));
    return (await qbo.readChanges(entity, null, 1000, agreed)).records;
  };
  const customers = await read('customer');
  expect(customers.length).toBeGreaterThan(5);
  expect(customers.every((r) => r.settled && r.canonical === undefined)).toBe(true);
  const items = await read('item');
  expect(items.length).toBeGreaterThan(5);
  expect(items.every((r) => !r.settled && (r.canonical !== undefined || r.problem !== undefined))).toBe(true);
});
