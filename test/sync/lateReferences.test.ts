import { randomUUID } from 'node:crypto';
import { MemoryBackend, MemoryCompanies } from '../../activities/backends/memory/backend';
import { AppSide } from '../../activities/sync/appSide';
import type { Backend } from '../../activities/sync/backend';
import { pullPage, type EngineContext } from '../../activities/sync/engine';
import { MAPPINGS } from '../../activities/sync/entities';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import type { TaxCodeRecord } from '../../activities/sync/entities/tax';
import { fingerprint } from '../../activities/sync/fingerprint';
import { LinkStore } from '../../activities/sync/links';
import { DEFERRED } from '../../activities/sync/records';
import { beginRun } from '../../activities/sync/runs';
import { systemClock } from '../../workers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The core's late references against the in-memory backend, wrapped so its customers name their tax code by the
 * backend's id (as QuickBooks Desktop's do): customers are pulled before tax codes, so the reference is late.
 */
let database: TestDatabase;
const companies = new MemoryCompanies();

beforeAll(async () => {
  database = await createTestDatabase('late_references');
});
afterAll(() => database?.drop());

type RemoteCustomer = CustomerRecord & { taxCodeRemote?: string };

async function tenant() {
  const { db } = database;
  const tenantId = `late-${randomUUID().slice(0, 8)}`;
  await db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'memory' }).execute();
  const links = new LinkStore(tenantId, 'memory');
  const company = companies.company(tenantId);
  const memory = new MemoryBackend(company, links, db, MAPPINGS);
  const remote: Backend = Object.assign(Object.create(memory) as Backend, {
    async readChanges(entity: 'customer', cursor: unknown, limit: number) {
      const page = await memory.readChanges(entity, cursor, limit);
      if (entity !== 'customer') return page;
      for (const r of page.records) {
        const { taxCodeRemote, ...canonical } = r.canonical as RemoteCustomer;
        const appId = taxCodeRemote
          ? (await links.remoteToApp(db, 'tax_code', [taxCodeRemote])).get(taxCodeRemote)
          : undefined;
        r.canonical = { ...canonical, taxCodeId: appId };
        if (taxCodeRemote && appId === undefined)
          r.lateRefs = [{ field: 'taxCodeId', entity: 'tax_code', remoteId: taxCodeRemote }];
      }
      return page;
    },
  });
  const newRun = async (): Promise<EngineContext> => {
    const runId = randomUUID();
    await beginRun(db, { runId, tenantId, workflowId: runId, trigger: 'test' }, new Date());
    const base = { db, clock: systemClock, tenantId, runId, step: 'customers' as const, links, remote };
    const rules = { policy: 'quickbooks-wins' as const, onRecordError: 'stop' as const, deferRuns: 2 };
    return { ...base, ...rules, onVanished: 'stop', app: new AppSide(db, tenantId, MAPPINGS) };
  };
  const pull = async (ctx: EngineContext, entity: 'customer' | 'tax_code') => {
    const counts = { created: 0, updated: 0, unchanged: 0, deferred: 0, failed: 0 };
    for (let done = false; !done;) {
      const page = await pullPage(ctx, MAPPINGS[entity]!);
      done = page.done;
      for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += page.counts[k] ?? 0;
    }
    return counts;
  };
  const customer = (name: string) =>
    db.selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).where('display_name', '=', name);
  const pending = () => db.selectFrom('sync_late_references').selectAll().where('tenant_id', '=', tenantId).execute();
  return { tenantId, company, links, newRun, pull, customer, pending };
}

const customer = (displayName: string, taxCodeRemote?: string): RemoteCustomer => ({
  displayName,
  companyName: null,
  givenName: null,
  familyName: null,
  email: null,
  phone: null,
  billingAddress: null,
  shippingAddress: null,
  parentId: null,
  active: true,
  taxCodeRemote,
});
const code = (name: string): TaxCodeRecord => ({ name, description: null, taxable: true, active: true, rateIds: [] });

test('a reference pulled later in the run is filled with the link fingerprint, and the next run changes nothing', async () => {
  const t = await tenant();
  const tax = t.company.put('tax_code', code('TAX'));
  const remote = t.company.put('customer', customer('Late Co', tax.id));
  t.company.put('customer', customer('No Code Co'));

  const run1 = await t.newRun();
  expect(await t.pull(run1, 'customer')).toMatchObject({ created: 2 });
  expect((await t.customer('Late Co').executeTakeFirstOrThrow()).tax_code_id).toBeNull();
  expect(await t.pending()).toHaveLength(1);
  await t.pull(run1, 'tax_code');

  const taxAppId = (await t.links.remoteToApp(database.db, 'tax_code', [tax.id])).get(tax.id)!;
  const row = await t.customer('Late Co').executeTakeFirstOrThrow();
  expect(row.tax_code_id).toBe(taxAppId);
  expect(await t.pending()).toEqual([]);
  // The agreement is the full state: what the app holds and what the backend now maps to.
  const app = (await MAPPINGS.customer!.loadApp(database.db, t.tenantId, [row.id])).get(row.id)!;
  const link = (await t.links.byAppIds(database.db, 'customer', [row.id])).get(row.id)!;
  expect(link.fingerprint).toBe(fingerprint(app.canonical));
  expect(app.canonical).toMatchObject({ taxCodeId: taxAppId });
  expect((await t.customer('No Code Co').executeTakeFirstOrThrow()).tax_code_id).toBeNull();

  // QuickBooks touches the record without changing it: the next run reads it and writes nothing.
  t.company.put('customer', remote.canonical, remote.id);
  const run2 = await t.newRun();
  expect(await t.pull(run2, 'customer')).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
  expect(await t.pending()).toEqual([]);
});

test('a reference still missing after its entity is pulled is deferred, then fails after deferRuns runs', async () => {
  const t = await tenant();
  t.company.put('customer', customer('Waiting Co', 'no-such-code'));
  const outcomes = [];
  for (let run = 0; run < 3; run++) {
    const ctx = await t.newRun();
    await t.pull(ctx, 'customer');
    outcomes.push(await t.pull(ctx, 'tax_code').catch((e: Error) => e.name));
  }
  expect(outcomes).toEqual([
    expect.objectContaining({ deferred: 1, failed: 0 }),
    expect.objectContaining({ deferred: 1, failed: 0 }),
    'RecordRejectedError',
  ]);
  const problems = await database.db
    .selectFrom('sync_problems')
    .select(['code', 'detail', 'message'])
    .where('tenant_id', '=', t.tenantId)
    .orderBy('id')
    .execute();
  expect(problems.map((p) => [p.code, p.detail])).toEqual([
    [DEFERRED, 'qbsync-missing-reference'],
    [DEFERRED, 'qbsync-missing-reference'],
    ['qbsync-missing-reference', null],
  ]);
  expect(problems[2].message).toContain('customer "Waiting Co"');
  expect(problems[2].message).toContain('taxCodeId (tax_code no-such-code)');
  expect(await t.pending()).toHaveLength(1);
});
