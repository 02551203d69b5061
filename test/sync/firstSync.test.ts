import { sql } from 'kysely';
import { createStack, lastSeq, qboWrites, appRowsTouchedSince, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await createStack('firstsync');
});
afterAll(async () => stack?.close());

test('first sync brings the whole demo company into the app; a second run writes nothing to either side', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  const result = await stack.sync(tenantId);
  expect(result.status).toBe('succeeded');
  expect(result.steps.map((s) => [s.step, s.status])).toEqual([
    ['customers', 'succeeded'],
    ['items', 'succeeded'],
    ['taxes', 'succeeded'],
    ['invoices', 'succeeded'],
    ['payments', 'succeeded'],
  ]);

  const db = stack.database.db;
  const qboCustomers = await stack.admin.entities(realmId, 'Customer');
  const qboInvoices = await stack.admin.entities<{
    Id: string;
    TotalAmt: number;
    Balance: number;
    DocNumber: string;
    TxnTaxDetail: { TotalTax: number };
  }>(realmId, 'Invoice');
  const qboPayments = await stack.admin.entities(realmId, 'Payment');
  const count = async (table: 'customers' | 'items' | 'invoices' | 'payments' | 'tax_codes') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  expect(await count('customers')).toBe(qboCustomers.length);
  expect(await count('invoices')).toBe(qboInvoices.length);
  expect(await count('payments')).toBe(qboPayments.length);
  expect(await count('items')).toBe((await stack.admin.entities(realmId, 'Item')).length);

  // Every invoice's totals agree to the cent, through the links.
  const rows = await sql<{
    remote_id: string;
    doc_number: string;
    total_cents: number;
    tax_cents: number;
    balance_cents: number;
  }>`
    select l.remote_id, i.doc_number, i.total_cents, i.tax_cents, i.balance_cents from invoices i
    join sync_links l on l.tenant_id = i.tenant_id and l.entity = 'invoice' and l.app_id = i.id
    where i.tenant_id = ${tenantId}`.execute(db);
  expect(rows.rows).toHaveLength(qboInvoices.length);
  const byId = new Map(qboInvoices.map((q) => [q.Id, q]));
  for (const r of rows.rows) {
    const q = byId.get(r.remote_id)!;
    expect(r.doc_number).toBe(q.DocNumber);
    expect(Number(r.total_cents)).toBe(Math.round(q.TotalAmt * 100));
    expect(Number(r.tax_cents)).toBe(Math.round(q.TxnTaxDetail.TotalTax * 100));
    expect(Number(r.balance_cents)).toBe(Math.round(q.Balance * 100));
  }
  // The first run wrote nothing to QuickBooks: everything came from there.
  expect(await qboWrites(stack.admin, realmId)).toEqual([]);

  const since = new Date();
  const seq = await lastSeq(stack.admin);
  const second = await stack.sync(tenantId);
  expect(second.status).toBe('succeeded');
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
  expect(await appRowsTouchedSince(db, tenantId, since)).toBe(0);
  const pulled = second.steps.reduce((n, s) => n + s.pulled.created + s.pulled.updated, 0);
  const pushed = second.steps.reduce((n, s) => n + s.pushed.created + s.pushed.updated, 0);
  expect({ pulled, pushed }).toEqual({ pulled: 0, pushed: 0 });
});
