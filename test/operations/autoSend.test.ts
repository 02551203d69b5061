import { sql } from 'kysely';
import { createNotificationActivities } from '../../activities/notifications/activities';
import { formatCents } from '../../activities/notifications/money';
import type { Db } from '../../schema/db';
import type { Clock } from '../../workers/clock';
import { createLogger } from '../../workers/logger';
import { createStack, type Stack } from '../helpers/stack';
import { startMailbox, untilDefined, type Mailbox, type ReceivedMail } from './mailbox';

/**
 * Automatic invoice emails, driven by real sync runs: invoices that arrive from QuickBooks are mailed once to their
 * customer, with their lines and totals; history imported on connect is not; retries and later runs send nothing
 * again; a lost server answer is resent under the same Message-ID and recorded once.
 */
let stack: Stack;
let db: Db;
let mailbox: Mailbox;
/** The first message of a tenant in this set is received in full, then the connection is cut without a 250. */
const dropFirstOf = new Set<string>();
/** The first message of a tenant in this map is received in full, and its 250 held until the promise resolves. */
const holdFirstOf = new Map<string, Promise<void>>();

beforeAll(async () => {
  mailbox = await startMailbox({
    answer: (mail) => {
      const tenant = /^<invoice\.([^.]+)\./.exec(mail.messageId)?.[1];
      if (tenant && dropFirstOf.delete(tenant)) return 'drop';
      const hold = tenant ? holdFirstOf.get(tenant) : undefined;
      if (tenant && hold) {
        holdFirstOf.delete(tenant);
        return hold.then(() => 'accept' as const);
      }
      return 'accept';
    },
  });
  stack = await createStack('autosend');
  db = stack.database.db;
});
afterAll(async () => {
  await stack?.close();
  await mailbox?.close();
});

/** A clock the test can move forward, to make a backed-off invoice due without waiting. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => (offset += ms) };
}

function sender(clock: Clock = movableClock()) {
  return createNotificationActivities({
    db,
    logger: createLogger('silent'),
    clock,
    backendFor: () => Promise.reject(new Error('invoice emails never call QuickBooks')),
    notifications: { smtpUrl: mailbox.url, from: 'Acme Billing <billing@acme.example>' },
  });
}

/** What the coordinator does after a run: pages until nothing is left. */
async function deliverAll(activities: ReturnType<typeof sender>, tenantId: string) {
  const pages: Array<{ sent: number; failed: number; remaining: number }> = [];
  for (;;) {
    const page = await activities.deliverInvoices({ tenantId });
    pages.push(page);
    if (page.remaining === 0 || pages.length > 20) return pages;
  }
}

function mailsOf(tenantId: string): ReceivedMail[] {
  return mailbox.messages.filter((m) => m.messageId.startsWith(`<invoice.${tenantId}.`));
}

async function qboIds(realmId: string) {
  const customers = await stack.admin.entities<{
    Id: string;
    DisplayName: string;
    PrimaryEmailAddr?: { Address: string };
  }>(realmId, 'Customer');
  const items = await stack.admin.entities<{ Id: string; Name: string }>(realmId, 'Item');
  const taxCodes = await stack.admin.entities<{ Id: string; Name: string }>(realmId, 'TaxCode');
  const item = (name: string) => items.find((i) => i.Name === name)!.Id;
  return { customers, item, illinois: taxCodes.find((c) => c.Name === 'Illinois')!.Id };
}

async function qboInvoice(realmId: string, body: Record<string, unknown>): Promise<string> {
  const created = (await stack.qboFetch(realmId, 'POST', 'invoice', body)).Invoice as { Id: string } | undefined;
  if (!created) throw new Error('the emulator did not create the invoice');
  return created.Id;
}

async function appIdOf(tenantId: string, qboId: string): Promise<number> {
  return (
    await db
      .selectFrom('sync_links')
      .select('app_id')
      .where('tenant_id', '=', tenantId)
      .where('entity', '=', 'invoice')
      .where('remote_id', '=', qboId)
      .executeTakeFirstOrThrow()
  ).app_id;
}

