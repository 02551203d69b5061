import { sql } from 'kysely';
import { beginRun } from '../../activities/sync/runs';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The triggers on the app's tables, as the sync writes a page at once (migration 0020): the change log ignores the
 * sync's own writes and records the app's; a page of invoices inserted in one statement emits one `invoice.received`
 * each, in id order, with a delivery for each endpoint, and queues each QuickBooks-born invoice's mail — recorded as
 * skipped during the initial import, pending after it.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('sync_triggers');
  const { db } = database;
  await db.insertInto('tenants').values({ id: 't1', name: 't1', backend: 'memory' }).execute();
  await db.insertInto('customers').values({ tenant_id: 't1', display_name: 'Page Ltd' }).execute();
  // One endpoint for every type, one for another type only: each invoice event is delivered to the first alone.
  await db
    .insertInto('event_endpoints')
    .values([
      { tenant_id: 't1', url: 'http://127.0.0.1:1/all', secret_enc: 'unused here', types: null },
      { tenant_id: 't1', url: 'http://127.0.0.1:1/failed', secret_enc: 'unused here', types: ['sync.failed'] },
    ])
    .execute();
});
afterAll(() => database?.drop());

async function insertInvoices(origin: 'sync' | 'app', docs: string[]): Promise<number[]> {
  return database.db.transaction().execute(async (trx) => {
    if (origin === 'sync') await sql`select set_config('qbsync.origin', 'sync', true)`.execute(trx);
    const customer = await trx.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    const rows = await trx
      .insertInto('invoices')
      .values(
        docs.map((doc) => ({
          tenant_id: 't1',
          customer_id: customer.id,
          doc_number: doc,
          txn_date: '2026-11-27',
          origin: origin === 'sync' ? 'quickbooks' : 'app',
        })) as never,
      )
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  });
}

const changes = (ids: number[]) =>
  database.db
    .selectFrom('app_changes')
    .select('record_id')
    .where('entity', '=', 'invoice')
    .where('record_id', 'in', ids)
    .execute();

test('a page of invoices from the sync: one event each in id order, deliveries, mail queued, no change-log rows', async () => {
  const ids = await insertInvoices('sync', ['P-1', 'P-2', 'P-3']);
  const events = await database.db
    .selectFrom('events')
    .select(['id', 'type', 'subject', 'data'])
    .where(
      'subject',
      'in',
      ids.map((id) => `invoice:${id}`),
    )
    .orderBy('id')
    .execute();
  expect(events.map((e) => e.subject)).toEqual(ids.map((id) => `invoice:${id}`));
  expect(events.every((e) => e.type === 'invoice.received')).toBe(true);
  expect(events[0].data).toMatchObject({ change: 'insert', invoice: { id: ids[0], doc_number: 'P-1' } });
  expect((events[0].data as { invoice: object }).invoice).not.toHaveProperty('email_message_id');
  const deliveries = await database.db
    .selectFrom('event_deliveries')
    .select('event_id')
    .where(
      'event_id',
      'in',
      events.map((e) => e.id),
    )
    .execute();
  expect(deliveries).toHaveLength(3);
  const mail = await database.db
    .selectFrom('invoice_deliveries')
    .select(['invoice_id', 'status', 'message_id'])
    .where('invoice_id', 'in', ids)
    .orderBy('invoice_id')
    .execute();
  expect(mail.map((m) => m.status)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(mail[0].message_id).toBe(`<invoice.t1.${ids[0]}@qbsync>`);
  expect(await changes(ids)).toEqual([]);
});

test('after the initial import, QuickBooks-born invoices are queued to be mailed; the app’s own are logged', async () => {
  const { db } = database;
  const runId = '00000000-0000-4000-8000-000000000001';
  await beginRun(db, { runId, tenantId: 't1', workflowId: 'w', trigger: 'test' }, new Date());
  await db
    .updateTable('sync_step_runs')
    .set({ status: 'succeeded' })
    .where('run_id', '=', runId)
    .where('step', '=', 'invoices')
    .execute();
  const pulled = await insertInvoices('sync', ['P-4', 'P-5']);
  const mail = await db.selectFrom('invoice_deliveries').select('status').where('invoice_id', 'in', pulled).execute();
  expect(mail.map((m) => m.status)).toEqual(['pending', 'pending']);

  const own = await insertInvoices('app', ['A-1', 'A-2']);
  expect((await changes(own)).map((c) => Number(c.record_id)).sort()).toEqual([...own].sort());
  const events = await db
    .selectFrom('events')
    .select('id')
    .where(
      'subject',
      'in',
      own.map((id) => `invoice:${id}`),
    )
    .execute();
  expect(events).toEqual([]);
  expect(
    await db.selectFrom('invoice_deliveries').select('invoice_id').where('invoice_id', 'in', own).execute(),
  ).toEqual([]);
});
