import { sql } from 'kysely';
import type { QbsyncApi } from '../../client/api';
import type { Db } from '../../schema/db';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { problemOf, startApiHarness, type ApiHarness } from './harness';

let stack: Stack;
let db: Db;
let h: ApiHarness;
let api: QbsyncApi;

beforeAll(async () => {
  stack = await createStack('api_conflicts');
  db = stack.database.db;
  h = await startApiHarness(db, {
    temporal: async () => ({ client: stack.temporal.client, taskQueue: stack.temporal.taskQueue }),
  });
  api = h.client(await h.key(['*'], 'console'));
});

afterAll(async () => {
  await h?.close();
  await stack?.close();
});

interface QboRecord {
  Id: string;
  SyncToken: string;
  CompanyName?: string;
  PrivateNote?: string;
}

async function qboOne(realmId: string, type: 'Customer' | 'Invoice', id: string): Promise<QboRecord> {
  return (await stack.admin.entities<QboRecord>(realmId, type)).find((r) => r.Id === id)!;
}

/** A customer edited on both sides between two runs: the second run records the conflict under `policy`. */
async function customerConflict(policy: string) {
  const { tenantId, realmId } = await stack.addTenant({ settings: { conflictPolicy: policy } });
  const created = (
    await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: `Both ${policy}`, CompanyName: 'Original' })
  ).Customer as QboRecord;
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const appId = (
    await db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()
  ).id;
  await db.updateTable('customers').set({ company_name: 'From the app' }).where('id', '=', appId).execute();
  await stack.admin.advanceClock(5_000);
  await stack.qboFetch(realmId, 'POST', 'customer', {
    Id: created.Id,
    SyncToken: created.SyncToken,
    sparse: true,
    CompanyName: 'From QuickBooks',
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const [conflict] = (await api.listConflicts(tenantId, { state: 'open' })).data;
  expect(conflict).toMatchObject({ entity: 'customer', app_id: appId, remote_id: created.Id, resolution: null });
  const appName = async () =>
    (await db.selectFrom('customers').select('company_name').where('id', '=', appId).executeTakeFirstOrThrow())
      .company_name;
  return { tenantId, realmId, appId, qboId: created.Id, conflict, appName };
}

/** An invoice (from QuickBooks) whose private note is edited on both sides between two runs. */
async function invoiceConflict(policy: string) {
  const { tenantId, realmId } = await stack.addTenant({ settings: { conflictPolicy: policy } });
  const customer = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Invoiced Co' }))
    .Customer as QboRecord;
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Hour',
      Type: 'Service',
      UnitPrice: 100,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as QboRecord;
  const invoice = (
    await stack.qboFetch(realmId, 'POST', 'invoice', {
      CustomerRef: { value: customer.Id },
      PrivateNote: 'Original',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 200,
          SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 2, UnitPrice: 100 },
        },
      ],
    })
  ).Invoice as QboRecord;
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const appId = (
    await db.selectFrom('invoices').select('id').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()
  ).id;
  await db.updateTable('invoices').set({ private_note: 'From the app' }).where('id', '=', appId).execute();
  await stack.admin.advanceClock(5_000);
  await stack.qboFetch(realmId, 'POST', 'invoice', {
    Id: invoice.Id,
    SyncToken: invoice.SyncToken,
    sparse: true,
    PrivateNote: 'From QuickBooks',
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const [conflict] = (await api.listConflicts(tenantId, { state: 'open' })).data;
  expect(conflict).toMatchObject({ entity: 'invoice', app_id: appId, remote_id: invoice.Id });
  const appNote = async () =>
    (await db.selectFrom('invoices').select('private_note').where('id', '=', appId).executeTakeFirstOrThrow())
      .private_note;
  return { tenantId, realmId, appId, qboId: invoice.Id, conflict, appNote };
}

/** After resolving: a run converges both sides without a new conflict, and the run after it writes nothing. */
async function convergesQuietly(tenantId: string, realmId: string) {
  const conflictsBefore = (await api.listConflicts(tenantId)).data.length;
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  expect((await api.listConflicts(tenantId)).data).toHaveLength(conflictsBefore);
  const seq = await lastSeq(stack.admin);
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
  expect((await api.listConflicts(tenantId, { state: 'open' })).data).toEqual([]);
}

test("customer, QuickBooks won: keeping the app's version queues it, and the next run sends it to QuickBooks", async () => {
  const c = await customerConflict('quickbooks-wins');
  expect(c.conflict.winner).toBe('quickbooks');
  expect(await c.appName()).toBe('From QuickBooks');

  const resolved = await api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'app' });
  expect(resolved.action).toBe('queued-for-push');
  expect(resolved.sync).toBeNull();
  expect(resolved.conflict.resolution).toMatchObject({ keep: 'app', by: expect.stringContaining('console') });
  expect(await c.appName()).toBe('From the app');

  await convergesQuietly(c.tenantId, c.realmId);
  expect((await qboOne(c.realmId, 'Customer', c.qboId)).CompanyName).toBe('From the app');
  expect(await c.appName()).toBe('From the app');

  // Resolving twice is refused, naming who resolved it; an unknown conflict is not found.
  const twice = await problemOf(api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'quickbooks' }));
  expect(twice.status).toBe(409);
  expect(twice.problem.detail).toMatch(/already resolved by API key console .* keeping the app version/);
  expect(twice.problem.errors[0]).toMatchObject({ in: 'path', field: 'id' });
  const unknown = await problemOf(api.resolveConflict(c.tenantId, 999_999, { keep: 'app' }));
  expect(unknown.status).toBe(404);
  expect(unknown.problem.detail).toContain(`tenant ${c.tenantId} has no conflict 999999`);
});

