import { isoDate } from '../../activities/sync/entities/common';
import type { Db } from '../../schema/db';
import { qboIdOf } from '../orderTaking/helpers';
import { appRowsTouchedSince, createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';

/** qbsync against the strict emulator: what QuickBooks fills in, the accounts items need, and sub-customers (issue 15). */
let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('qbofilled');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

async function insert(table: 'customers' | 'items', values: Record<string, unknown>): Promise<number> {
  return (
    await db
      .insertInto(table)
      .values(values as never)
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

const linkOf = (tenantId: string, entity: string, appId: number) => qboIdOf(db, tenantId, entity, appId);

const moved = (run: Awaited<ReturnType<Stack['sync']>>) =>
  run.steps.reduce((n, s) => n + s.pushed.created + s.pushed.updated + s.pulled.created + s.pulled.updated, 0);

test("an invoice pushed without a due date gets QuickBooks' (from the terms) in the link's transaction; the next run writes nothing and records no conflict", async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
  const customer = await insert('customers', { tenant_id: tenantId, display_name: 'Terms Test Ltd' });
  const item = await insert('items', { tenant_id: tenantId, type: 'Service', name: 'Survey', unit_price: '80' });
  const invoice = await db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('invoices')
        .values({
          ...{ tenant_id: tenantId, customer_id: customer, txn_date: '2026-11-01', due_date: null },
          ...{ subtotal_cents: 16000, total_cents: 16000, balance_cents: 16000 },
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values({ invoice_id: id, line_num: 1, item_id: item, quantity: '2', unit_price: '80', amount_cents: 16000 })
      .execute();
    return id;
  });
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  const qboId = await linkOf(tenantId, 'invoice', invoice);
  const qbo = (await stack.admin.entities<{ Id: string; DueDate: string }>(realmId, 'Invoice')).find(
    (i) => i.Id === qboId,
  )!;
  expect(qbo.DueDate).toBe('2026-12-01'); // the company's Net 30
  const row = await db.selectFrom('invoices').selectAll().where('id', '=', invoice).executeTakeFirstOrThrow();
  expect(isoDate(row.due_date)).toBe('2026-12-01');
  // The item got the tenant's default income account, and the app now names it as QuickBooks does.
  const itemRow = await db.selectFrom('items').selectAll().where('id', '=', item).executeTakeFirstOrThrow();
  expect(itemRow.income_account).toBe('Sales of Product Income');

  const seq = await lastSeq(stack.admin);
  const since = new Date();
  const again = await stack.sync(tenantId);
  expect(again.status).toBe('succeeded');
  expect(moved(again)).toBe(0);
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
  expect(await appRowsTouchedSince(db, tenantId, since)).toBe(0);
  expect(await db.selectFrom('sync_conflicts').selectAll().where('tenant_id', '=', tenantId).execute()).toEqual([]);
});

test('items get accounts from the tenant settings (by name or number), looked up once per run; the app value overrides; a missing account is a clear problem', async () => {
  const { tenantId, realmId } = await stack.addTenant({
    seed: 'empty',
    settings: { onRecordError: 'skip', accounts: { income: '4010', expense: 'Cost of Goods Sold' } },
  });
  const services: number[] = [];
  for (let i = 0; i < 35; i++)
    services.push(await insert('items', { tenant_id: tenantId, type: 'Service', name: `Hour ${i}`, unit_price: '1' }));
  const own = await insert('items', {
    ...{ tenant_id: tenantId, type: 'NonInventory', name: 'Own account', unit_price: '2' },
    income_account: 'Sales of Product Income',
  });
  const stock = await insert('items', {
    ...{ tenant_id: tenantId, type: 'Inventory', name: 'Gear', unit_price: '3', quantity_on_hand: '7' },
  });
  const seq = await lastSeq(stack.admin);
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  type QboItem = { Id: string; Name: string; IncomeAccountRef?: { value: string; name?: string } } & Record<
    string,
    { value: string; name?: string } | unknown
  >;
  const items = await stack.admin.entities<QboItem>(realmId, 'Item');
  const byId = (appId: number) => linkOf(tenantId, 'item', appId).then((id) => items.find((i) => i.Id === id)!);
  expect((await byId(services[0])).IncomeAccountRef).toMatchObject({ value: '1', name: 'Services' }); // number 4010
  expect((await byId(own)).IncomeAccountRef).toMatchObject({ name: 'Sales of Product Income' });
  const gear = await byId(stock);
  expect(gear).toMatchObject({
    AssetAccountRef: { name: 'Inventory Asset' },
    ExpenseAccountRef: { name: 'Cost of Goods Sold' },
    QtyOnHand: 7,
  });
  const log = await stack.admin.requests({ realmId, sinceSeq: seq });
  expect(log.filter((e) => e.operation === 'query' && e.entity === 'Account')).toHaveLength(1);

  await db
    .updateTable('tenants')
    .set({ settings: JSON.stringify({ onRecordError: 'skip', accounts: { income: 'Consulting Fees' } }) } as never)
    .where('id', '=', tenantId)
    .execute();
  const orphan = await insert('items', { tenant_id: tenantId, type: 'Service', name: 'No account', unit_price: '1' });
  const run2 = await stack.sync(tenantId);
  expect(run2.steps.find((s) => s.step === 'items')!.pushed.failed).toBe(1);
  const problem = await db
    .selectFrom('sync_problems')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('app_id', '=', orphan)
    .executeTakeFirstOrThrow();
  expect(problem.message).toContain('"Consulting Fees"');
  expect(problem.message).toContain('accounts.income');
  expect(problem.user_action).toContain(`qbsync tenant set ${tenantId} accounts.income=`);
});

test('sub-customers sync under their parent; a job "Doe, Jack:Jack Doe" and a customer "Jack Doe" are two records both ways', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
  // QuickBooks already has the parent and its job; the app has a top-level "Jack Doe" and a job of its own.
  const parent = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Doe, Jack' })).Customer as {
    Id: string;
  };
  const job = (
    await stack.qboFetch(realmId, 'POST', 'customer', {
      DisplayName: 'Jack Doe',
      ParentRef: { value: parent.Id },
      Job: true,
    })
  ).Customer as { Id: string };
  const top = await insert('customers', { tenant_id: tenantId, display_name: 'Jack Doe', email: 'jack@example.com' });
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  const appJob = await db
    .selectFrom('sync_links')
    .select('app_id')
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', 'customer')
    .where('remote_id', '=', job.Id)
    .executeTakeFirstOrThrow();
  expect(Number(appJob.app_id)).not.toBe(top);
  const jobRow = await db
    .selectFrom('customers')
    .selectAll()
    .where('id', '=', Number(appJob.app_id))
    .executeTakeFirstOrThrow();
  expect(jobRow.display_name).toBe('Jack Doe');
  expect(jobRow.parent_id).not.toBeNull();
  const topQbo = await linkOf(tenantId, 'customer', top);
  expect(topQbo).toBeDefined();
  expect(topQbo).not.toBe(job.Id);
  const customers = await stack.admin.entities<{ Id: string; FullyQualifiedName: string }>(realmId, 'Customer');
  expect(customers.map((c) => c.FullyQualifiedName).sort()).toEqual(['Doe, Jack', 'Doe, Jack:Jack Doe', 'Jack Doe']);

  // An app job pushed under its (linked) parent becomes a QuickBooks job.
  const appParent = jobRow.parent_id!;
  const second = await insert('customers', { tenant_id: tenantId, display_name: 'Kitchen', parent_id: appParent });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const kitchenId = await linkOf(tenantId, 'customer', second);
  const kitchenQbo = (
    await stack.admin.entities<{ Id: string; FullyQualifiedName: string; Job: boolean }>(realmId, 'Customer')
  ).find((c) => c.Id === kitchenId)!;
  expect(kitchenQbo).toMatchObject({ Job: true, FullyQualifiedName: 'Doe, Jack:Kitchen' });
});
