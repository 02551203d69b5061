import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { createStack, type Stack } from '../helpers/stack';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';

/**
 * Bad input on both sides. Records QuickBooks can hold (odd but legal names, 21-character DocNumbers, 750 lines, zero
 * and very large amounts) sync and round-trip exactly; records it cannot (names with colons or line breaks, names too
 * long, 751 lines, negative amounts, references to records that are missing or inactive) each give one clear
 * per-record error naming the record — and nothing else is affected or lost. With `onRecordError: stop`, the first
 * bad record stops the run (Failed, later steps skipped); once fixed, the next run completes.
 */
let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('chaos_bad');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

const LONG = 'L'.repeat(520);

async function insert<T extends 'customers' | 'items'>(
  table: T,
  tenantId: string,
  values: Record<string, unknown>,
): Promise<number> {
  return (
    await db
      .insertInto(table)
      .values({ tenant_id: tenantId, ...values } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

async function appInvoice(
  tenantId: string,
  customerId: number,
  lines: Array<{ itemId: number; cents: number; qty?: number }>,
  extra: { docNumber?: string } = {},
): Promise<number> {
  const total = lines.reduce((n, l) => n + l.cents, 0);
  const id = (
    await db
      .insertInto('invoices')
      .values({
        tenant_id: tenantId,
        customer_id: customerId,
        txn_date: '2026-11-20',
        doc_number: extra.docNumber ?? null,
        subtotal_cents: total,
        total_cents: total,
        balance_cents: total,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  for (let i = 0; i < lines.length; i += 500) {
    await db
      .insertInto('invoice_lines')
      .values(
        lines.slice(i, i + 500).map((l, j) => ({
          invoice_id: id,
          line_num: i + j + 1,
          item_id: l.itemId,
          quantity: String(l.qty ?? 1),
          unit_price: (l.cents / 100 / (l.qty ?? 1)).toFixed(2),
          amount_cents: l.cents,
          taxable: false,
        })),
      )
      .execute();
  }
  return id;
}

async function appPayment(
  tenantId: string,
  customerId: number,
  invoiceId: number,
  cents: number,
  reference: string,
): Promise<number> {
  const id = (
    await db
      .insertInto('payments')
      .values({ tenant_id: tenantId, customer_id: customerId, txn_date: '2026-11-21', amount_cents: cents, reference })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db
    .insertInto('payment_applications')
    .values({ payment_id: id, invoice_id: invoiceId, amount_cents: cents })
    .execute();
  return id;
}

test('bad input on both sides: one clear per-record error for each record QuickBooks cannot hold, everything else synced', async () => {
  const startedAt = Date.now();
  const { tenantId, realmId } = await stack.addTenant({ settings: { onRecordError: 'skip' } });
  const qbo = (method: string, path: string, body?: unknown) => stack.qboFetch(realmId, method, path, body);

  // QuickBooks side: odd but legal records, pulled into the app.
  const qCustomer = (name: string) => qbo('POST', 'customer', { DisplayName: name });
  const qCustomers = [
    await qCustomer(`Quote O'Brien "The Boss"`),
    await qCustomer('Emoji Café 😀🚀'),
    await qCustomer(`Long ${'Q'.repeat(495)}`),
  ].map((r) => (r.Customer as { Id: string }).Id);
  const qItem = (
    (
      await qbo('POST', 'item', {
        Name: 'Chaos Service',
        Type: 'Service',
        UnitPrice: 12.5,
        IncomeAccountRef: { value: '1' },
      })
    ).Item as { Id: string }
  ).Id;
  const line = (amount: number) => ({
    DetailType: 'SalesItemLineDetail',
    Amount: amount,
    SalesItemLineDetail: { ItemRef: { value: qItem }, Qty: 1, UnitPrice: amount },
  });
  await qbo('POST', 'invoice', {
    CustomerRef: { value: qCustomers[0] },
    DocNumber: 'INV-2026-ABCDEFGHIJKL',
    TxnDate: '2026-11-01',
    Line: [line(10)],
  });
  await qbo('POST', 'invoice', {
    CustomerRef: { value: qCustomers[1] },
    TxnDate: '2026-11-01',
    Line: Array.from({ length: 750 }, (_, i) => line(1 + (i % 7))),
  });
  await qbo('POST', 'invoice', { CustomerRef: { value: qCustomers[1] }, TxnDate: '2026-11-01', Line: [line(0)] });
  await qbo('POST', 'invoice', {
    CustomerRef: { value: qCustomers[2] },
    TxnDate: '2026-11-01',
    Line: [line(987654321.99)],
  });
  // QuickBooks refuses a DocNumber over 21 characters outright, and the app's column holds 21: it exists on neither side.
  const tooLong = await qbo('POST', 'invoice', {
    CustomerRef: { value: qCustomers[0] },
    DocNumber: 'INV-2026-ABCDEFGHIJKLMN',
    TxnDate: '2026-11-01',
    Line: [line(10)],
  });
  expect(JSON.stringify(tooLong)).toContain('DocNumber is too long');

  // App side: good records, and bad ones QuickBooks cannot take.
  const good = await insert('customers', tenantId, { display_name: `O'Hara "Quoted" & Sons` });
  const emoji = await insert('customers', tenantId, { display_name: 'Zoë 🚀 Ltd' });
  const bad = {
    colon: await insert('customers', tenantId, { display_name: 'Colon: Customer' }),
    newline: await insert('customers', tenantId, { display_name: 'New\nLine Customer' }),
    long: await insert('customers', tenantId, { display_name: LONG }),
    itemColon: await insert('items', tenantId, {
      type: 'Service',
      name: 'Widget: Large',
      unit_price: '5',
      income_account: '1',
    }),
  };
  const item = await insert('items', tenantId, {
    type: 'Service',
    name: 'Chaos Consulting',
    unit_price: '100',
    income_account: '1',
  });
  const retired = await insert('items', tenantId, {
    type: 'Service',
    name: 'Retired Gadget',
    unit_price: '3',
    income_account: '1',
  });
  const invoices = {
    lines750: await appInvoice(
      tenantId,
      good,
      Array.from({ length: 750 }, (_, i) => ({ itemId: item, cents: 100 + i })),
    ),
    zero: await appInvoice(tenantId, good, [{ itemId: item, cents: 0 }]),
    large: await appInvoice(tenantId, emoji, [{ itemId: item, cents: 9_876_543_210_99 }]),
    docNumber21: await appInvoice(tenantId, emoji, [{ itemId: item, cents: 1234 }], {
      docNumber: 'APP-2026-ABCDEFGHIJKL',
    }),
    // A credit-like negative line on an invoice that stays positive, and an invoice whose total is negative: the
    // emulator takes both (as QuickBooks takes negative lines), so both must arrive exactly.
    negativeLine: await appInvoice(tenantId, good, [
      { itemId: item, cents: 10_000 },
      { itemId: item, cents: -2_500 },
    ]),
    negative: await appInvoice(tenantId, good, [{ itemId: item, cents: -5000 }]),
  };
  const badInvoices = {
    lines751: await appInvoice(
      tenantId,
      good,
      Array.from({ length: 751 }, () => ({ itemId: item, cents: 100 })),
    ),
    missingCustomer: await appInvoice(tenantId, bad.colon, [{ itemId: item, cents: 2500 }]),
    inactiveItem: 0,
  };
  const goodPayment = await appPayment(tenantId, good, invoices.zero, 0, 'ZERO-PMT');
  const badPayment = await appPayment(tenantId, bad.colon, badInvoices.missingCustomer, 2500, 'ORPHAN-PMT');
  // The app's custom numbering is off, so app numbers are QuickBooks' to assign; an app number is sent as is.
  await stack.admin.setPreferences(realmId, { customTxnNumbers: true });
  // Malformed JSON from QuickBooks on the first read of invoices: a transient error, retried, then the page reads fine.
  await stack.admin.injectFaults({
    realmId,
    match: { operation: 'query', entity: 'Invoice' },
    count: 1,
    fault: { kind: 'malformed-json' },
  });

  // A first run syncs the item; then it is retired on both sides and an invoice still uses it.
  const first = await stack.sync(tenantId);
  expect(first.status).toBe('succeeded');
  await db.updateTable('items').set({ active: false, status: 'inactive' }).where('id', '=', retired).execute();
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  badInvoices.inactiveItem = await appInvoice(tenantId, good, [{ itemId: retired, cents: 300 }]);
  const second = await stack.sync(tenantId);
  expect(second.status).toBe('succeeded');

  const problems = await db.selectFrom('sync_problems').selectAll().where('tenant_id', '=', tenantId).execute();
  const problemFor = (entity: string, appId: number) =>
    problems.filter((p) => p.entity === entity && Number(p.app_id) === appId);
  const expectedRejects: Array<[string, number, string]> = [
    ['customer', bad.colon, 'colon'],
    ['customer', bad.newline, 'newline'],
    ['customer', bad.long, 'too long'],
    ['item', bad.itemColon, 'colon'],
    ['invoice', badInvoices.lines751, '751 lines'],
    ['invoice', badInvoices.missingCustomer, 'customer not in QuickBooks'],
    ['invoice', badInvoices.inactiveItem, 'inactive item'],
    ['payment', badPayment, 'customer and invoice not in QuickBooks'],
  ];
  const notes: string[] = [];
  for (const [entity, appId, why] of expectedRejects) {
    const found = problemFor(entity, appId);
    expect({ entity, appId, why, recorded: found.length > 0 }).toEqual({ entity, appId, why, recorded: true });
    const p = found[0];
    // Clear: a code, a message, what to do, and the record named (its label, and its app id).
    expect(p.code).toBeTruthy();
    expect(p.user_action).toBeTruthy();
    expect(p.record_label).toBeTruthy();
    const oneLine = (t: string, n: number) => (t.length > n ? `${t.slice(0, n)}…` : t).replace(/\s+/g, ' ');
    notes.push(
      `${entity} ${appId} (${why}): [${p.code}] ${oneLine(p.record_label ?? '', 60)}: ${oneLine(p.message, 160)}${p.detail ? ` — ${oneLine(p.detail, 120)}` : ''}`,
    );
  }
  // No other record has a problem, and the malformed answer was only a retried transient fault.
  const unexpected = problems.filter(
    (p) => !expectedRejects.some(([e, id]) => p.entity === e && Number(p.app_id) === id),
  );
  expect(unexpected.map((p) => `${p.entity} ${p.app_id ?? p.remote_id}: ${p.message}`)).toEqual([]);
  const log = await stack.admin.requests({ realmId });
  expect(log.filter((e) => e.injected === 'malformed-json')).toHaveLength(1);

  // What QuickBooks could hold round-trips exactly; nothing else is lost.
  const appOnly = {
    customer: [bad.colon, bad.newline, bad.long],
    item: [bad.itemColon],
    invoice: Object.values(badInvoices),
    payment: [badPayment],
  };
  const comparison = await compareTenant(db, stack.admin, tenantId, realmId, { appOnly });
  const linked = async (entity: string, id: number) =>
    !!(await db
      .selectFrom('sync_links')
      .select('remote_id')
      .where('tenant_id', '=', tenantId)
      .where('entity', '=', entity)
      .where('app_id', '=', id)
      .executeTakeFirst());
  for (const [entity, id] of [
    ['customer', good],
    ['customer', emoji],
    ['item', item],
    ['item', retired],
    ['invoice', invoices.lines750],
    ['invoice', invoices.zero],
    ['invoice', invoices.large],
    ['invoice', invoices.docNumber21],
    ['invoice', invoices.negativeLine],
    ['invoice', invoices.negative],
    ['payment', goodPayment],
  ] as const) {
    expect({ entity, id, linked: await linked(entity, id) }).toEqual({ entity, id, linked: true });
  }
  const pulled = await sql<{
    n: number;
  }>`select count(*)::int as n from invoices where tenant_id = ${tenantId} and (doc_number = 'INV-2026-ABCDEFGHIJKL' or total_cents in (0, 98765432199) or id in (select invoice_id from invoice_lines group by invoice_id having count(*) = 750))`.execute(
    db,
  );
  expect(pulled.rows[0].n).toBeGreaterThanOrEqual(5);

  // onRecordError 'stop': the first bad record fails its step and the run; once the user fixes it, the next run completes.
  const stop = await stack.addTenant();
  await insert('customers', stop.tenantId, { display_name: 'Fine Customer' });
  const stopper = await insert('customers', stop.tenantId, { display_name: 'Stopper: Customer' });
  await insert('items', stop.tenantId, { type: 'Service', name: 'Stop Item', unit_price: '1', income_account: '1' });
  const failure = await stack.sync(stop.tenantId).then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: { details?: unknown[] } },
  );
  expect(failure).toBeDefined();
  const run = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('tenant_id', '=', stop.tenantId)
    .executeTakeFirstOrThrow();
  expect(run.status).toBe('failed');
  expect(JSON.stringify(run.error)).toContain('Stopper');
  const steps = await db.selectFrom('sync_step_runs').select(['step', 'status']).where('run_id', '=', run.id).execute();
  expect(Object.fromEntries(steps.map((s) => [s.step, s.status]))).toMatchObject({
    customers: 'failed',
    items: 'skipped',
    invoices: 'skipped',
  });
  expect(await stack.admin.entities(stop.realmId, 'Item')).toHaveLength(0);
  await db.updateTable('customers').set({ display_name: 'Stopper Customer' }).where('id', '=', stopper).execute();
  expect((await stack.sync(stop.tenantId)).status).toBe('succeeded');
  const stopComparison = await compareTenant(db, stack.admin, stop.tenantId, stop.realmId);
  expect({
    duplicates: stopComparison.duplicates,
    losses: stopComparison.losses,
    mismatches: stopComparison.mismatches,
  }).toEqual({ duplicates: [], losses: [], mismatches: [] });
  notes.push(
    `onRecordError stop: the run failed in the customers step naming ${JSON.stringify((run.error as { record?: string } | null)?.record ?? '')}; items, taxes, invoices and payments skipped; after renaming, the next run completed with both sides identical`,
  );

  const merged = {
    ...comparison,
    recordsCompared: comparison.recordsCompared + stopComparison.recordsCompared,
    duplicates: [...comparison.duplicates, ...stopComparison.duplicates],
    losses: [...comparison.losses, ...stopComparison.losses],
    mismatches: [...comparison.mismatches, ...stopComparison.mismatches],
  };
  recordScenario({
    scenario: 'bad input',
    what: 'odd but legal records on both sides (quotes, emoji, 500-character names, a 21-character DocNumber, 750 lines, zero, negative and very large amounts) and records QuickBooks cannot hold (colons, newlines, over-long names, 751 lines, references to a missing customer, a missing invoice and an inactive item), malformed JSON from QuickBooks; onRecordError skip, plus one stop case',
    disruptions: {
      'bad records': expectedRejects.length,
      'problem rows (3 runs)': problems.length,
      'malformed answers': 1,
      'odd records synced': 14,
    },
    notes,
    comparison: merged,
    startedAt,
  });
  console.log(`bad input: ${summary(merged)}\n${notes.join('\n')}`);
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
});