test("customer, the app won: keeping QuickBooks' version writes it into the app now, and the next run puts it back in QuickBooks", async () => {
  const c = await customerConflict('app-wins');
  expect(c.conflict.winner).toBe('app');
  expect((await qboOne(c.realmId, 'Customer', c.qboId)).CompanyName).toBe('From the app');

  const resolved = await api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'quickbooks' });
  expect(resolved.action).toBe('queued-for-push');
  expect(await c.appName()).toBe('From QuickBooks');

  await convergesQuietly(c.tenantId, c.realmId);
  expect((await qboOne(c.realmId, 'Customer', c.qboId)).CompanyName).toBe('From QuickBooks');
  expect(await c.appName()).toBe('From QuickBooks');
});

test('keeping the side the policy let win changes nothing and closes the conflict', async () => {
  const c = await customerConflict('quickbooks-wins');
  const seq = await lastSeq(stack.admin);
  const resolved = await api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'quickbooks' });
  expect(resolved.action).toBe('nothing-to-do');
  expect(await c.appName()).toBe('From QuickBooks');
  await convergesQuietly(c.tenantId, c.realmId);
  expect(await qboWrites(stack.admin, c.realmId, seq)).toEqual([]);
  expect((await api.listConflicts(c.tenantId, { state: 'resolved' })).data.map((x) => x.id)).toEqual([c.conflict.id]);
});

test("invoice, QuickBooks won: keeping the app's version with sync: true runs a sync that sends it", async () => {
  const c = await invoiceConflict('quickbooks-wins');
  expect(await c.appNote()).toBe('From QuickBooks');

  const resolved = await api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'app', sync: true });
  expect(resolved.action).toBe('queued-for-push');
  expect(await c.appNote()).toBe('From the app');
  expect(resolved.sync).toMatchObject({ tenant: c.tenantId, phase: expect.stringMatching(/queued|running|succeeded/) });
  expect(resolved.sync!.run!.workflow_id).toContain(c.tenantId);
  const done = await until(
    'the requested run finished',
    () => api.getSyncRequest(c.tenantId, resolved.sync!.request_id),
    (r) => r.phase === 'succeeded' || r.phase === 'failed',
  );
  expect(done.phase).toBe('succeeded');
  expect((await api.getRun(c.tenantId, done.run!.id!)).status).toBe('succeeded');
  expect((await qboOne(c.realmId, 'Invoice', c.qboId)).PrivateNote).toBe('From the app');

  await convergesQuietly(c.tenantId, c.realmId);
  expect(await c.appNote()).toBe('From the app');
});

test("invoice, the app won: keeping QuickBooks' version brings it back on both sides", async () => {
  const c = await invoiceConflict('app-wins');
  expect((await qboOne(c.realmId, 'Invoice', c.qboId)).PrivateNote).toBe('From the app');

  const resolved = await api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'quickbooks' });
  expect(resolved.action).toBe('queued-for-push');
  expect(await c.appNote()).toBe('From QuickBooks');

  await convergesQuietly(c.tenantId, c.realmId);
  expect((await qboOne(c.realmId, 'Invoice', c.qboId)).PrivateNote).toBe('From QuickBooks');
  expect(await c.appNote()).toBe('From QuickBooks');
});

test('error paths: a bad body names the field; a removal or an unsynced app edit cannot be resolved by choosing a side', async () => {
  const c = await customerConflict('quickbooks-wins');
  const misspelt = await problemOf(
    api.call('resolveConflict', { tenant: c.tenantId, id: c.conflict.id }, { body: { side: 'app' } }),
  );
  expect(misspelt.status).toBe(400);
  expect(misspelt.problem.errors).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ in: 'body', field: 'side', message: 'unknown field' }),
      expect.objectContaining({ in: 'body', field: 'keep' }),
    ]),
  );
  const both = await problemOf(
    api.call('resolveConflict', { tenant: c.tenantId, id: c.conflict.id }, { body: { keep: 'both' } }),
  );
  expect(both.status).toBe(400);
  expect(both.problem.errors[0]).toMatchObject({ in: 'body', field: 'keep' });
  const badId = await problemOf(
    api.call('resolveConflict', { tenant: c.tenantId, id: 'x' }, { body: { keep: 'app' } }),
  );
  expect(badId.problem.errors[0]).toMatchObject({ in: 'path', field: 'id' });

  // The app edits the record again before a run: resolving would overwrite that edit.
  await db.updateTable('customers').set({ company_name: 'Newer app edit' }).where('id', '=', c.appId).execute();
  const stale = await problemOf(api.resolveConflict(c.tenantId, c.conflict.id, { keep: 'app' }));
  expect(stale.status).toBe(409);
  expect(stale.problem.detail).toMatch(/changed in the app since the conflict.*run a sync, then resolve/);
  expect(await c.appName()).toBe('Newer app edit');

  await sql`insert into sync_conflicts (tenant_id, entity, app_id, remote_id, policy, winner, app_version, remote_version)
            values (${c.tenantId}, 'customer', ${c.appId}, ${c.qboId}, 'quickbooks-wins', 'quickbooks',
                    '{"removed":"deleted","record":null}', '{"displayName":"x"}')`.execute(db);
  const [removal] = (await api.listConflicts(c.tenantId, { limit: 1 })).data;
  const refused = await problemOf(api.resolveConflict(c.tenantId, removal.id, { keep: 'app' }));
  expect(refused.status).toBe(422);
  expect(refused.problem.detail).toMatch(/about a removal .* restore or remove the record by hand/);
  expect((await api.listConflicts(c.tenantId, { state: 'open' })).data).toHaveLength(2);
});
