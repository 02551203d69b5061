import { pushPage } from '../../activities/sync/engine';
import { MAPPINGS } from '../../activities/sync/entities';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { qboPushContext } from '../helpers/qboPush';
import { failure, startHarness, type Harness } from '../quickbooks/harness';

/**
 * A push page goes out as several batches side by side. When one of them is carried out by QuickBooks but its answer
 * is lost, the page fails; its retry resends the saved plan under the same requestids, and QuickBooks (which replays
 * a known requestid's answer) ends with every record once — and the page's links and bulk stamp-back are written.
 */
let database: TestDatabase;
let harness: Harness;

beforeAll(async () => {
  database = await createTestDatabase('pipelined_retry');
  harness = await startHarness();
});
afterAll(async () => {
  await database?.drop();
  await harness?.close();
});

test('a pipelined page whose batch answer is lost is resent under the same requestids: each customer once', async () => {
  const { db } = database;
  const realm = await harness.realm({ seed: 'empty' });
  const { tenantId } = realm;
  const ctx = await qboPushContext(db, realm);
  const names = Array.from({ length: 100 }, (_, i) => `Pipelined ${String(i).padStart(3, '0')}`);
  await db
    .insertInto('customers')
    .values(names.map((display_name) => ({ tenant_id: tenantId, display_name })))
    .execute();
  const mapping = MAPPINGS.customer!;

  // 100 customers: four batches in flight; one is carried out and its answer dropped.
  await harness.admin.injectFaults({
    realmId: realm.realmId,
    match: { operation: 'batch' },
    count: 1,
    fault: { kind: 'drop', afterExecute: true },
  });
  await failure(pushPage(ctx, mapping, null));
  const sent = await harness.admin.requests({ realmId: realm.realmId });
  const batchIds = sent.filter((r) => r.operation === 'batch').map((r) => r.requestid);
  expect(batchIds.length).toBeGreaterThan(1);
  expect((await harness.admin.entities(realm.realmId, 'Customer')).length).toBeGreaterThan(0);

  await harness.admin.clearFaults();
  const outcome = await pushPage(ctx, mapping, null);
  expect(outcome.counts.created).toBe(100);
  const resent = (await harness.admin.requests({ realmId: realm.realmId }))
    .filter((r) => r.operation === 'batch')
    .map((r) => r.requestid)
    .slice(batchIds.length);
  expect(new Set(resent)).toEqual(new Set(batchIds));

  const inQuickBooks = (await harness.admin.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName).sort();
  expect(inQuickBooks).toEqual(names);
  const linked = await db.selectFrom('sync_links').select('remote_id').where('tenant_id', '=', tenantId).execute();
  expect(new Set(linked.map((l) => l.remote_id)).size).toBe(100);
  const pending = await db.selectFrom('app_changes').select('id').where('tenant_id', '=', tenantId).execute();
  expect(pending).toEqual([]);
});
