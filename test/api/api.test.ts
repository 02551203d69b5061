import { sql } from 'kysely';
import { OPERATIONS, type QbsyncApi } from '../../client/api';
import { addTenant } from '../../activities/connection/tenants';
import { revokeApiKey } from '../../server/apiKeys';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { problemOf, startApiHarness, type ApiHarness } from './harness';

let database: TestDatabase;
let h: ApiHarness;
let admin: QbsyncApi;
let acme: QbsyncApi;
let acmeKey: string;

beforeAll(async () => {
  database = await createTestDatabase('api');
  h = await startApiHarness(database.db, {}, 64 * 1024);
  admin = h.client(await h.key(['*'], 'admin'));
  acmeKey = await h.key(['acme'], 'acme-app');
  acme = h.client(acmeKey);
  await addTenant(database.db, { id: 'other', name: 'Other' });
});

afterAll(async () => {
  await h?.close();
  await database?.drop();
  expect(h.checker.checked).toBeGreaterThan(40);
});

/** A request the typed client would never send; its answer is still checked against the document when the path is one. */
async function raw(
  path: string,
  init: RequestInit = {},
  template?: string,
): Promise<{ status: number; type: string; body: unknown }> {
  const r = await fetch(`${h.api.url}${path}`, init);
  const text = await r.text();
  const type = r.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json') ? JSON.parse(text) : text;
  if (template)
    h.checker.check({ method: init.method ?? 'GET', path: template, status: r.status, contentType: type, body });
  return { status: r.status, type, body };
}

