import { requestSync } from '../../activities/operations/requestSync';
import type { Db } from '../../schema/db';
import { statusQuery } from '../../workflows/coordinator';
import { coordinatorId } from '../../common/ids';
import { createStack, type Stack } from '../helpers/stack';
import { startMailbox, untilDefined, type Mailbox } from './mailbox';

/**
 * Notices end to end: "Synchronize All" goes to the tenant's coordinator, which runs the sync as a child workflow
 * and then notifies, on a worker whose SMTP is a real in-process server. A mail server that hangs up on the notice
 * leaves the run succeeded and the coordinator serving the next request.
 */
let stack: Stack;
let db: Db;
let mailbox: Mailbox;
/** Tenants whose notices the server receives and then hangs up on, without a reply. */
const hangUpOn = new Set<string>();

beforeAll(async () => {
  mailbox = await startMailbox({
    answer: (mail) => (hangUpOn.has(/^<notice\.([^.]+)\./.exec(mail.messageId)?.[1] ?? '') ? 'drop' : 'accept'),
  });
  stack = await createStack('notifycoord', {
    notifications: { smtpUrl: mailbox.url, from: 'qbsync <qbsync@example.com>' },
  });
  db = stack.database.db;
});
afterAll(async () => {
  await stack?.close();
  await mailbox?.close();
});

const temporal = () => ({ client: stack.temporal.client, taskQueue: stack.temporal.taskQueue });

async function noticeSettled(tenantId: string, count: number) {
  return untilDefined(
    `${count} settled notice(s) of ${tenantId}`,
    async () => {
      const rows = await db.selectFrom('notices').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
      return rows.length === count && rows.every((r) => r.status !== 'pending') ? rows : undefined;
    },
    90_000,
  );
}

test('through the coordinator: a successful run (notifications.on=all) is mailed with its trigger and run', async () => {
  const { tenantId } = await stack.addTenant({
    seed: 'demo',
    settings: { notifications: { on: 'all', email: ['ops@e2e.example'] } },
  });
  await requestSync(temporal(), { tenantId, trigger: 'manual' });
  const [notice] = await noticeSettled(tenantId, 1);
  expect(notice).toMatchObject({
    status: 'sent',
    event: 'succeeded',
    trigger: 'manual',
    workflow_id: `qbsync:${tenantId}:sync:1`,
  });
  const mail = mailbox.messages.find((m) => m.messageId === notice.message_id)!;
  expect(mail.to).toEqual(['ops@e2e.example']);
  expect(mail.subject).toBe(`qbsync: sync of ${tenantId} succeeded`);
  expect(mail.text).toContain('Trigger: manual');
  expect(mail.text).toContain(`Workflow: qbsync:${tenantId}:sync:1`);
  expect(mail.text).toMatch(/customers\s+succeeded\s+pulled 60 new/);
}, 120_000);

test('through the coordinator: a failed run is mailed with the step, record and QuickBooks reason', async () => {
  const { tenantId, realmId } = await stack.addTenant({
    customTxnNumbers: true,
    settings: { notifications: { email: ['ops@e2e-fail.example'] } },
  });
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
    DocNumber: 'DUP-9',
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
        .values({ tenant_id: tenantId, display_name: 'Dup Buyer' })
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
          doc_number: 'DUP-9',
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
  await requestSync(temporal(), { tenantId, trigger: 'manual' });
  const [notice] = await noticeSettled(tenantId, 1);
  expect(notice).toMatchObject({ status: 'sent', event: 'failed' });
  const mail = mailbox.messages.find((m) => m.messageId === notice.message_id)!;
  expect(mail.subject).toBe(`qbsync: sync of ${tenantId} FAILED in step invoices`);
  expect(mail.text).toMatch(/Record: .*DUP-9/);
  expect(mail.text).toContain('QuickBooks code: 6140');
  expect(mail.text).toMatch(/What to do: .*change the number/);
}, 120_000);

test('through the coordinator: a mail server that hangs up on the notice does not fail the run; the notice is recorded as failed and the next request is served', async () => {
  const { tenantId } = await stack.addTenant({
    settings: { notifications: { on: 'all', email: ['ops@hangup.example'] } },
  });
  hangUpOn.add(tenantId);
  await requestSync(temporal(), { tenantId, trigger: 'manual' });
  const [notice] = await noticeSettled(tenantId, 1);
  expect(notice).toMatchObject({ status: 'failed', event: 'succeeded', attempts: 1, sent_at: null });
  expect(notice.error).toMatch(/closed|ECONNECTION/i);
  // The server did receive it (then hung up): the failure is the missing reply, which is what qbsync must record.
  expect(mailbox.messages.filter((m) => m.messageId === `<notice.${tenantId}.${notice.id}@qbsync>`)).toHaveLength(1);
  expect(await db.selectFrom('sync_runs').select('status').where('tenant_id', '=', tenantId).execute()).toEqual([
    { status: 'succeeded' },
  ]);
  const handle = stack.temporal.client.workflow.getHandle(coordinatorId(tenantId));
  expect((await handle.query(statusQuery)).lastRun).toMatchObject({ outcome: 'succeeded' });

  hangUpOn.delete(tenantId);
  await requestSync(temporal(), { tenantId, trigger: 'manual' });
  const rows = await noticeSettled(tenantId, 2);
  expect(rows[1]).toMatchObject({ status: 'sent', workflow_id: `qbsync:${tenantId}:sync:2` });
  expect((await handle.describe()).status.name).toBe('RUNNING');
}, 120_000);
