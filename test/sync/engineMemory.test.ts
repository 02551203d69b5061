import { randomUUID } from 'node:crypto';
import { MemoryBackend, MemoryCompanies, type MemoryCompany } from '../../activities/backends/memory/backend';
import { AppSide } from '../../activities/sync/appSide';
import { PULL_PAGE_SIZE, pullPage, pushPage, type EngineContext } from '../../activities/sync/engine';
import { Ahead } from '../../activities/sync/ahead';
import { MAPPINGS } from '../../activities/sync/entities';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import { LinkStore } from '../../activities/sync/links';
import type { ConflictPolicy } from '../../activities/sync/model';
import { beginRun } from '../../activities/sync/runs';
import { systemClock } from '../../workers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The core's decisions against the in-memory reference backend: no QuickBooks, no Temporal, real PostgreSQL for the
 * app side. Each test is a fresh tenant.
 */
let database: TestDatabase;
const companies = new MemoryCompanies();
const customers = MAPPINGS.customer!;

beforeAll(async () => {
  database = await createTestDatabase('engine_memory');
});
afterAll(() => database?.drop());

interface Tenant {
  ctx: EngineContext;
  company: MemoryCompany;
  appCustomer(name: string, email?: string): Promise<number>;
  pull(): Promise<void>;
  push(): Promise<void>;
  app(id: number): Promise<{ display_name: string; email: string | null; active: boolean }>;
}