test('history imported on connect is recorded, not mailed; each invoice that then arrives from QuickBooks is mailed once to its customer, with lines and totals; two further runs and a retried activity send nothing again', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  const activities = sender();

  // The first sync imports the demo company's 120 invoices: history, not news.
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  expect(await deliverAll(activities, tenantId)).toEqual([{ sent: 0, failed: 0, remaining: 0 }]);
  const imported = await db
    .selectFrom('invoice_deliveries')
    .select(['status', 'reason'])
    .where('tenant_id', '=', tenantId)
    .execute();
  expect(imported).toHaveLength(120);
  expect(imported.every((d) => d.status === 'skipped' && d.reason?.startsWith('initial import'))).toBe(true);
  expect(mailsOf(tenantId)).toEqual([]);

  // New in QuickBooks after connecting: one detailed invoice, one with its own billing address, 24 plain ones, and one
  // for a customer without an email address. New in the app: one invoice (it goes to QuickBooks, not to the mail).
  const { customers, item, illinois } = await qboIds(realmId);
  const withEmail = customers.filter((c) => c.PrimaryEmailAddr?.Address);
  const detailed = await qboInvoice(realmId, {
    CustomerRef: { value: withEmail[0].Id },
    DocNumber: 'A-1001',
    TxnDate: '2026-11-20',
    DueDate: '2026-12-20',
    CustomerMemo: { value: 'Thank you for your business & trust.' },
    TxnTaxDetail: { TxnTaxCodeRef: { value: illinois } },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 360,
        Description: 'Network design <phase 1>',
        SalesItemLineDetail: {
          ItemRef: { value: item('Consulting') },
          Qty: 3,
          UnitPrice: 120,
          TaxCodeRef: { value: 'TAX' },
        },
      },
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 87.5,
        Description: 'Patch cables',
        SalesItemLineDetail: {
          ItemRef: { value: item('Cable Cat6 10m') },
          Qty: 7,
          UnitPrice: 12.5,
          TaxCodeRef: { value: 'NON' },
        },
      },
    ],
  });
  const billed = await qboInvoice(realmId, {
    CustomerRef: { value: withEmail[1].Id },
    BillEmail: { Address: 'ap@billing.example' },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 95,
        SalesItemLineDetail: { ItemRef: { value: item('Maintenance') }, Qty: 1, UnitPrice: 95 },
      },
    ],
  });
  for (let i = 0; i < 24; i++) {
    await qboInvoice(realmId, {
      CustomerRef: { value: withEmail[2 + i].Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 60 * (i + 1),
          SalesItemLineDetail: { ItemRef: { value: item('Training') }, Qty: i + 1, UnitPrice: 60 },
        },
      ],
    });
  }
  const silent = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'No Mail Co' })).Customer as {
    Id: string;
  };
  const unmailable = await qboInvoice(realmId, {
    CustomerRef: { value: silent.Id },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 15,
        SalesItemLineDetail: { ItemRef: { value: item('Shipping') }, Qty: 1, UnitPrice: 15 },
      },
    ],
  });
  const appCustomer = (
    await db
      .selectFrom('customers')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('email', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow()
  ).id;
  const appBorn = await db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('invoices')
        .values({
          tenant_id: tenantId,
          customer_id: appCustomer,
          txn_date: '2026-11-21',
          subtotal_cents: 7500,
          total_cents: 7500,
          balance_cents: 7500,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const installation = (
      await trx
        .selectFrom('items')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', 'Installation')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values({
        invoice_id: id,
        line_num: 1,
        item_id: installation,
        quantity: '1',
        unit_price: '75',
        amount_cents: 7500,
      })
      .execute();
    return id;
  });

  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  // 27 due: a page of 25, then the last 2.
  const pages = await deliverAll(activities, tenantId);
  expect(pages).toEqual([
    { sent: 25, failed: 0, remaining: 2 },
    { sent: 1, failed: 1, remaining: 0 },
  ]);
  const mails = mailsOf(tenantId);
  expect(mails).toHaveLength(26);
  expect(new Set(mails.map((m) => m.messageId)).size).toBe(26);

  // Each to its customer (or the invoice's own billing address), recorded on the invoice under that Message-ID.
  const rows = await db
    .selectFrom('invoice_deliveries as d')
    .innerJoin('invoices as i', 'i.id', 'd.invoice_id')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .select([
      'd.invoice_id',
      'd.status',
      'd.attempts',
      'd.message_id',
      'd.recipient',
      'd.reason',
      'i.emailed_at',
      'i.email_message_id',
      'i.sent_at',
      'i.email',
      'c.email as customer_email',
    ])
    .where('d.tenant_id', '=', tenantId)
    .where('d.status', '!=', 'skipped')
    .execute();
  expect(rows).toHaveLength(27);
  for (const r of rows.filter((x) => x.status === 'sent')) {
    const expected = r.email ?? r.customer_email;
    expect(r.message_id).toBe(`<invoice.${tenantId}.${r.invoice_id}@qbsync>`);
    expect(mails.filter((m) => m.messageId === r.message_id).map((m) => m.to)).toEqual([[expected]]);
    expect(r).toMatchObject({ attempts: 1, recipient: expected, email_message_id: r.message_id });
    expect(r.emailed_at).toBeInstanceOf(Date);
    expect(r.sent_at).toEqual(r.emailed_at);
  }
  const billedId = await appIdOf(tenantId, billed);
  const billedRow = rows.find((r) => r.invoice_id === billedId)!;
  expect(billedRow.recipient).toBe('ap@billing.example');

  // A customer without an address: failed once, with a reason the user can act on, and not tried again.
  const unmailableRow = rows.find((r) => r.status === 'failed')!;
  expect(unmailableRow.invoice_id).toBe(await appIdOf(tenantId, unmailable));
  expect(unmailableRow).toMatchObject({ attempts: 0, emailed_at: null });
  expect(unmailableRow.reason).toMatch(/customer "No Mail Co" has no email address .*not retried/);
  // The app's own invoice went to QuickBooks and is not mailed by qbsync.
  expect(
    await db.selectFrom('invoice_deliveries').select('status').where('invoice_id', '=', appBorn).executeTakeFirst(),
  ).toBeUndefined();
  expect(await db.selectFrom('invoices').select('origin').where('id', '=', appBorn).executeTakeFirstOrThrow()).toEqual({
    origin: 'app',
  });

  // The detailed invoice, as the customer reads it: every line and the totals, exact to the cent.
  const detailedId = await appIdOf(tenantId, detailed);
  const mail = mails.find((m) => m.messageId === `<invoice.${tenantId}.${detailedId}@qbsync>`)!;
  expect(mail.subject).toBe(`Invoice A-1001 from ${tenantId}`);
  expect(mail.to).toEqual([withEmail[0].PrimaryEmailAddr!.Address]);
  expect(mail.html).toContain(`Dear ${withEmail[0].DisplayName.replace(/'/g, '&#39;')}`);
  expect(mail.html).toContain('Date: 2026-11-20, due 2026-12-20');
  expect(mail.html).toContain(
    '<tr><td>Consulting</td><td>Network design &lt;phase 1&gt;</td><td align="right">3</td><td align="right">120.00</td><td align="right">360.00</td></tr>',
  );
  expect(mail.html).toContain(
    '<tr><td>Cable Cat6 10m</td><td>Patch cables</td><td align="right">7</td><td align="right">12.50</td><td align="right">87.50</td></tr>',
  );
  const totals = await db
    .selectFrom('invoices')
    .select(['subtotal_cents', 'tax_cents', 'total_cents', 'balance_cents'])
    .where('id', '=', detailedId)
    .executeTakeFirstOrThrow();
  // 360.00 taxable at 6.25% + 1.25% = 27.00 tax; the cables are not taxable.
  expect(totals).toEqual({ subtotal_cents: 44750, tax_cents: 2700, total_cents: 47450, balance_cents: 47450 });
  expect(mail.html).toContain('<tr><th colspan="4" align="right">Subtotal</th><td align="right">447.50</td></tr>');
  expect(mail.html).toContain('<tr><th colspan="4" align="right">Tax</th><td align="right">27.00</td></tr>');
  expect(mail.html).toContain('<tr><th colspan="4" align="right">Total</th><td align="right">474.50</td></tr>');
  expect(mail.html).toContain(
    `<tr><th colspan="4" align="right">Balance due</th><td align="right">${formatCents(totals.balance_cents)}</td></tr>`,
  );
  expect(mail.html).toContain('Thank you for your business &amp; trust.');
  expect(mail.text).toContain('Consulting — Network design <phase 1>: 3 × 120.00 = 360.00');
  expect(mail.text).toContain('Total: 474.50');

  // Two further runs (nothing new) and the activity called again as a retry would: not one more message.
  for (let run = 0; run < 2; run++) {
    expect((await stack.sync(tenantId)).status).toBe('succeeded');
    expect(await deliverAll(activities, tenantId)).toEqual([{ sent: 0, failed: 0, remaining: 0 }]);
  }
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 0, failed: 0, remaining: 0 });
  expect(mailsOf(tenantId)).toHaveLength(26);
  expect(
    await db
      .selectFrom('invoice_deliveries')
      .select(db.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'sent')
      .executeTakeFirstOrThrow(),
  ).toEqual({ n: 26 });
}, 240_000);

