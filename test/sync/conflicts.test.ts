import type { Db } from '../../schema/db';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('conflicts');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

async function setupEditedOnBothSides(policy: string) {
  const { tenantId, realmId } = await stack.addTenant({ settings: { conflictPolicy: policy } });
  const created = (
    await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: `Both Sides ${policy}`, CompanyName: 'Original' })
  ).Customer as { Id: string; SyncToken: string };
  await stack.sync(tenantId);
  const appId = (
    await db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()
  ).id;
  // The app edits first; QuickBooks edits a moment later.
  await db.updateTable('customers').set({ company_name: 'From the app' }).where('id', '=', appId).execute();
  // QuickBooks' timestamps have one-second resolution: its clock moves on, so its edit is unambiguously the later one.
  await stack.admin.advanceClock(5_000);
  await stack.qboFetch(realmId, 'POST', 'customer', {
    Id: created.Id,
    SyncToken: created.SyncToken,
    sparse: true,
    CompanyName: 'From QuickBooks',
  });
  const run = await stack.sync(tenantId);
  const app = await db.selectFrom('customers').select('company_name').where('id', '=', appId).executeTakeFirstOrThrow();
  const qbo = (await stack.admin.entities<{ Id: string; CompanyName: string }>(realmId, 'Customer')).find(
    (c) => c.Id === created.Id,
  )!;
  const conflicts = await db.selectFrom('sync_conflicts').selectAll().where('tenant_id', '=', tenantId).execute();
  return { tenantId, realmId, run, app: app.company_name, qbo: qbo.CompanyName, conflicts };
}

test("quickbooks-wins (the default): QuickBooks' edit stands on both sides and the conflict is recorded with both versions", async () => {
  const r = await setupEditedOnBothSides('quickbooks-wins');
  expect(r.run.status).toBe('succeeded');
  expect([r.app, r.qbo]).toEqual(['From QuickBooks', 'From QuickBooks']);
  expect(r.conflicts).toHaveLength(1);
  expect(r.conflicts[0]).toMatchObject({ entity: 'customer', policy: 'quickbooks-wins', winner: 'quickbooks' });
  expect((r.conflicts[0].app_version as { companyName: string }).companyName).toBe('From the app');
  expect((r.conflicts[0].remote_version as { companyName: string }).companyName).toBe('From QuickBooks');
});

test("app-wins: the app's edit stands on both sides", async () => {
  const r = await setupEditedOnBothSides('app-wins');
  expect([r.app, r.qbo]).toEqual(['From the app', 'From the app']);
  expect(r.conflicts[0]).toMatchObject({ policy: 'app-wins', winner: 'app' });
});

test("latest-wins: the later edit (here QuickBooks') stands on both sides", async () => {
  const r = await setupEditedOnBothSides('latest-wins');
  expect([r.app, r.qbo]).toEqual(['From QuickBooks', 'From QuickBooks']);
  expect(r.conflicts[0]).toMatchObject({ policy: 'latest-wins', winner: 'quickbooks' });
});

test('records on both sides before the first sync are linked, not duplicated', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  await stack.qboFetch(realmId, 'POST', 'customer', {
    DisplayName: 'Acme Corp',
    PrimaryEmailAddr: { Address: 'ap@acme.example' },
  });
  await stack.qboFetch(realmId, 'POST', 'customer', {
    DisplayName: 'Globex (QuickBooks name)',
    PrimaryEmailAddr: { Address: 'billing@globex.example' },
  });
  await stack.qboFetch(realmId, 'POST', 'item', {
    Name: 'Support Plan',
    Type: 'Service',
    UnitPrice: 99,
    IncomeAccountRef: { value: '1' },
  });
  await db
    .insertInto('customers')
    .values([
      { tenant_id: tenantId, display_name: 'Acme Corp', email: 'ap@acme.example' },
      { tenant_id: tenantId, display_name: 'Globex', email: 'billing@globex.example' },
    ] as never)
    .execute();
  await db
    .insertInto('items')
    .values({
      tenant_id: tenantId,
      type: 'Service',
      name: 'support plan',
      sku: null,
      unit_price: '99',
      income_account: '1',
    })
    .execute();
  const seq = await lastSeq(stack.admin);
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  expect(await stack.admin.entities(realmId, 'Customer')).toHaveLength(2);
  expect(await stack.admin.entities(realmId, 'Item')).toHaveLength(1);
  expect(
    await db
      .selectFrom('customers')
      .select('display_name')
      .where('tenant_id', '=', tenantId)
      .orderBy('display_name')
      .execute(),
  ).toHaveLength(2);
  const links = await db.selectFrom('sync_links').select(['entity']).where('tenant_id', '=', tenantId).execute();
  expect(links.filter((l) => l.entity === 'customer')).toHaveLength(2);
  expect(links.filter((l) => l.entity === 'item')).toHaveLength(1);
  // Globex was matched by email; QuickBooks' name won (the default policy) and is now the app's.
  expect(
    (
      await db
        .selectFrom('customers')
        .select('display_name')
        .where('email', '=', 'billing@globex.example')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).display_name,
  ).toBe('Globex (QuickBooks name)');
  expect((await qboWrites(stack.admin, realmId, seq)).filter((w) => w.operation === 'create')).toEqual([]);
});

test('deletions: QuickBooks voids and deactivations become app statuses; app deactivations reach QuickBooks', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  const c = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Leaving Soon' })).Customer as {
    Id: string;
    SyncToken: string;
  };
  const stay = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Staying' })).Customer as {
    Id: string;
  };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Thing',
      Type: 'Service',
      UnitPrice: 5,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  const inv = (
    await stack.qboFetch(realmId, 'POST', 'invoice', {
      CustomerRef: { value: stay.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 5,
          SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 5 },
        },
      ],
    })
  ).Invoice as { Id: string; SyncToken: string };
  await stack.sync(tenantId);
  await stack.qboFetch(realmId, 'POST', 'customer', { Id: c.Id, SyncToken: c.SyncToken, sparse: true, Active: false });
  await stack.qboFetch(realmId, 'POST', 'invoice?operation=void', { Id: inv.Id, SyncToken: inv.SyncToken });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const leaving = await db
    .selectFrom('customers')
    .select(['display_name', 'active', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('display_name', '=', 'Leaving Soon')
    .executeTakeFirstOrThrow();
  expect(leaving).toEqual({ display_name: 'Leaving Soon', active: false, status: 'inactive' });
  expect(
    (await db.selectFrom('invoices').select('status').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow())
      .status,
  ).toBe('voided');

  await db
    .updateTable('customers')
    .set({ active: false, status: 'inactive' })
    .where('tenant_id', '=', tenantId)
    .where('display_name', '=', 'Staying')
    .execute();
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const qboStay = (
    await stack.admin.entities<{ Id: string; Active: boolean; DisplayName: string }>(realmId, 'Customer')
  ).find((x) => x.Id === stay.Id)!;
  expect(qboStay).toMatchObject({ Active: false, DisplayName: 'Staying (deleted)' });
  // The app never loses the record or its name.
  expect(
    await db
      .selectFrom('customers')
      .select('display_name')
      .where('tenant_id', '=', tenantId)
      .orderBy('display_name')
      .execute(),
  ).toEqual([{ display_name: 'Leaving Soon' }, { display_name: 'Staying' }]);
});
