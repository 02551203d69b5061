import { requestSync } from '../../activities/operations/requestSync';
import type { Db } from '../../schema/db';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { startMailbox, untilDefined, type Mailbox } from './mailbox';

/**
 * The worst moment for an automatic invoice email: the SMTP server has the whole message, and the worker dies before
 * it hears the 250 (so before it can record the send). Driven end to end: the tenant's coordinator runs the sync and
 * then emails the invoices, on a `qbsync worker` in its own process, which the test SIGKILLs at exactly that moment.
 */
let stack: Stack;
let db: Db;
let mailbox: Mailbox;
let worker: WorkerProcess | undefined;

let crashTenant = '';
let heldArrived!: () => void;
const held = new Promise<void>((resolve) => (heldArrived = resolve));
let releaseHeld!: () => void;
const killed = new Promise<void>((resolve) => (releaseHeld = resolve));

beforeAll(async () => {
  mailbox = await startMailbox({
    // The crash tenant's first message: received in full, answer held until the worker is dead, then never given.
    answer: async (mail) => {
      if (
        !crashTenant ||
        !mail.messageId.startsWith(`<invoice.${crashTenant}.`) ||
        mailbox.messages.filter((m) => m.messageId.startsWith(`<invoice.${crashTenant}.`)).length > 1
      )
        return 'accept';
      heldArrived();
      await killed;
      return 'drop';
    },
  });
  stack = await createStack('autosendcrash', { inProcessWorker: false });
  db = stack.database.db;
});
afterAll(async () => {
  releaseHeld?.();
  await worker?.stop();
  await stack?.close();
  await mailbox?.close();
});

const env = () => ({ SMTP_URL: mailbox.url, SMTP_FROM: 'Acme Billing <billing@acme.example>' });

async function runs(tenantId: string, n: number): Promise<void> {
  await untilDefined(
    `${n} succeeded runs of ${tenantId}; worker output:\n${worker?.output().slice(-2000)}`,
    async () => {
      const rows = await db.selectFrom('sync_runs').select('status').where('tenant_id', '=', tenantId).execute();
      if (rows.some((r) => r.status === 'failed'))
        throw new Error(`a run failed; worker output:\n${worker?.output().slice(-3000)}`);
      return rows.filter((r) => r.status === 'succeeded').length >= n ? true : undefined;
    },
    120_000,
  );
}

async function deliveries(tenantId: string) {
  return db
    .selectFrom('invoice_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('status', '!=', 'skipped')
    .orderBy('invoice_id')
    .execute();
}

test('SIGKILL of the worker after the SMTP server took an invoice email but before its 250: after a restart each invoice is mailed once (by Message-ID) and recorded once', async () => {
  worker = await startWorkerProcess(stack, { env: env() });
  const { tenantId, realmId } = await stack.addTenant();
  const temporal = { client: stack.temporal.client, taskQueue: stack.temporal.taskQueue };

  await requestSync(temporal, { tenantId, trigger: 'manual' });
  await runs(tenantId, 1);

  const customer = (
    await stack.qboFetch(realmId, 'POST', 'customer', {
      DisplayName: 'Crash Test Dummies',
      PrimaryEmailAddr: { Address: 'ap@dummies.example' },
    })
  ).Customer as { Id: string };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Repairs',
      Type: 'Service',
      UnitPrice: 40,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  for (let i = 1; i <= 3; i++) {
    await stack.qboFetch(realmId, 'POST', 'invoice', {
      CustomerRef: { value: customer.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 40 * i,
          SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: i, UnitPrice: 40 },
        },
      ],
    });
  }
  crashTenant = tenantId;
  await requestSync(temporal, { tenantId, trigger: 'manual' });

  // The server has the first invoice's message; the worker has claimed it (sending) and waits for the 250.
  await held;
  const [first] = await deliveries(tenantId);
  expect(mailbox.messages.filter((m) => m.messageId === first.message_id)).toHaveLength(1);
  expect(first).toMatchObject({ status: 'sending', attempts: 1, sent_at: null });
  await worker.kill('SIGKILL');
  releaseHeld();

  worker = await startWorkerProcess(stack, { env: env() });
  const done = await untilDefined(
    'all three invoices recorded as sent',
    async () => {
      const rows = await deliveries(tenantId);
      return rows.length === 3 && rows.every((r) => r.status === 'sent') ? rows : undefined;
    },
    120_000,
  );

  // Each invoice: one Message-ID, recorded once on the invoice. The held one reached the server twice under that same
  // Message-ID (the copy the dead worker sent, and the resend), which mail systems collapse into one message.
  const mails = mailbox.messages.filter((m) => m.messageId.startsWith(`<invoice.${tenantId}.`));
  expect(new Set(mails.map((m) => m.messageId))).toEqual(new Set(done.map((r) => r.message_id)));
  expect(done.map((r) => [r.message_id, mails.filter((m) => m.messageId === r.message_id).length, r.attempts])).toEqual(
    [
      [first.message_id, 2, 2],
      [done[1].message_id, 1, 1],
      [done[2].message_id, 1, 1],
    ],
  );
  expect(mails.every((m) => m.to.length === 1 && m.to[0] === 'ap@dummies.example')).toBe(true);
  const invoices = await db
    .selectFrom('invoices')
    .select(['id', 'emailed_at', 'email_message_id'])
    .where(
      'id',
      'in',
      done.map((r) => r.invoice_id),
    )
    .orderBy('id')
    .execute();
  expect(invoices.map((i) => i.email_message_id)).toEqual(done.map((r) => r.message_id));
  expect(invoices.every((i) => i.emailed_at instanceof Date)).toBe(true);

  // A further run with one more invoice from QuickBooks: that one is mailed, none of the three again.
  await stack.qboFetch(realmId, 'POST', 'invoice', {
    CustomerRef: { value: customer.Id },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 400,
        SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 10, UnitPrice: 40 },
      },
    ],
  });
  await requestSync(temporal, { tenantId, trigger: 'manual' });
  const after = await untilDefined(
    'the fourth invoice recorded as sent',
    async () => {
      const rows = await deliveries(tenantId);
      return rows.length === 4 && rows.every((r) => r.status === 'sent') ? rows : undefined;
    },
    120_000,
  );
  const all = mailbox.messages.filter((m) => m.messageId.startsWith(`<invoice.${tenantId}.`));
  expect(all).toHaveLength(mails.length + 1);
  expect(all.at(-1)!.messageId).toBe(after[3].message_id);
  expect(after[3].attempts).toBe(1);
}, 300_000);