async function tenant(policy: ConflictPolicy = 'quickbooks-wins'): Promise<Tenant> {
  const { db } = database;
  const tenantId = `mem-${randomUUID().slice(0, 8)}`;
  await db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'memory' }).execute();
  const runId = randomUUID();
  await beginRun(db, { runId, tenantId, workflowId: runId, trigger: 'test' }, new Date());
  const links = new LinkStore(tenantId, 'memory');
  const company = companies.company(tenantId);
  const ctx: EngineContext = {
    ...{
      db,
      clock: systemClock,
      tenantId,
      runId,
      step: 'customers',
      links,
      policy,
      onRecordError: 'stop',
      deferRuns: 3,
      onVanished: 'stop',
    },
    app: new AppSide(db, tenantId, MAPPINGS as Record<string, typeof customers>),
    remote: new MemoryBackend(company, links, db, MAPPINGS),
  };
  return {
    ctx,
    company,
    async appCustomer(name, email) {
      const row = await db
        .insertInto('customers')
        .values({ tenant_id: tenantId, display_name: name, email: email ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async pull() {
      for (let done = false; !done;) ({ done } = await pullPage(ctx, customers));
    },
    async push() {
      let cursor: unknown = null;
      for (let done = false; !done;) ({ nextCursor: cursor, done } = await pushPage(ctx, customers, cursor));
    },
    app: (id) =>
      db
        .selectFrom('customers')
        .select(['display_name', 'email', 'active'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
  };
}

const record = (displayName: string, email: string | null = null): CustomerRecord => ({
  displayName,
  companyName: null,
  givenName: null,
  familyName: null,
  email,
  phone: null,
  billingAddress: null,
  shippingAddress: null,
  parentId: null,
  active: true,
});

test('a record pushed comes back as an echo: the next pull and push write nothing', async () => {
  const t = await tenant();
  await t.appCustomer('Echo Ltd');
  await t.push();
  expect(t.company.all('customer')).toHaveLength(1);
  const writes = t.company.requests.length;
  await t.pull();
  await t.push();
  expect(t.company.requests.length).toBe(writes);
  expect(t.company.all('customer')[0].version).toBe(0);
});

test('a backend record comes in, and an unlinked app twin is linked instead of duplicated', async () => {
  const t = await tenant();
  const twin = await t.appCustomer('Twin Co');
  t.company.put('customer', record('Twin Co'));
  t.company.put('customer', record('Only There'));
  await t.pull();
  const rows = await t.ctx.db
    .selectFrom('customers')
    .select(['id', 'display_name'])
    .where('tenant_id', '=', t.ctx.tenantId)
    .execute();
  expect(rows.map((r) => r.display_name).sort()).toEqual(['Only There', 'Twin Co']);
  expect(rows.find((r) => r.display_name === 'Twin Co')!.id).toBe(twin);
});

test('both sides changed since they agreed: the policy decides and the conflict is recorded with both versions', async () => {
  for (const [policy, winner] of [
    ['quickbooks-wins', 'Backend Name'],
    ['app-wins', 'App Name'],
  ] as const) {
    const t = await tenant(policy);
    const id = await t.appCustomer('Original');
    await t.push();
    const remote = t.company.all('customer')[0];
    t.company.put('customer', { ...(remote.canonical as CustomerRecord), displayName: 'Backend Name' }, remote.id);
    await t.ctx.db.updateTable('customers').set({ display_name: 'App Name' }).where('id', '=', id).execute();
    await t.pull();
    await t.push();
    expect((await t.app(id)).display_name).toBe(winner);
    expect((t.company.get('customer', remote.id)!.canonical as CustomerRecord).displayName).toBe(winner);
    const conflicts = await t.ctx.db
      .selectFrom('sync_conflicts')
      .selectAll()
      .where('tenant_id', '=', t.ctx.tenantId)
      .execute();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ winner: policy === 'app-wins' ? 'app' : 'quickbooks' });
  }
});

test('a deactivation travels with the edits made alongside it, and a reactivation is a change again', async () => {
  const t = await tenant();
  const id = await t.appCustomer('Leaving');
  await t.push();
  await t.ctx.db
    .updateTable('customers')
    .set({ active: false, status: 'inactive', email: 'last@example.com' })
    .where('id', '=', id)
    .execute();
  await t.push();
  const [remote] = t.company.all('customer');
  expect(remote.removed).toBe('inactive');
  expect(remote.canonical).toMatchObject({ active: false, email: 'last@example.com' });
  await t.pull();
  await t.ctx.db.updateTable('customers').set({ active: true, status: 'active' }).where('id', '=', id).execute();
  await t.push();
  expect(t.company.all('customer')[0]).toMatchObject({ canonical: { active: true } });
  expect(t.company.all('customer')[0].removed).toBeUndefined();
  // And from the backend's side: deactivated there, reactivated there, the app follows both times.
  const r = t.company.all('customer')[0];
  t.company.put('customer', { ...(r.canonical as CustomerRecord), active: false }, r.id);
  await t.pull();
  expect((await t.app(id)).active).toBe(false);
  t.company.put('customer', { ...(r.canonical as CustomerRecord), active: true }, r.id);
  await t.pull();
  expect((await t.app(id)).active).toBe(true);
});

test('values the backend fills in are stamped back into the app in the settle transaction', async () => {
  const t = await tenant();
  t.company.fill = (_entity, c) => ({ ...(c as CustomerRecord), email: 'assigned@backend.example' });
  const id = await t.appCustomer('Stamped');
  await t.push();
  expect((await t.app(id)).email).toBe('assigned@backend.example');
  const writes = t.company.requests.length;
  await t.push();
  await t.pull();
  expect(t.company.requests.length).toBe(writes);
});

test('an answer lost after the backend applied the write: the saved plan is resent and makes no second record', async () => {
  const t = await tenant();
  await t.appCustomer('Lost Answer');
  t.company.inject({ kind: 'lose-answer' });
  await expect(t.push()).rejects.toThrow(/answer .* was lost/);
  const plan = await t.ctx.db.selectFrom('push_intents').selectAll().where('tenant_id', '=', t.ctx.tenantId).execute();
  expect(plan).toHaveLength(1);
  await t.push();
  expect(t.company.all('customer')).toHaveLength(1);
  expect(t.company.requests).toHaveLength(2);
  expect(t.company.requests[0].write.requestKey).toBe(t.company.requests[1].write.requestKey);
  const links = await t.ctx.db.selectFrom('sync_links').selectAll().where('tenant_id', '=', t.ctx.tenantId).execute();
  expect(links).toHaveLength(1);
  expect(
    await t.ctx.db.selectFrom('push_intents').selectAll().where('tenant_id', '=', t.ctx.tenantId).execute(),
  ).toEqual([]);
});

test('a record the backend rejects stops the page and names the record, its code and what to do', async () => {
  const t = await tenant();
  await t.appCustomer('Refused');
  t.company.inject({ kind: 'reject', code: 'X1', message: 'refused by the backend' });
  await expect(t.push()).rejects.toMatchObject({
    name: 'RecordRejectedError',
    problem: { code: 'X1', message: 'refused by the backend', label: expect.stringContaining('Refused') },
  });
  expect(t.company.all('customer')).toHaveLength(0);
});

test('an echo read at its agreed version is settled without loading the app; a removal echo is decided again', async () => {
  const t = await tenant();
  const id = await t.appCustomer('Settled Ltd');
  await t.push();
  const loaded: string[] = [];
  const load = t.ctx.app.load.bind(t.ctx.app);
  t.ctx.app.load = (entity, ids, trx) => {
    loaded.push(...ids);
    return load(entity, ids, trx);
  };
  const version = async () =>
    (
      await t.ctx.db
        .selectFrom('sync_links')
        .select('remote_version')
        .where('tenant_id', '=', t.ctx.tenantId)
        .executeTakeFirstOrThrow()
    ).remote_version;
  expect(await version()).toBe('0');
  const echo = await pullPage(t.ctx, customers);
  expect(echo.counts).toMatchObject({ unchanged: 1, updated: 0, created: 0 });
  expect(loaded).toEqual([]);

  // The removal's answer carries a version the agreement does not describe: forgotten, so its echo is decided.
  await t.ctx.db.updateTable('customers').set({ status: 'deleted' }).where('id', '=', id).execute();
  await t.push();
  expect(t.company.all('customer')[0].removed).toBe('inactive');
  expect(await version()).toBeNull();
  await t.pull();
  expect(loaded).toContain(String(id));
});

test('a pull reads its next page while the page before it is written, and drops it when that page fails', async () => {
  const t = await tenant();
  for (let i = 0; i < 2 * PULL_PAGE_SIZE + 500; i++) t.company.put('customer', record(`Read Ahead ${i}`));
  t.ctx.readAhead = new Ahead();
  const order: string[] = [];
  const read = t.ctx.remote.readChanges.bind(t.ctx.remote);
  t.ctx.remote.readChanges = (entity, cursor, limit, agreed) => {
    order.push(`read ${(cursor as { seq: number } | null)?.seq ?? 0}`);
    return read(entity, cursor, limit, agreed);
  };
  let failOnce = true;
  t.ctx.countPage = async () => {
    order.push('commit');
    if (failOnce) {
      failOnce = false;
      throw new Error('the first page fails to commit');
    }
  };
  await expect(pullPage(t.ctx, customers)).rejects.toThrow('the first page fails to commit');
  await t.pull();
  // The first attempt read page 2 ahead; its page 1 failed, so that read was dropped and page 1 read again. Then each
  // page's successor is read before the page commits.
  expect(order).toEqual([
    'read 0',
    `read ${PULL_PAGE_SIZE}`,
    'commit',
    'read 0',
    `read ${PULL_PAGE_SIZE}`,
    'commit',
    `read ${2 * PULL_PAGE_SIZE}`,
    'commit',
    'commit',
  ]);
  const rows = await t.ctx.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', t.ctx.tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(rows.n)).toBe(2 * PULL_PAGE_SIZE + 500);
  const links = await t.ctx.db
    .selectFrom('sync_links')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', t.ctx.tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(links.n)).toBe(2 * PULL_PAGE_SIZE + 500);
});
