import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { createStack, lastSeq, qboWrites, type Stack } from '../helpers/stack';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('twoway');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

async function appCustomer(tenantId: string, name: string, extra: Record<string, unknown> = {}): Promise<number> {
  return (
    await db
      .insertInto('customers')
      .values({
        tenant_id: tenantId,
        display_name: name,
        email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`,
        ...extra,
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

async function appItem(tenantId: string, name: string, price = '50'): Promise<number> {
  return (
    await db
      .insertInto('items')
      .values({ tenant_id: tenantId, type: 'Service', name, unit_price: price, income_account: '1', taxable: true })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

async function appInvoice(
  tenantId: string,
  customerId: number,
  lines: Array<{ itemId: number; qty: string; price: string; taxable?: boolean }>,
  docNumber: string | null = null,
  taxCodeId: number | null = null,
): Promise<number> {
  const total = lines.reduce((s, l) => s + Math.round(Number(l.qty) * Number(l.price) * 100), 0);
  return db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('invoices')
        .values({
          tenant_id: tenantId,
          customer_id: customerId,
          doc_number: docNumber,
          txn_date: '2026-11-01',
          subtotal_cents: total,
          total_cents: total,
          balance_cents: total,
          tax_code_id: taxCodeId,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values(
        lines.map((l, i) => ({
          invoice_id: id,
          line_num: i + 1,
          item_id: l.itemId,
          quantity: l.qty,
          unit_price: l.price,
          amount_cents: Math.round(Number(l.qty) * Number(l.price) * 100),
          taxable: l.taxable ?? false,
        })),
      )
      .execute();
    return id;
  });
}

async function linkOf(tenantId: string, entity: string, appId: number): Promise<string | undefined> {
  return (
    await db
      .selectFrom('sync_links')
      .select('remote_id')
      .where('tenant_id', '=', tenantId)
      .where('entity', '=', entity)
      .where('app_id', '=', appId)
      .executeTakeFirst()
  )?.remote_id;
}

test('app records reach QuickBooks; QuickBooks assigns the invoice number and computes tax, both stamped back; nothing is sent twice', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  await stack.sync(tenantId);
  const taxCode = await sql<{
    id: number;
  }>`select id from tax_codes where tenant_id = ${tenantId} and name = 'Illinois'`.execute(db);
  const customer = await appCustomer(tenantId, "Zoë D'Angelo & Sons");
  const item = await appItem(tenantId, 'Site survey', '199.99');
  const invoice = await appInvoice(
    tenantId,
    customer,
    [{ itemId: item, qty: '3', price: '199.99', taxable: true }],
    null,
    taxCode.rows[0].id,
  );

  const seq = await lastSeq(stack.admin);
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  const qboCustomerId = await linkOf(tenantId, 'customer', customer);
  const qboInvoiceId = await linkOf(tenantId, 'invoice', invoice);
  expect(qboCustomerId).toBeDefined();
  expect(qboInvoiceId).toBeDefined();
  const qboInvoice = (
    await stack.admin.entities<{ Id: string; DocNumber: string; TotalAmt: number; TxnTaxDetail: { TotalTax: number } }>(
      realmId,
      'Invoice',
    )
  ).find((i) => i.Id === qboInvoiceId)!;
  const row = await db.selectFrom('invoices').selectAll().where('id', '=', invoice).executeTakeFirstOrThrow();
  expect(row.doc_number).toBe(qboInvoice.DocNumber);
  // 599.97 taxable at 6.25% + 1.25%: 37.50 + 7.50 = 45.00 tax, total 644.97 — the same to the cent on both sides.
  expect(Number(row.tax_cents)).toBe(4500);
  expect(Number(row.total_cents)).toBe(64497);
  expect(Math.round(qboInvoice.TotalAmt * 100)).toBe(64497);
  const writes = await qboWrites(stack.admin, realmId, seq);
  expect(writes.every((w) => w.operation === 'batch')).toBe(true);

  const seq2 = await lastSeq(stack.admin);
  const again = await stack.sync(tenantId);
  expect(
    again.steps.reduce((n, s) => n + s.pushed.created + s.pushed.updated + s.pulled.created + s.pulled.updated, 0),
  ).toBe(0);
  expect(await qboWrites(stack.admin, realmId, seq2)).toEqual([]);
  const customers = await stack.admin.entities<{ DisplayName: string }>(realmId, 'Customer');
  expect(customers.filter((c) => c.DisplayName === "Zoë D'Angelo & Sons")).toHaveLength(1);
});

test('with custom transaction numbers on, the app number is sent; alphanumeric numbers of 21 characters are fine; a duplicate is a clear per-record failure', async () => {
  const { tenantId, realmId } = await stack.addTenant({ customTxnNumbers: true, settings: { onRecordError: 'skip' } });
  const customer = await appCustomer(tenantId, 'Numbered Ltd');
  const item = await appItem(tenantId, 'Widget');
  const good = await appInvoice(tenantId, customer, [{ itemId: item, qty: '1', price: '10' }], 'INV-2026/ABC-0001xyzQ');
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  const qbo = await stack.admin.entities<{ Id: string; DocNumber: string }>(realmId, 'Invoice');
  const goodId = await linkOf(tenantId, 'invoice', good);
  expect(qbo.find((i) => i.Id === goodId)?.DocNumber).toBe('INV-2026/ABC-0001xyzQ');

  const dup = await appInvoice(tenantId, customer, [{ itemId: item, qty: '2', price: '10' }], 'INV-2026/ABC-0001xyzQ');
  const run2 = await stack.sync(tenantId);
  expect(run2.status).toBe('succeeded');
  expect(run2.steps.find((s) => s.step === 'invoices')!.pushed.failed).toBe(1);
  const problem = await db
    .selectFrom('sync_problems')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('app_id', '=', dup)
    .executeTakeFirstOrThrow();
  expect(problem.code).toBe('6140');
  expect(problem.record_label).toContain('INV-2026/ABC-0001xyzQ');
  expect(problem.user_action).toMatch(/change the number/);
  expect(await linkOf(tenantId, 'invoice', dup)).toBeUndefined();
});

test('alphanumeric DocNumbers from QuickBooks arrive intact; a payment across several invoices is applied to each, both ways', async () => {
  const { tenantId, realmId } = await stack.addTenant({ customTxnNumbers: true });
  const c = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Split Payer' })).Customer as {
    Id: string;
  };
  const i = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Hours',
      Type: 'Service',
      UnitPrice: 100,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  const inv = async (doc: string, amount: number) =>
    (
      await stack.qboFetch(realmId, 'POST', 'invoice', {
        DocNumber: doc,
        CustomerRef: { value: c.Id },
        Line: [
          {
            DetailType: 'SalesItemLineDetail',
            Amount: amount,
            SalesItemLineDetail: { ItemRef: { value: i.Id }, Qty: amount / 100, UnitPrice: 100 },
          },
        ],
      })
    ).Invoice as { Id: string };
  const a = await inv('A-17/x', 300);
  const b = await inv('2026-B', 500);
  await stack.qboFetch(realmId, 'POST', 'payment', {
    CustomerRef: { value: c.Id },
    TotalAmt: 650,
    PaymentRefNum: 'WIRE-9',
    Line: [
      { Amount: 300, LinkedTxn: [{ TxnId: a.Id, TxnType: 'Invoice' }] },
      { Amount: 350, LinkedTxn: [{ TxnId: b.Id, TxnType: 'Invoice' }] },
    ],
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const invoices = await db
    .selectFrom('invoices')
    .select(['doc_number', 'balance_cents', 'status'])
    .where('tenant_id', '=', tenantId)
    .orderBy('doc_number')
    .execute();
  expect(invoices).toEqual([
    { doc_number: '2026-B', balance_cents: 15000, status: 'open' },
    { doc_number: 'A-17/x', balance_cents: 0, status: 'paid' },
  ]);
  const applied = await sql<{ doc_number: string; amount_cents: number }>`
    select i.doc_number, a.amount_cents from payment_applications a join invoices i on i.id = a.invoice_id join payments p on p.id = a.payment_id
    where p.tenant_id = ${tenantId} order by i.doc_number`.execute(db);
  expect(applied.rows.map((r) => [r.doc_number, Number(r.amount_cents)])).toEqual([
    ['2026-B', 35000],
    ['A-17/x', 30000],
  ]);

  // The app pays the rest of 2026-B: QuickBooks gets the payment and its balance follows; so does the app's.
  const appCustomerId = (
    await db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()
  ).id;
  const invoiceB = (
    await db
      .selectFrom('invoices')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('doc_number', '=', '2026-B')
      .executeTakeFirstOrThrow()
  ).id;
  await db.transaction().execute(async (trx) => {
    const p = (
      await trx
        .insertInto('payments')
        .values({
          tenant_id: tenantId,
          customer_id: appCustomerId,
          txn_date: '2026-11-20',
          amount_cents: 15000,
          reference: 'CHK-77',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('payment_applications')
      .values({ payment_id: p, invoice_id: invoiceB, amount_cents: 15000 })
      .execute();
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const qboB = (await stack.admin.entities<{ Id: string; Balance: number }>(realmId, 'Invoice')).find(
    (x) => x.Id === b.Id,
  )!;
  expect(qboB.Balance).toBe(0);
  const appB = await db
    .selectFrom('invoices')
    .select(['balance_cents', 'status'])
    .where('id', '=', invoiceB)
    .executeTakeFirstOrThrow();
  expect(appB).toEqual({ balance_cents: 0, status: 'paid' });
  // And the next run finds both sides agreeing.
  const seq = await lastSeq(stack.admin);
  const quiet = await stack.sync(tenantId);
  expect(
    quiet.steps.reduce((n, s) => n + s.pushed.created + s.pushed.updated + s.pulled.created + s.pulled.updated, 0),
  ).toBe(0);
  expect(await qboWrites(stack.admin, realmId, seq)).toEqual([]);
});
