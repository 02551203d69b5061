import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { createStack, type Stack } from '../helpers/stack';

/**
 * Two-way edits that used to be lost silently, each reproduced from a fresh tenant (issue: "never loses an edit").
 * Every test ends with both sides holding the edit, and a conflict recorded only where both sides changed.
 */
let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('convergence');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

type QboCustomer = { Id: string; SyncToken: string; DisplayName: string; Active: boolean; CompanyName?: string };
type QboInvoice = {
  Id: string;
  SyncToken: string;
  PrivateNote?: string;
  Balance: number;
  Line: Array<{ Amount: number; SalesItemLineDetail?: { Qty?: number } }>;
};

async function fresh(settings: Record<string, unknown> = {}) {
  const t = await stack.addTenant({ seed: 'empty', settings });
  const customer = (
    await db
      .insertInto('customers')
      .values({ tenant_id: t.tenantId, display_name: 'Converge Co', email: 'c@example.com', company_name: 'Converge' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const item = (
    await db
      .insertInto('items')
      .values({ tenant_id: t.tenantId, type: 'Service', name: 'Hour', unit_price: '100', income_account: '1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  return { ...t, customer, item };
}

async function appInvoice(tenantId: string, customerId: number, itemId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('invoices')
        .values({
          tenant_id: tenantId,
          customer_id: customerId,
          txn_date: '2026-11-01',
          due_date: '2026-12-01',
          private_note: 'first note',
          subtotal_cents: 25000,
          total_cents: 25000,
          balance_cents: 25000,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values([
        { invoice_id: id, line_num: 1, item_id: itemId, quantity: '2', unit_price: '100', amount_cents: 20000 },
        { invoice_id: id, line_num: 2, item_id: itemId, quantity: '1', unit_price: '50', amount_cents: 5000 },
      ])
      .execute();
    return id;
  });
}

async function qboOne<T extends { Id: string }>(realmId: string, entity: string): Promise<T> {
  const all = await stack.admin.entities<T>(realmId, entity);
  expect(all).toHaveLength(1);
  return all[0];
}

async function conflicts(tenantId: string) {
  return db.selectFrom('sync_conflicts').selectAll().where('tenant_id', '=', tenantId).execute();
}

test('1. a payment pushed to an invoice does not turn the next app edit of that invoice into a lost conflict', async () => {
  const t = await fresh();
  const invoice = await appInvoice(t.tenantId, t.customer, t.item);
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  await db.transaction().execute(async (trx) => {
    const p = await trx
      .insertInto('payments')
      .values({ tenant_id: t.tenantId, customer_id: t.customer, txn_date: '2026-11-02', amount_cents: 10000 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('payment_applications')
      .values({ payment_id: p.id, invoice_id: invoice, amount_cents: 10000 })
      .execute();
  });
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  // The next morning: the app corrects line 1's quantity.
  await db
    .updateTable('invoice_lines')
    .set({ quantity: '5', amount_cents: 50000 })
    .where('invoice_id', '=', invoice)
    .where('line_num', '=', 1)
    .execute();
  await db
    .updateTable('invoices')
    .set({ subtotal_cents: 55000, total_cents: 55000 })
    .where('id', '=', invoice)
    .execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const qbo = await qboOne<QboInvoice>(t.realmId, 'Invoice');
  expect(qbo.Line.find((l) => l.SalesItemLineDetail?.Qty === 5)).toBeDefined();
  const line = await db
    .selectFrom('invoice_lines')
    .select('quantity')
    .where('invoice_id', '=', invoice)
    .where('line_num', '=', 1)
    .executeTakeFirstOrThrow();
  expect(Number(line.quantity)).toBe(5);
  expect(await conflicts(t.tenantId)).toEqual([]);
});

test('2. invoice lines keep their ids across sync writes, so an app edit by line id is never lost', async () => {
  const t = await fresh();
  const invoice = await appInvoice(t.tenantId, t.customer, t.item);
  const before = (
    await db.selectFrom('invoice_lines').select('id').where('invoice_id', '=', invoice).orderBy('line_num').execute()
  ).map((r) => r.id);
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  // QuickBooks edits the invoice, the sync writes it into the app.
  const qbo = await qboOne<QboInvoice>(t.realmId, 'Invoice');
  await stack.qboFetch(t.realmId, 'POST', 'invoice', {
    Id: qbo.Id,
    SyncToken: qbo.SyncToken,
    sparse: true,
    PrivateNote: 'from QuickBooks',
  });
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const after = (
    await db.selectFrom('invoice_lines').select('id').where('invoice_id', '=', invoice).orderBy('line_num').execute()
  ).map((r) => r.id);
  expect(after).toEqual(before);
  const updated = await db
    .updateTable('invoice_lines')
    .set({ quantity: '9', amount_cents: 90000 })
    .where('id', '=', before[0])
    .executeTakeFirst();
  expect(Number(updated.numUpdatedRows)).toBe(1);
});

test('3. a field cleared in the app is cleared in QuickBooks, not brought back', async () => {
  const t = await fresh();
  const invoice = await appInvoice(t.tenantId, t.customer, t.item);
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  await db.updateTable('customers').set({ company_name: null, email: null }).where('id', '=', t.customer).execute();
  await db.updateTable('invoices').set({ private_note: null }).where('id', '=', invoice).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const row = await db
    .selectFrom('customers')
    .select(['company_name', 'email'])
    .where('id', '=', t.customer)
    .executeTakeFirstOrThrow();
  expect(row).toEqual({ company_name: null, email: null });
  const qboCustomer = await qboOne<QboCustomer & { PrimaryEmailAddr?: { Address?: string } }>(t.realmId, 'Customer');
  expect(qboCustomer.CompanyName ?? '').toBe('');
  expect(qboCustomer.PrimaryEmailAddr?.Address ?? '').toBe('');
  const note = await db
    .selectFrom('invoices')
    .select('private_note')
    .where('id', '=', invoice)
    .executeTakeFirstOrThrow();
  expect(note.private_note).toBeNull();
  expect((await qboOne<QboInvoice>(t.realmId, 'Invoice')).PrivateNote ?? '').toBe('');
});

test('4. deactivation and reactivation reach the other side, in both directions', async () => {
  const t = await fresh();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  await db.updateTable('customers').set({ active: false, status: 'inactive' }).where('id', '=', t.customer).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await qboOne<QboCustomer>(t.realmId, 'Customer')).Active).toBe(false);
  await db.updateTable('customers').set({ active: true, status: 'active' }).where('id', '=', t.customer).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect(
    (await db.selectFrom('customers').select('active').where('id', '=', t.customer).executeTakeFirstOrThrow()).active,
  ).toBe(true);
  const reactivated = await qboOne<QboCustomer>(t.realmId, 'Customer');
  expect(reactivated.Active).toBe(true);
  expect(reactivated.DisplayName).toBe('Converge Co');
  // QuickBooks' side: deactivated there, then reactivated there.
  await stack.qboFetch(t.realmId, 'POST', 'customer', {
    Id: reactivated.Id,
    SyncToken: reactivated.SyncToken,
    sparse: true,
    Active: false,
  });
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect(
    (await db.selectFrom('customers').select('active').where('id', '=', t.customer).executeTakeFirstOrThrow()).active,
  ).toBe(false);
  const off = await qboOne<QboCustomer>(t.realmId, 'Customer');
  await stack.qboFetch(t.realmId, 'POST', 'customer', {
    Id: off.Id,
    SyncToken: off.SyncToken,
    sparse: true,
    Active: true,
    DisplayName: 'Converge Co',
  });
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect(
    (await db.selectFrom('customers').select('active').where('id', '=', t.customer).executeTakeFirstOrThrow()).active,
  ).toBe(true);
  expect(await conflicts(t.tenantId)).toEqual([]);
});

test('5. an edit made alongside a deactivation travels with it; a two-sided change is a recorded conflict', async () => {
  const t = await fresh();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  await db
    .updateTable('customers')
    .set({ email: 'new@example.com', active: false, status: 'inactive' })
    .where('id', '=', t.customer)
    .execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const qbo = await qboOne<QboCustomer & { PrimaryEmailAddr?: { Address?: string } }>(t.realmId, 'Customer');
  expect(qbo).toMatchObject({ Active: false, PrimaryEmailAddr: { Address: 'new@example.com' } });
  // QuickBooks reactivates while the app edits the email: both changed, one conflict, the policy's version on both sides.
  await stack.qboFetch(t.realmId, 'POST', 'customer', {
    Id: qbo.Id,
    SyncToken: qbo.SyncToken,
    sparse: true,
    Active: true,
    DisplayName: 'Converge Co',
  });
  await db.updateTable('customers').set({ email: 'other@example.com' }).where('id', '=', t.customer).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect(await conflicts(t.tenantId)).toHaveLength(1);
  const app = await db
    .selectFrom('customers')
    .select(['active', 'email'])
    .where('id', '=', t.customer)
    .executeTakeFirstOrThrow();
  const after = await qboOne<QboCustomer & { PrimaryEmailAddr?: { Address?: string } }>(t.realmId, 'Customer');
  expect({ active: after.Active, email: after.PrimaryEmailAddr?.Address ?? null }).toEqual(app);
});

test('6. an app void against a QuickBooks edit is a recorded conflict, not a silent undo', async () => {
  const t = await fresh();
  const invoice = await appInvoice(t.tenantId, t.customer, t.item);
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const qbo = await qboOne<QboInvoice>(t.realmId, 'Invoice');
  await stack.qboFetch(t.realmId, 'POST', 'invoice', {
    Id: qbo.Id,
    SyncToken: qbo.SyncToken,
    sparse: true,
    PrivateNote: 'edited in QuickBooks',
  });
  await db.updateTable('invoices').set({ status: 'voided' }).where('id', '=', invoice).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const recorded = await conflicts(t.tenantId);
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({ entity: 'invoice', winner: 'quickbooks' });
  const row = await db
    .selectFrom('invoices')
    .select(['status', 'private_note'])
    .where('id', '=', invoice)
    .executeTakeFirstOrThrow();
  expect(row).toEqual({ status: 'open', private_note: 'edited in QuickBooks' });
});

test('7. an invoice whose customer is not in QuickBooks yet waits for the next run, visibly, and fails only after deferRuns', async () => {
  const t = await stack.addTenant({ seed: 'empty', settings: { deferRuns: 1 } });
  const item = (
    await db
      .insertInto('items')
      .values({ tenant_id: t.tenantId, type: 'Service', name: 'Hour', unit_price: '100', income_account: '1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  // A customer the sync has not seen (as if created after this run's customers step): its row is not in the change log.
  const hidden = await db.transaction().execute(async (trx) => {
    await sql`select set_config('qbsync.origin', 'sync', true)`.execute(trx);
    return (
      await trx
        .insertInto('customers')
        .values({ tenant_id: t.tenantId, display_name: 'Late Customer' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });
  const invoice = await appInvoice(t.tenantId, hidden, item);
  const first = await stack.sync(t.tenantId);
  expect(first.status).toBe('succeeded');
  expect(first.steps.find((s) => s.step === 'invoices')!.pushed.deferred).toBe(1);
  const waiting = await db.selectFrom('sync_problems').selectAll().where('tenant_id', '=', t.tenantId).execute();
  expect(waiting).toMatchObject([{ code: 'qbsync-deferred', detail: 'qbsync-missing-customer', app_id: invoice }]);
  // Still blocked on the next run, past deferRuns (1): now it fails the run and says what to do.
  await expect(stack.sync(t.tenantId)).rejects.toThrow();
  const failed = await db
    .selectFrom('sync_runs')
    .select(['status', 'error'])
    .where('tenant_id', '=', t.tenantId)
    .orderBy('started_at', 'desc')
    .executeTakeFirstOrThrow();
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatchObject({
    code: 'qbsync-missing-customer',
    message: expect.stringMatching(/not in QuickBooks/),
  });
  // The customer reaches the change log (an edit), and the next run sends both.
  await db.updateTable('customers').set({ email: 'late@example.com' }).where('id', '=', hidden).execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect(await stack.admin.entities(t.realmId, 'Invoice')).toHaveLength(1);
});

test('8. a linked record QuickBooks no longer has is reported with the way out, then created again by policy', async () => {
  const t = await fresh();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  // As after a backup was restored in QuickBooks: the customer the app is linked to is not there any more (its name
  // is free again, as the restored company never had it).
  const original = await qboOne<QboCustomer>(t.realmId, 'Customer');
  await stack.qboFetch(t.realmId, 'POST', 'customer', {
    Id: original.Id,
    SyncToken: original.SyncToken,
    sparse: true,
    DisplayName: 'Someone Else',
  });
  await db
    .updateTable('sync_links')
    .set({ remote_id: '999999' })
    .where('tenant_id', '=', t.tenantId)
    .where('entity', '=', 'customer')
    .execute();
  // An invoice for it: QuickBooks refuses the reference; the run says which record vanished and what to do.
  const invoice = await appInvoice(t.tenantId, t.customer, t.item);
  await expect(stack.sync(t.tenantId)).rejects.toThrow();
  const failed = await db
    .selectFrom('sync_problems')
    .selectAll()
    .where('tenant_id', '=', t.tenantId)
    .where('app_id', '=', invoice)
    .executeTakeFirstOrThrow();
  expect(failed.code).toBe('qbsync-vanished');
  expect(failed.message).toMatch(/customer 999999/);
  expect(failed.user_action).toMatch(/onVanished=recreate/);
  // The user chooses to create it again: the customer first (its step), then the invoice, on the next runs.
  await db
    .updateTable('tenants')
    .set({ settings: JSON.stringify({ onVanished: 'recreate' }) })
    .where('id', '=', t.tenantId)
    .execute();
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  expect((await stack.sync(t.tenantId)).status).toBe('succeeded');
  const customers = await stack.admin.entities<{ Id: string; DisplayName: string }>(t.realmId, 'Customer');
  expect(customers.map((c) => c.DisplayName).sort()).toEqual(['Converge Co', 'Someone Else']);
  const invoices = await stack.admin.entities<{ CustomerRef: { value: string } }>(t.realmId, 'Invoice');
  expect(invoices).toHaveLength(1);
  const link = await db
    .selectFrom('sync_links')
    .select('remote_id')
    .where('tenant_id', '=', t.tenantId)
    .where('entity', '=', 'customer')
    .where('app_id', '=', t.customer)
    .executeTakeFirstOrThrow();
  expect(invoices[0].CustomerRef.value).toBe(link.remote_id);
});

test('9. one bad app row (a NaN price, cents beyond 2^53) is refused by itself, names the record, and never retries', async () => {
  const t = await stack.addTenant({ seed: 'empty', settings: { onRecordError: 'skip' } });
  const good = (
    await db
      .insertInto('items')
      .values({ tenant_id: t.tenantId, type: 'Service', name: 'Good', unit_price: '10', income_account: '1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const nan = (
    await db
      .insertInto('items')
      .values({ tenant_id: t.tenantId, type: 'Service', name: 'Broken', unit_price: 'NaN', income_account: '1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const customer = (
    await db
      .insertInto('customers')
      .values({ tenant_id: t.tenantId, display_name: 'Big Spender' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const huge = await db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('invoices')
        .values({
          tenant_id: t.tenantId,
          customer_id: customer,
          txn_date: '2026-11-01',
          total_cents: '9007199254740993' as never,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values({
        invoice_id: id,
        line_num: 1,
        item_id: good,
        quantity: '1',
        unit_price: '1',
        amount_cents: '9007199254740993' as never,
      })
      .execute();
    return id;
  });
  const started = Date.now();
  const run = await stack.sync(t.tenantId);
  expect(run.status).toBe('succeeded');
  // Refused at once: no retries of the page (which took minutes before).
  expect(Date.now() - started).toBeLessThan(60_000);
  const items = await stack.admin.entities<{ Name: string }>(t.realmId, 'Item');
  expect(items.map((i) => i.Name)).toContain('Good');
  expect(items.map((i) => i.Name)).not.toContain('Broken');
  const problems = await db.selectFrom('sync_problems').selectAll().where('tenant_id', '=', t.tenantId).execute();
  const byEntity = Object.fromEntries(problems.map((p) => [p.entity, p]));
  expect(byEntity.item).toMatchObject({ app_id: nan, code: 'qbsync-bad-value', skipped: true });
  expect(byEntity.item.message).toMatch(new RegExp(`item ${nan}.*NaN`));
  expect(byEntity.invoice).toMatchObject({ app_id: huge, code: 'qbsync-bad-value', skipped: true });
  expect(await stack.admin.entities(t.realmId, 'Invoice')).toEqual([]);
});