test('the OpenAPI 3.1 document is served, and the typed client covers exactly its operations', async () => {
  const doc = await admin.openApi();
  expect(doc.openapi).toBe('3.1.0');
  const inDoc = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
    ([path, ops]) => Object.entries(ops).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`),
  );
  const inClient = Object.entries(OPERATIONS).map(([id, [method, path]]) => `${id} ${method} ${path}`);
  expect(inClient.sort()).toEqual(inDoc.sort());
});

test('tenants: add (with a key for all tenants), read with connection health, change settings by merge patch', async () => {
  const t = await admin.addTenant({ id: 'acme', name: 'Acme', mode: 'order-taking' });
  expect(t).toMatchObject({ id: 'acme', mode: 'order-taking', connection: { status: 'not-connected' } });
  const dup = await problemOf(admin.addTenant({ id: 'acme' }));
  expect(dup.status).toBe(409);
  expect(dup.problem.errors[0].field).toBe('id');
  const denied = await problemOf(acme.addTenant({ id: 'newco' }));
  expect(denied.status).toBe(403);

  const patched = await acme.updateSettings('acme', { schedule: { times: ['23:00'] }, onRecordError: 'skip' });
  expect(patched.settings.schedule).toMatchObject({ times: ['23:00'], timeZone: 'America/Chicago' });
  expect(patched.settings.onRecordError).toBe('skip');
  const bad = await problemOf(acme.updateSettings('acme', { schedule: { times: ['25:00'] } }));
  expect(bad.status).toBe(400);
  expect(bad.problem.errors[0]).toMatchObject({ in: 'body', field: 'schedule.times.0' });
  expect((await acme.listTenants()).data.map((x) => x.id)).toEqual(['acme']);
});

test('records: create, read, change and page through customers, items, invoices, payments and sales', async () => {
  const ada = await acme.customers.create('acme', {
    display_name: 'Ada Lovelace',
    email: 'ada@example.com',
    billing_address: { line1: '1 Analytical Way', city: 'London' },
  });
  expect(ada).toMatchObject({ display_name: 'Ada Lovelace', status: 'active', balance_cents: 0, qbo: null });
  const hours = await acme.items.create('acme', { type: 'Service', name: 'Hours', unit_price: '95.50' });
  expect(hours.unit_price).toBe('95.50000');
  const inv = await acme.invoices.create('acme', {
    customer_id: ada.id,
    txn_date: '2026-11-27',
    due_date: '2026-12-27',
    total_cents: 19100,
    lines: [{ item_id: hours.id, quantity: '2', unit_price: '95.50', amount_cents: 19100 }],
  });
  expect(inv).toMatchObject({ txn_date: '2026-11-27', due_date: '2026-12-27', origin: 'app', total_cents: 19100 });
  expect(inv.lines).toEqual([expect.objectContaining({ line_num: 1, item_id: hours.id, amount_cents: 19100 })]);
  const pay = await acme.payments.create('acme', {
    customer_id: ada.id,
    txn_date: '2026-11-28',
    amount_cents: 19100,
    applications: [{ invoice_id: inv.id, amount_cents: 19100 }],
  });
  expect(pay.applications).toEqual([{ invoice_id: inv.id, amount_cents: 19100 }]);
  const sale = await acme.sales.create('acme', {
    type: 'Invoice',
    status: 'Open',
    number: 'S-1',
    customer_id: ada.id,
    txn_date: '2026-11-27',
    total: '191.00',
    lines: [{ item_id: hours.id, quantity: '2', unit_price: '95.5', amount: '191.00' }],
  });
  expect(sale).toMatchObject({ number: 'S-1', qbo_id: null, qbo_doc_number: null, handed_over_at: null });

  const voided = await acme.invoices.update('acme', inv.id, { status: 'voided' });
  expect(voided.status).toBe('voided');
  expect(voided.lines).toHaveLength(1);
  expect((await acme.invoices.get('acme', inv.id)).status).toBe('voided');

  // Every API write is an ordinary app write: the change log has it, for the next sync to send.
  const logged = await database.db
    .selectFrom('app_changes')
    .select(['entity', 'record_id'])
    .where('tenant_id', '=', 'acme')
    .execute();
  for (const [entity, id] of [
    ['customer', ada.id],
    ['item', hours.id],
    ['invoice', inv.id],
    ['payment', pay.id],
  ] as const)
    expect(logged).toContainEqual({ entity, record_id: id });

  for (let i = 0; i < 4; i++) await acme.customers.create('acme', { display_name: `Customer ${i}` });
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const p = await acme.customers.list('acme', { limit: 2, cursor });
    seen.push(...p.data.map((c) => c.id));
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  expect(seen).toHaveLength(5);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
});

test('the same Idempotency-Key three times (two at once) creates one record; another body under it is refused', async () => {
  const body = { display_name: 'Idempotent Ltd', email: 'ap@idempotent.example' };
  const [a, b] = await Promise.all([
    acme.customers.create('acme', body, 'key-1'),
    acme.customers.create('acme', body, 'key-1'),
  ]);
  const c = await acme.customers.create('acme', body, 'key-1');
  expect(b.id).toBe(a.id);
  expect(c.id).toBe(a.id);
  const rows = await database.db
    .selectFrom('customers')
    .select('id')
    .where('display_name', '=', 'Idempotent Ltd')
    .execute();
  expect(rows).toHaveLength(1);
  const refused = await problemOf(acme.customers.create('acme', { ...body, phone: '555' }, 'key-1'));
  expect(refused.status).toBe(422);
  expect(refused.problem.errors[0]).toMatchObject({ in: 'header', field: 'Idempotency-Key' });
});

test('auth: no key, a revoked key and a key for another tenant are refused, and nothing leaks', async () => {
  const none = await problemOf(h.client().getTenant('acme'));
  expect(none.status).toBe(401);
  expect(none.problem.errors[0].field).toBe('Authorization');

  const doomed = await h.key(['acme'], 'doomed');
  await revokeApiKey(database.db, doomed.split('_')[1]);
  const revoked = await problemOf(h.client(doomed).getTenant('acme'));
  expect(revoked.status).toBe(401);
  expect(JSON.stringify(revoked.problem)).not.toContain(doomed.split('_')[2]);

  const forged = await problemOf(h.client(`${acmeKey.slice(0, -4)}AAAA`).getTenant('acme'));
  expect(forged.status).toBe(401);

  const elsewhere = await problemOf(acme.getTenant('other'));
  expect(elsewhere.status).toBe(403);
  expect(elsewhere.problem.errors[0]).toMatchObject({ in: 'path', field: 'tenant' });
  const elsewhereMissing = await problemOf(acme.getTenant('nonexistent'));
  // The same answer whether the tenant exists or not.
  expect(elsewhereMissing.problem).toEqual({
    ...elsewhere.problem,
    detail: elsewhere.problem.detail.replace('other', 'nonexistent'),
    errors: [
      { ...elsewhere.problem.errors[0], message: elsewhere.problem.errors[0].message.replace('other', 'nonexistent') },
    ],
  });
  const records = await problemOf(acme.customers.list('other'));
  expect(records.status).toBe(403);
  expect(JSON.stringify(records.problem)).not.toMatch(/Ada|customer/i);
});

test('every error is problem+json naming the field', async () => {
  const ada = (await acme.customers.list('acme', { limit: 1 })).data[0];
  const badLine = await problemOf(
    acme.invoices.create('acme', { customer_id: ada.id, txn_date: '2026-11-27', lines: [{ amount_cents: 1.5 }] }),
  );
  expect(badLine.status).toBe(400);
  expect(badLine.problem.errors[0]).toMatchObject({ in: 'body', field: 'lines.0.amount_cents' });

  const foreign = await problemOf(acme.invoices.create('acme', { customer_id: 999999, txn_date: '2026-11-27' }));
  expect(foreign.status).toBe(422);
  expect(foreign.problem.errors[0].field).toBe('customer_id');

  const unknownField = await problemOf(acme.customers.create('acme', { display_name: 'x', colour: 'red' } as never));
  expect(unknownField.problem.errors[0]).toEqual({ in: 'body', field: 'colour', message: 'unknown field' });

  const missing = await problemOf(acme.sales.get('acme', 424242));
  expect(missing.status).toBe(404);
  expect(missing.problem.errors[0]).toMatchObject({ in: 'path', field: 'id' });

  const badQuery = await problemOf(acme.customers.list('acme', { limit: 100000 }));
  expect(badQuery.problem.errors[0]).toMatchObject({ in: 'query', field: 'limit' });

  const auth = { authorization: `Bearer ${acmeKey}` };
  const notJson = await raw(
    '/v1/tenants/acme/customers',
    {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"display_name": ',
    },
    '/v1/tenants/{tenant}/customers',
  );
  expect(notJson).toMatchObject({
    status: 400,
    type: 'application/problem+json',
    body: { errors: [{ field: 'body' }] },
  });
  const wrongType = await raw(
    '/v1/tenants/acme/customers',
    {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    },
    '/v1/tenants/{tenant}/customers',
  );
  expect(wrongType).toMatchObject({ status: 415, body: { errors: [{ field: 'Content-Type' }] } });
  const huge = await raw(
    '/v1/tenants/acme/customers',
    {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'x'.repeat(100 * 1024) }),
    },
    '/v1/tenants/{tenant}/customers',
  );
  expect(huge).toMatchObject({ status: 413, type: 'application/problem+json', body: { errors: [{ field: 'body' }] } });
  const nowhere = await raw('/v2/anything', { headers: auth });
  expect(nowhere).toMatchObject({
    status: 404,
    type: 'application/problem+json',
    body: { errors: [{ field: 'path' }] },
  });
  for (const r of [notJson, wrongType, huge]) expect(JSON.stringify(r.body)).not.toContain(acmeKey);
});

test('status, runs, problems, conflicts and events read what the sync recorded', async () => {
  const db = database.db;
  await db.transaction().execute(async (trx) => {
    await sql`set local qbsync.origin = 'sync'`.execute(trx);
    await sql`insert into sync_runs (id, tenant_id, workflow_id, trigger, status, finished_at)
              values ('r1', 'acme', 'wf-1', 'manual', 'failed', now())`.execute(trx);
    await sql`insert into sync_step_runs (run_id, step, position, status, pulled_created, pages)
              values ('r1', 'customers', 1, 'failed', 3, 1)`.execute(trx);
    await sql`insert into sync_problems (tenant_id, run_id, step, entity, direction, app_id, code, message, user_action)
              values ('acme', 'r1', 'customers', 'customer', 'push', 1, '6240', 'Duplicate Name Exists Error', 'rename the customer')`.execute(
      trx,
    );
    await sql`insert into sync_conflicts (tenant_id, run_id, entity, app_id, remote_id, policy, winner, app_version, remote_version)
              values ('acme', 'r1', 'customer', 1, '58', 'quickbooks-wins', 'quickbooks', '{"email":"a@x"}', '{"email":"b@x"}')`.execute(
      trx,
    );
  });
  const endpoint = await acme.addEndpoint('acme', { url: 'http://127.0.0.1:9/hooks', types: ['sync.failed'] });
  expect(endpoint.secret).toMatch(/^whsec_/);
  await sql`update sync_runs set status = 'succeeded' where id = 'r1'`.execute(db);
  await sql`update sync_runs set status = 'failed' where id = 'r1'`.execute(db);

  const status = await acme.getStatus('acme');
  expect(status).toMatchObject({ state: 'idle', last_run: { id: 'r1', status: 'failed' }, events: { pending: 1 } });
  expect(status.last_run!.steps[0]).toMatchObject({ step: 'customers', pulled: { created: 3 } });
  expect((await acme.listRuns('acme')).data.map((r) => r.id)).toEqual(['r1']);
  expect((await acme.getRun('acme', 'r1')).steps).toHaveLength(1);
  expect((await acme.listProblems('acme')).data[0]).toMatchObject({ code: '6240', user_action: 'rename the customer' });
  expect((await acme.listConflicts('acme')).data[0]).toMatchObject({
    winner: 'quickbooks',
    app_version: { email: 'a@x' },
    remote_version: { email: 'b@x' },
  });
  const events = await acme.listEvents('acme', { type: 'sync.failed' });
  expect(events.data[0].deliveries).toEqual([expect.objectContaining({ endpoint_id: endpoint.id, status: 'pending' })]);
  expect((await acme.listEndpoints('acme')).data).toHaveLength(1);
  expect((await acme.replayEvents('acme', '2000-01-01T00:00:00Z')).deliveries).toBeGreaterThan(0);
  expect(await acme.removeEndpoint('acme', endpoint.id)).toEqual({ deleted: true });
  const sync = await problemOf(acme.synchronizeAll('acme'));
  expect(sync.status).toBe(503);
  const connect = await problemOf(acme.connectQuickBooks('acme'));
  expect(connect.status).toBe(503);
});
