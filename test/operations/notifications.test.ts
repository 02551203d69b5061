import { createHmac } from 'node:crypto';
import type { WorkflowFailedError } from '@temporalio/client';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotificationActivities, lastNotices } from '../../activities/notifications/activities';
import type { NotificationConfig } from '../../activities/notifications/config';
import { TokenCipher } from '../../activities/connection/crypto';
import { loadWebhookSecret, storeWebhookSecret } from '../../activities/connection/tenantSecrets';
import type { Db } from '../../schema/db';
import type { StepError } from '../../schema/tables/sync';
import { systemClock } from '../../workers/clock';
import { createLogger } from '../../workers/logger';
import { createStack, type Stack } from '../helpers/stack';
import { startBrokenSmtp, startMailbox, type Mailbox } from './mailbox';

/**
 * Notices about sync runs, against real runs (real Temporal, PostgreSQL, emulator), a real SMTP server and a real
 * HTTP receiver: what arrives, when (notifications.on), signed how, and that a broken mail server is recorded, not fatal.
 */
let stack: Stack;
let db: Db;
let mailbox: Mailbox;

const SECRET = 'whsec-7c1f0e-never-in-the-database';
let cipher: TokenCipher;

beforeAll(async () => {
  stack = await createStack('notify');
  db = stack.database.db;
  cipher = new TokenCipher(stack.env.QBSYNC_ENCRYPTION_KEY);
  mailbox = await startMailbox({ rejectRecipients: /^nobody@/ });
});
afterAll(async () => {
  await mailbox?.close();
  await stack?.close();
});

function notifier(config: Partial<NotificationConfig> = {}, logger = createLogger('silent')) {
  return createNotificationActivities({
    db,
    logger,
    clock: systemClock,
    backendFor: () => Promise.reject(new Error('notices never call QuickBooks')),
    notifications: {
      smtpUrl: mailbox.url,
      from: 'qbsync <qbsync@example.com>',
      webhookSecret: (tenantId) => loadWebhookSecret(db, cipher, tenantId),
      // The receiver of these tests listens on loopback: the operator allows it.
      webhookAllowHosts: ['127.0.0.1'],
      ...config,
    },
  });
}

interface Run {
  tenantId: string;
  syncRunId: string;
  workflowId: string;
  trigger: string;
}

async function succeededRun(settings: Record<string, unknown>, trigger = 'manual'): Promise<Run> {
  const { tenantId } = await stack.addTenant({ seed: 'demo', settings });
  const result = await stack.sync(tenantId, trigger);
  expect(result.status).toBe('succeeded');
  return { tenantId, syncRunId: result.runId, workflowId: await workflowOf(result.runId), trigger };
}

/**
 * A run that fails in the invoices step with a QuickBooks error: the app's invoice DUP-1 collides with QuickBooks'
 * invoice DUP-1 of another customer (custom transaction numbers on: QuickBooks answers 6140).
 */