test('the server takes the message but its answer is lost: the invoice is sent again later with the same Message-ID and recorded once', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const customer = (
    await stack.qboFetch(realmId, 'POST', 'customer', {
      DisplayName: 'Lost Answer Ltd',
      PrimaryEmailAddr: { Address: 'ap@lost.example' },
    })
  ).Customer as { Id: string };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Audit',
      Type: 'Service',
      UnitPrice: 250,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  const qboId = await qboInvoice(realmId, {
    CustomerRef: { value: customer.Id },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 250,
        SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 250 },
      },
    ],
  });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const invoiceId = await appIdOf(tenantId, qboId);
  const messageId = `<invoice.${tenantId}.${invoiceId}@qbsync>`;

  const clock = movableClock();
  const activities = sender(clock);
  dropFirstOf.add(tenantId);
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 0, failed: 1, remaining: 0 });
  // The server has the message; qbsync never heard its 250, so the invoice is not recorded as sent.
  expect(mailsOf(tenantId).map((m) => m.messageId)).toEqual([messageId]);
  const waiting = await db
    .selectFrom('invoice_deliveries')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  expect(waiting).toMatchObject({ status: 'pending', attempts: 1, sent_at: null });
  expect(waiting.last_error).toMatch(/closed|ECONNECTION/i);
  expect(waiting.next_attempt_at!.getTime()).toBeGreaterThan(clock.now().getTime());
  expect(
    (await db.selectFrom('invoices').select('emailed_at').where('id', '=', invoiceId).executeTakeFirstOrThrow())
      .emailed_at,
  ).toBeNull();

  // Not due yet: nothing happens. Once due: sent again, same Message-ID, and now recorded.
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 0, failed: 0, remaining: 0 });
  clock.advance(2 * 60_000);
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 1, failed: 0, remaining: 0 });
  const received = mailsOf(tenantId);
  expect(received.map((m) => m.messageId)).toEqual([messageId, messageId]);
  expect(new Set(received.map((m) => m.messageId)).size).toBe(1);
  expect(
    await db
      .selectFrom('invoice_deliveries')
      .select(['status', 'attempts', 'last_error'])
      .where('invoice_id', '=', invoiceId)
      .executeTakeFirstOrThrow(),
  ).toEqual({ status: 'sent', attempts: 2, last_error: null });
  expect(
    await db.selectFrom('invoices').select('email_message_id').where('id', '=', invoiceId).executeTakeFirstOrThrow(),
  ).toEqual({ email_message_id: messageId });
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 0, failed: 0, remaining: 0 });
  expect(mailsOf(tenantId)).toHaveLength(2);
}, 120_000);

