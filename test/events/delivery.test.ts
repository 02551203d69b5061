import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { TokenCipher } from '../../activities/connection/crypto';
import { addTenant } from '../../activities/connection/tenants';
import { addEndpoint, EventDispatcher, replayEvents } from '../../activities/events';
import type { Db } from '../../schema/db';
import { createLogger } from '../../workers/logger';
import { BIN } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { until } from '../helpers/until';
import { startReceiver } from './receiver';

const KEY = randomBytes(32).toString('base64');
const cipher = new TokenCipher(KEY);
const logger = createLogger('silent');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('events');
});

afterAll(async () => {
  await database?.drop();
});

/** Writes as the sync does: in one transaction with qbsync.origin = 'sync'. */
async function asSync(db: Db, statements: ReturnType<typeof sql>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`set local qbsync.origin = 'sync'`.execute(trx);
    await statements.execute(trx);
  });
}

async function seedTenant(db: Db, id: string): Promise<number> {
  await addTenant(db, { id, name: id });
  const c = await db
    .insertInto('customers')
    .values({ tenant_id: id, display_name: 'Ada' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return c.id;
}

/** Every change kind the sync makes that the app hears about. */
async function syncWrites(db: Db, tenant: string, customerId: number, tag: string): Promise<void> {
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    await asSync(
      db,
      sql`insert into invoices (tenant_id, doc_number, customer_id, txn_date, total_cents, origin)
          values (${tenant}, ${`${tag}-${i}`}, ${customerId}, '2026-11-01', 1000, 'quickbooks')`,
    );
    const row = await db
      .selectFrom('invoices')
      .select('id')
      .where('doc_number', '=', `${tag}-${i}`)
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  for (const total of [2000, 3000])
    for (const id of ids) await asSync(db, sql`update invoices set total_cents = ${total} where id = ${id}`);
  // An app write: no event.
  await db.updateTable('invoices').set({ customer_memo: 'thanks' }).where('id', '=', ids[0]).execute();
  const sale = await db
    .insertInto('sales')
    .values({
      tenant_id: tenant,
      type: 'Invoice',
      status: 'Open',
      number: `S-${tag}`,
      customer_id: customerId,
      txn_date: '2026-11-02',
      total: '10.00',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await asSync(
    db,
    sql`update sales set status = 'Closed', qbo_entity = 'Invoice', qbo_id = '145', qbo_doc_number = '1045', handed_over_at = now() where id = ${sale.id}`,
  );
  const run = `run-${tag}`;
  await asSync(
    db,
    sql`insert into sync_runs (id, tenant_id, workflow_id, trigger, status) values (${run}, ${tenant}, ${run}, 'manual', 'running')`,
  );
  await asSync(
    db,
    sql`insert into sync_problems (tenant_id, run_id, step, entity, direction, app_id, message, user_action)
        values (${tenant}, ${run}, 'customers', 'customer', 'push', ${customerId}, 'Duplicate Name Exists Error', 'rename it')`,
  );
  await asSync(db, sql`update sync_runs set status = 'succeeded', finished_at = now() where id = ${run}`);
}

async function expectedEvents(db: Db, tenant: string) {
  return db
    .selectFrom('events')
    .select(['event_id', 'type', 'subject'])
    .where('tenant_id', '=', tenant)
    .orderBy('id')
    .execute();
}

test('a receiver that fails, drops connections and answers slowly gets each event once per id, signed, in order per record', async () => {
  const { db } = database;
  const customerId = await seedTenant(db, 'acme');
  let secret = '';
  const receiver = await startReceiver(
    () => secret,
    (attempt) => (['fail', 'drop', 'slow', 'ok'] as const)[Math.min(attempt - 1, 3)],
  );
  const dispatcher = new EventDispatcher({
    // The receivers listen on loopback: allowed as an operator would (QBSYNC_WEBHOOK_ALLOW_HOSTS).
    allowHosts: ['127.0.0.1', 'localhost'],
    db,
    databaseUrl: database.url,
    cipher,
    logger,
    retryDelaysMs: [20, 40, 80, 160, 320],
    timeoutMs: 2_000,
    pollMs: 50,
  });
  try {
    ({ secret } = await addEndpoint(db, cipher, { tenantId: 'acme', url: receiver.url }));
    await dispatcher.start();
    await syncWrites(db, 'acme', customerId, 'a');
    await sql`insert into qbo_connections (tenant_id, realm_id, environment, api_base_url, status) values ('acme', '9130', 'emulator', 'http://x', 'connected')`.execute(
      db,
    );
    await sql`update qbo_connections set status = 'needs-reconnect', last_error = 'refresh token revoked' where tenant_id = 'acme'`.execute(
      db,
    );

    const expected = await expectedEvents(db, 'acme');
    expect(expected.map((e) => e.type).sort()).toEqual(
      [
        ...Array(9).fill('invoice.received'),
        'sale.handed_over',
        'record.rejected',
        'sync.succeeded',
        'connection.needs_reconnect',
      ].sort(),
    );
    await until(
      'every event accepted',
      () => receiver.accepted.length,
      (n) => n >= expected.length,
      { ms: 60_000 },
    );
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.accepted.map((a) => a.id).sort()).toEqual(expected.map((e) => e.event_id).sort());
    // In commit order per record.
    for (const subject of new Set(expected.map((e) => e.subject))) {
      const want = expected.filter((e) => e.subject === subject).map((e) => e.event_id);
      const got = receiver.accepted.filter((a) => want.includes(a.id)).map((a) => a.id);
      expect(got).toEqual(want);
    }
    const sale = receiver.accepted.find((a) => a.type === 'sale.handed_over')!.body as {
      data: { sale: Record<string, unknown> };
    };
    expect(sale.data.sale).toMatchObject({
      number: 'S-a',
      qbo_id: '145',
      qbo_doc_number: '1045',
      qbo_entity: 'Invoice',
    });
    const conn = JSON.stringify(receiver.accepted.find((a) => a.type === 'connection.needs_reconnect')!.body);
    expect(conn).not.toMatch(/token_enc/);
    await until(
      'every delivery recorded',
      () => db.selectFrom('event_deliveries').select(['status', 'attempts', 'last_error']).execute(),
      (rows) => rows.every((r) => r.status === 'delivered'),
    );
    const rows = await db.selectFrom('event_deliveries').select(['attempts']).execute();
    // 503, dropped connection, then the slow answer that accepts it.
    expect(rows.map((r) => r.attempts)).toEqual(rows.map(() => 3));

    // Replay sends everything again; the receiver sees the same ids (and drops them).
    const before = receiver.accepted.length;
    const { deliveries } = await replayEvents(db, { since: new Date(Date.now() - 3_600_000), tenantId: 'acme' });
    expect(deliveries).toBe(expected.length);
    await until(
      'replayed deliveries delivered',
      () => db.selectFrom('event_deliveries').select(['status']).where('status', '=', 'pending').execute(),
      (r) => r.length === 0,
    );
    expect(receiver.accepted.length).toBe(before);
  } finally {
    await dispatcher.stop();
    await receiver.close();
  }
});

test('a dispatcher killed between commit and delivery loses nothing', async () => {
  const { db } = database;
  const customerId = await seedTenant(db, 'kill');
  let secret = '';
  let hang = true;
  const receiver = await startReceiver(
    () => secret,
    () => (hang ? 'hang' : 'ok'),
  );
  ({ secret } = await addEndpoint(db, cipher, { tenantId: 'kill', url: receiver.url }));
  const child = spawn(process.execPath, [BIN, 'events', 'deliver'], {
    env: {
      ...process.env,
      QBSYNC_FROM_SOURCE: '1',
      DATABASE_URL: database.url,
      QBSYNC_ENCRYPTION_KEY: KEY,
      QBSYNC_EVENT_TIMEOUT_MS: '1000',
      // The receiver listens on loopback: allowed as an operator would.
      QBSYNC_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      QBSYNC_EVENT_RETRY_DELAYS_MS: '20,40,80,160,320,640,1280',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const dispatcher = new EventDispatcher({
    // The receivers listen on loopback: allowed as an operator would (QBSYNC_WEBHOOK_ALLOW_HOSTS).
    allowHosts: ['127.0.0.1', 'localhost'],
    db,
    databaseUrl: database.url,
    cipher,
    logger,
    timeoutMs: 2_000,
    pollMs: 50,
  });
  try {
    await until(
      'dispatcher started',
      () => output,
      (o) => /event dispatcher started/.test(o),
      { ms: 60_000, context: () => output },
    );
    await syncWrites(db, 'kill', customerId, 'k');
    // The child has claimed deliveries and is waiting on the receiver: kill it there.
    await until(
      'a delivery in flight',
      () => [...receiver.attempts.values()].length,
      (n) => n > 0,
      { context: () => output },
    );
    child.kill('SIGKILL');
    await exited;
    // More commits while no dispatcher runs at all.
    await syncWrites(db, 'kill', customerId, 'k2');
    hang = false;
    await dispatcher.start();
    const expected = await expectedEvents(db, 'kill');
    await until(
      'every event accepted',
      () => receiver.accepted.length,
      (n) => n >= expected.length,
      { ms: 60_000 },
    );
    expect(receiver.accepted.map((a) => a.id).sort()).toEqual(expected.map((e) => e.event_id).sort());
    for (const subject of new Set(expected.map((e) => e.subject))) {
      const want = expected.filter((e) => e.subject === subject).map((e) => e.event_id);
      expect(receiver.accepted.filter((a) => want.includes(a.id)).map((a) => a.id)).toEqual(want);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dispatcher.stop();
    await receiver.close();
  }
});