async function failedRun(settings: Record<string, unknown>, trigger = 'schedule'): Promise<Run & { error: StepError }> {
  const { tenantId, realmId } = await stack.addTenant({ settings, customTxnNumbers: true });
  const customer = (await stack.qboFetch(realmId, 'POST', 'customer', { DisplayName: 'Other Buyer' })).Customer as {
    Id: string;
  };
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Hours',
      Type: 'Service',
      UnitPrice: 100,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string };
  await stack.qboFetch(realmId, 'POST', 'invoice', {
    DocNumber: 'DUP-1',
    CustomerRef: { value: customer.Id },
    Line: [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: 100,
        SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 100 },
      },
    ],
  });
  await db.transaction().execute(async (trx) => {
    const c = (
      await trx
        .insertInto('customers')
        .values({ tenant_id: tenantId, display_name: 'Dup Buyer', email: 'dup@buyer.example' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const i = (
      await trx
        .insertInto('items')
        .values({ tenant_id: tenantId, type: 'Service', name: 'Widget', unit_price: '10', income_account: '1' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const inv = (
      await trx
        .insertInto('invoices')
        .values({
          tenant_id: tenantId,
          customer_id: c,
          doc_number: 'DUP-1',
          txn_date: '2026-11-02',
          subtotal_cents: 1000,
          total_cents: 1000,
          balance_cents: 1000,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('invoice_lines')
      .values({ invoice_id: inv, line_num: 1, item_id: i, quantity: '1', unit_price: '10', amount_cents: 1000 })
      .execute();
  });
  const failure = await stack.sync(tenantId, trigger).then(
    () => undefined,
    (error: WorkflowFailedError) => error,
  );
  expect((failure?.cause as Error | undefined)?.message).toMatch(/failed in step invoices/);
  const run = await db.selectFrom('sync_runs').selectAll().where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return { tenantId, syncRunId: run.id, workflowId: run.workflow_id, trigger, error: run.error as StepError };
}

async function workflowOf(runId: string): Promise<string> {
  return (await db.selectFrom('sync_runs').select('workflow_id').where('id', '=', runId).executeTakeFirstOrThrow())
    .workflow_id;
}

async function noticesOf(tenantId: string) {
  return db.selectFrom('notices').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

function mailsTo(address: string) {
  return mailbox.messages.filter((m) => m.to.includes(address));
}

test('a successful run with notifications.on=all mails each recipient: tenant, trigger, start and end, counts per step; a retried activity sends nothing twice', async () => {
  const run = await succeededRun({ notifications: { on: 'all', email: ['ops@acme.example', 'owner@acme.example'] } });
  const activities = notifier();

  expect(await activities.notifySyncOutcome({ ...run, outcome: 'succeeded' })).toEqual({ notices: 2 });
  const [ops] = mailsTo('ops@acme.example');
  expect(mailsTo('owner@acme.example')).toHaveLength(1);
  expect(ops.subject).toBe(`qbsync: sync of ${run.tenantId} succeeded`);
  expect(ops.messageId).toMatch(new RegExp(`^<notice\\.${run.tenantId}\\.\\d+@qbsync>$`));
  expect(ops.text).toContain(`Tenant: ${run.tenantId} (${run.tenantId})`);
  expect(ops.text).toContain('Outcome: succeeded');
  expect(ops.text).toContain('Trigger: manual');
  expect(ops.text).toContain(`Workflow: ${run.workflowId}`);
  // Start and end in the tenant's time zone (America/Chicago by default).
  expect(ops.text).toMatch(/Started: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d C[SD]T/);
  expect(ops.text).toMatch(/Finished: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d C[SD]T/);
  // Every step with the counts the run recorded: the demo company's 60 customers, 120 invoices, … pulled.
  const steps = await db
    .selectFrom('sync_step_runs')
    .selectAll()
    .where('run_id', '=', run.syncRunId)
    .orderBy('position')
    .execute();
  expect(steps.map((s) => s.step)).toEqual(['customers', 'items', 'taxes', 'invoices', 'payments']);
  for (const s of steps) {
    expect(ops.text).toMatch(
      new RegExp(
        `${s.step}\\s+succeeded\\s+pulled ${s.pulled_created} new, ${s.pulled_updated} changed.* \\| pushed ${s.pushed_created} new, ${s.pushed_updated} changed`,
      ),
    );
    expect(ops.html).toContain(`<td>${s.step}</td><td>succeeded</td><td>${s.pulled_created} new`);
  }
  expect(steps.find((s) => s.step === 'customers')!.pulled_created).toBe(60);
  expect(steps.find((s) => s.step === 'invoices')!.pulled_created).toBe(120);
  expect(ops.text).not.toContain('Failed step');

  const rows = await noticesOf(run.tenantId);
  expect(rows.map((r) => [r.channel, r.recipient, r.status, r.attempts, r.event])).toEqual([
    ['email', 'ops@acme.example', 'sent', 1, 'succeeded'],
    ['email', 'owner@acme.example', 'sent', 1, 'succeeded'],
  ]);
  expect(rows[0].message_id).toBe(ops.messageId);
  expect(rows[0].payload).toMatchObject({
    event: 'sync.succeeded',
    tenant: { id: run.tenantId },
    trigger: 'manual',
    syncRunId: run.syncRunId,
    failure: null,
  });

  // The activity again for the same run (a Temporal retry): the notices exist and were sent, so nothing goes out.
  const before = mailbox.messages.length;
  expect(await activities.notifySyncOutcome({ ...run, outcome: 'succeeded' })).toEqual({ notices: 2 });
  expect(mailbox.messages.length).toBe(before);
  expect(await noticesOf(run.tenantId)).toHaveLength(2);
}, 120_000);

test('a failed run mails the failing step, the record, QuickBooks code and reason, and what to do; the default (failures) stays quiet on success', async () => {
  const run = await failedRun({ notifications: { email: ['ops@fail.example'] } });
  expect(await notifier().notifySyncOutcome({ ...run, outcome: 'failed' })).toEqual({ notices: 1 });
  const [mail] = mailsTo('ops@fail.example');
  expect(mail.subject).toBe(`qbsync: sync of ${run.tenantId} FAILED in step invoices`);
  expect(mail.text).toContain('Outcome: failed');
  expect(mail.text).toContain('Trigger: schedule');
  expect(mail.text).toContain('Failed step: invoices');
  expect(mail.text).toMatch(/Record: .*DUP-1/);
  expect(run.error.code).toBe('6140');
  expect(mail.text).toContain('QuickBooks code: 6140');
  expect(mail.text).toContain(`Reason: ${run.error.message}`);
  expect(mail.text).toMatch(/What to do: .*change the number/);
  for (const step of ['customers', 'items', 'taxes']) expect(mail.text).toMatch(new RegExp(`${step}\\s+succeeded`));
  expect(mail.text).toMatch(/invoices\s+failed/);
  expect(mail.text).toMatch(/payments\s+skipped/);
  expect(mail.html).toContain('<h3>What failed</h3>');
  expect(mail.html).toContain('DUP-1');

  // Same default settings, a successful run: no notice at all.
  const quiet = await succeededRun({ notifications: { email: ['ops@quiet.example'] } });
  expect(await notifier().notifySyncOutcome({ ...quiet, outcome: 'succeeded' })).toEqual({ notices: 0 });
  expect(await noticesOf(quiet.tenantId)).toEqual([]);
  expect(mailsTo('ops@quiet.example')).toEqual([]);
}, 120_000);

test('notifications.on=none sends nothing, even for a failure', async () => {
  const run = await failedRun({ notifications: { on: 'none', email: ['ops@none.example'] } });
  expect(await notifier().notifySyncOutcome({ ...run, outcome: 'failed' })).toEqual({ notices: 0 });
  expect(await noticesOf(run.tenantId)).toEqual([]);
  expect(mailsTo('ops@none.example')).toEqual([]);
}, 120_000);

test("the webhook receives the run as JSON signed with HMAC-SHA256 of the exact body, under the tenant's stored secret; no secret, no post", async () => {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  let status = 204;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/qbsync`;
  try {
    const run = await failedRun({ notifications: { on: 'all', webhookUrl: url } });
    await storeWebhookSecret(db, cipher, run.tenantId, SECRET);
    expect(await notifier().notifySyncOutcome({ ...run, outcome: 'failed' })).toEqual({ notices: 1 });
    expect(received).toHaveLength(1);
    const [hook] = received;
    expect(hook.headers['content-type']).toMatch(/^application\/json/);
    // What a receiver does: HMAC over the raw bytes it read, compared with the header.
    expect(hook.headers['x-qbsync-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(hook.body).digest('hex')}`,
    );
    expect(hook.headers['x-qbsync-event']).toBe('sync.failed');
    const [row] = await noticesOf(run.tenantId);
    expect(hook.headers['x-qbsync-delivery']).toBe(`notice-${row.id}`);
    const body = JSON.parse(hook.body.toString('utf8'));
    expect(body).toMatchObject({
      event: 'sync.failed',
      tenant: { id: run.tenantId },
      trigger: 'schedule',
      syncRunId: run.syncRunId,
      failure: { step: 'invoices', code: '6140' },
    });
    expect(body.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual([
      'customers:succeeded',
      'items:succeeded',
      'taxes:succeeded',
      'invoices:failed',
      'payments:skipped',
    ]);
    expect(row).toMatchObject({ channel: 'webhook', recipient: url, status: 'sent', attempts: 1 });
    expect(JSON.stringify(await db.selectFrom('notices').selectAll().execute())).not.toContain(SECRET);

    // The receiver answers 500: recorded as failed with the status; the activity still resolves.
    status = 500;
    const second = await failedRun({ notifications: { on: 'all', webhookUrl: url } });
    await storeWebhookSecret(db, cipher, second.tenantId, SECRET);
    expect(await notifier().notifySyncOutcome({ ...second, outcome: 'failed' })).toEqual({ notices: 1 });
    expect((await noticesOf(second.tenantId))[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('answered 500'),
    });

    // No secret stored for the tenant: nothing is posted unsigned; the notice says how to store one.
    status = 204;
    const posts = received.length;
    const third = await failedRun({
      notifications: { on: 'all', webhookUrl: url },
    });
    expect(await notifier().notifySyncOutcome({ ...third, outcome: 'failed' })).toEqual({ notices: 1 });
    expect(received.length).toBe(posts);
    expect((await noticesOf(third.tenantId))[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(`qbsync tenant set ${third.tenantId} --webhook-secret`),
    });
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}, 180_000);

test.each([
  ['refuses connections', 'refuse'],
  ['closes the connection at once', 'hangup'],
] as const)(
  'a mail server that %s: the activity resolves, the notice is recorded as failed with the reason',
  async (_label, kind) => {
    const broken = await startBrokenSmtp(kind);
    try {
      const run = await succeededRun({ notifications: { on: 'all', email: ['ops@broken.example'] } });
      const logs: string[] = [];
      const logger = createLogger('info', { write: (line: string) => logs.push(line) });
      expect(
        await notifier({ smtpUrl: broken.url }, logger).notifySyncOutcome({ ...run, outcome: 'succeeded' }),
      ).toEqual({ notices: 1 });
      const [row] = await noticesOf(run.tenantId);
      expect(row).toMatchObject({ channel: 'email', status: 'failed', attempts: 1, sent_at: null });
      expect(row.error).toMatch(kind === 'refuse' ? /ECONNREFUSED|connect/i : /closed|ECONNECTION|greeting/i);
      expect(logs.join('')).toContain('could not be delivered');
      // The activity again for the run (a retry), now with a working server: the failed notice goes out, once.
      expect(await notifier().notifySyncOutcome({ ...run, outcome: 'succeeded' })).toEqual({ notices: 1 });
      expect((await noticesOf(run.tenantId))[0]).toMatchObject({ status: 'sent', attempts: 2, error: null });
      expect(mailsTo('ops@broken.example').filter((m) => m.subject.includes(run.tenantId))).toHaveLength(1);
    } finally {
      await broken.close();
    }
  },
  120_000,
);

test('a recipient the mail server refuses (550) is recorded as failed; the other recipients still get theirs', async () => {
  const run = await failedRun({ notifications: { email: ['nobody@refused.example', 'ops@refused.example'] } });
  expect(await notifier().notifySyncOutcome({ ...run, outcome: 'failed' })).toEqual({ notices: 2 });
  const rows = await noticesOf(run.tenantId);
  expect(rows.map((r) => [r.recipient, r.status])).toEqual([
    ['nobody@refused.example', 'failed'],
    ['ops@refused.example', 'sent'],
  ]);
  expect(rows[0].error).toContain('550');
  expect(mailsTo('ops@refused.example')).toHaveLength(1);
}, 120_000);

test('without SMTP configured, notices are logged and kept with status logged; lastNotices shows the newest first', async () => {
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => logs.push(line) });
  const activities = notifier({ smtpUrl: undefined }, logger);
  const { tenantId } = await stack.addTenant({
    settings: { notifications: { on: 'all', email: ['ops@nosmtp.example'] } },
  });
  const first = await stack.sync(tenantId, 'manual');
  expect(
    await activities.notifySyncOutcome({
      tenantId,
      syncRunId: first.runId,
      workflowId: await workflowOf(first.runId),
      trigger: 'manual',
      outcome: 'succeeded',
    }),
  ).toEqual({ notices: 1 });
  await db
    .updateTable('tenants')
    .set({ settings: JSON.stringify({ notifications: { on: 'all' } }) })
    .where('id', '=', tenantId)
    .execute();
  const second = await stack.sync(tenantId, 'schedule');
  expect(
    await activities.notifySyncOutcome({
      tenantId,
      syncRunId: second.runId,
      workflowId: await workflowOf(second.runId),
      trigger: 'schedule',
      outcome: 'succeeded',
    }),
  ).toEqual({ notices: 1 });

  expect(mailsTo('ops@nosmtp.example')).toEqual([]);
  const notices = await lastNotices(db, tenantId, 5);
  expect(notices.map((n) => [n.syncRunId, n.channel, n.recipient, n.status])).toEqual([
    [second.runId, 'log', 'log', 'logged'],
    [first.runId, 'email', 'ops@nosmtp.example', 'logged'],
  ]);
  expect(notices[0].subject).toBe(`qbsync: sync of ${tenantId} succeeded`);
  const logged = logs
    .map((l) => JSON.parse(l) as { msg: string; tenantId: string })
    .filter((l) => l.tenantId === tenantId);
  expect(logged).toHaveLength(2);
  expect(logged[1].msg).toContain(`qbsync: sync of ${tenantId} succeeded`);
  expect(logged[0].msg).toContain('SMTP_URL is not set');
  expect(logged[0].msg).toMatch(/customers\s+succeeded/);
  expect(await lastNotices(db, tenantId, 1)).toHaveLength(1);
}, 120_000);

test("notices are a subscriber of the outbox: each run's sync.* event becomes its notices once, in order, even a run nobody announced; the outcome is the event's", async () => {
  const first = await succeededRun({ notifications: { on: 'all', email: ['ops@outbox.example'] } });
  // A second run ends while no coordinator announces it (the activity is called once, for the later run only).
  const second = await stack.sync(first.tenantId, 'schedule');
  const events = await db
    .selectFrom('events')
    .select(['id', 'type'])
    .where('tenant_id', '=', first.tenantId)
    .where('type', 'in', ['sync.succeeded', 'sync.failed'])
    .orderBy('id')
    .execute();
  expect(events.map((e) => e.type)).toEqual(['sync.succeeded', 'sync.succeeded']);
  // The caller's outcome does not count: the outbox says both runs succeeded.
  const run = { ...first, syncRunId: second.runId, workflowId: await workflowOf(second.runId), trigger: 'schedule' };
  expect(await notifier().notifySyncOutcome({ ...run, outcome: 'failed' })).toEqual({ notices: 1 });
  const rows = await noticesOf(first.tenantId);
  expect(rows.map((r) => [r.sync_run_id, r.event, r.trigger, r.status])).toEqual([
    [first.syncRunId, 'succeeded', 'manual', 'sent'],
    [second.runId, 'succeeded', 'schedule', 'sent'],
  ]);
  expect(mailsTo('ops@outbox.example').map((m) => m.subject)).toEqual([
    `qbsync: sync of ${first.tenantId} succeeded`,
    `qbsync: sync of ${first.tenantId} succeeded`,
  ]);
  const cursor = await db
    .selectFrom('notice_cursors')
    .select('last_event_id')
    .where('tenant_id', '=', first.tenantId)
    .executeTakeFirstOrThrow();
  expect(cursor.last_event_id).toBe(events[1].id);
  // Called again (a retried activity, the next run's call): nothing is announced twice.
  await notifier().notifySyncOutcome({ ...first, outcome: 'succeeded' });
  expect(await noticesOf(first.tenantId)).toHaveLength(2);
  expect(mailsTo('ops@outbox.example')).toHaveLength(2);
}, 120_000);