test('with sendInvoicesAutomatically off nothing is mailed and waiting invoices are recorded as skipped, also after it is turned on again; a voided invoice is not mailed', async () => {
  const { tenantId, realmId } = await stack.addTenant({ settings: { sendInvoicesAutomatically: false } });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const customer = (
    await stack.qboFetch(realmId, 'POST', 'customer', {
      DisplayName: 'Quiet Buyer',
      PrimaryEmailAddr: { Address: 'ap@quiet.example' },
    })
  ).Customer as { Id: string };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Survey',
      Type: 'Service',
      UnitPrice: 80,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  const line = [
    {
      DetailType: 'SalesItemLineDetail',
      Amount: 80,
      SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 80 },
    },
  ];
  const first = await qboInvoice(realmId, { CustomerRef: { value: customer.Id }, Line: line });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const activities = sender();
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 0, failed: 0, remaining: 0 });
  expect(
    await db
      .selectFrom('invoice_deliveries')
      .select(['status', 'reason'])
      .where('invoice_id', '=', await appIdOf(tenantId, first))
      .executeTakeFirstOrThrow(),
  ).toEqual({ status: 'skipped', reason: 'automatic sending (sendInvoicesAutomatically) was off' });

  // On again: the skipped one stays skipped; a new one is mailed, unless it was voided before its turn came.
  await db
    .updateTable('tenants')
    .set({ settings: JSON.stringify({ sendInvoicesAutomatically: true }) })
    .where('id', '=', tenantId)
    .execute();
  const second = await qboInvoice(realmId, { CustomerRef: { value: customer.Id }, Line: line });
  const third = await qboInvoice(realmId, { CustomerRef: { value: customer.Id }, Line: line });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  await db.transaction().execute(async (trx) => {
    await sql`select set_config('qbsync.origin', 'sync', true)`.execute(trx);
    await trx
      .updateTable('invoices')
      .set({ status: 'voided' })
      .where('id', '=', await appIdOf(tenantId, third))
      .execute();
  });
  expect(await activities.deliverInvoices({ tenantId })).toEqual({ sent: 1, failed: 0, remaining: 0 });
  expect(mailsOf(tenantId).map((m) => m.messageId)).toEqual([
    `<invoice.${tenantId}.${await appIdOf(tenantId, second)}@qbsync>`,
  ]);
  expect(
    await db
      .selectFrom('invoice_deliveries')
      .select(['status', 'reason'])
      .where('invoice_id', '=', await appIdOf(tenantId, third))
      .executeTakeFirstOrThrow(),
  ).toEqual({ status: 'skipped', reason: 'the invoice was voided before it was mailed' });
}, 120_000);

test('two senders at once (a retry while the timed-out attempt still runs): each invoice is sent by exactly one of them', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  expect((await stack.sync(tenantId)).status).toBe('succeeded');
  const customer = (
    await stack.qboFetch(realmId, 'POST', 'customer', {
      DisplayName: 'Twice Asked',
      PrimaryEmailAddr: { Address: 'ap@twice.example' },
    })
  ).Customer as { Id: string };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Support',
      Type: 'Service',
      UnitPrice: 50,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  for (let i = 1; i <= 3; i++)
    await qboInvoice(realmId, {
      CustomerRef: { value: customer.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 50 * i,
          SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: i, UnitPrice: 50 },
        },
      ],
    });
  expect((await stack.sync(tenantId)).status).toBe('succeeded');

  let release!: () => void;
  holdFirstOf.set(tenantId, new Promise<void>((resolve) => (release = resolve)));
  // The first sender is stuck waiting for the server's answer to the first invoice…
  const slow = sender().deliverInvoices({ tenantId });
  await untilDefined('the first invoice at the server', () => (mailsOf(tenantId).length === 1 ? true : undefined));
  // …while a second one runs the same page: it leaves the invoice in flight alone and sends the other two.
  expect(await sender().deliverInvoices({ tenantId })).toEqual({ sent: 2, failed: 0, remaining: 0 });
  release();
  // The first finishes its invoice and finds the rest already sent.
  expect(await slow).toEqual({ sent: 1, failed: 0, remaining: 0 });

  const mails = mailsOf(tenantId);
  expect(mails).toHaveLength(3);
  expect(new Set(mails.map((m) => m.messageId)).size).toBe(3);
  const rows = await db
    .selectFrom('invoice_deliveries')
    .select(['status', 'attempts'])
    .where('tenant_id', '=', tenantId)
    .execute();
  expect(rows).toEqual([
    { status: 'sent', attempts: 1 },
    { status: 'sent', attempts: 1 },
    { status: 'sent', attempts: 1 },
  ]);
}, 120_000);
