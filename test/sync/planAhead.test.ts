import { sql } from 'kysely';
import { Ahead } from '../../activities/sync/ahead';
import { pushPage, type EngineContext, type PageOutcome } from '../../activities/sync/engine';
import { MAPPINGS } from '../../activities/sync/entities';
import type { OnRecordError } from '../../activities/sync/model';
import { loadPlan } from '../../activities/sync/plans';
import { addPageCounts } from '../../activities/sync/runs';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { qboPushContext } from '../helpers/qboPush';
import { failure, startHarness, type Harness } from '../quickbooks/harness';

/**
 * A push plans its next page while the current one settles (activities/sync/engine.ts planAhead), and saves that plan
 * only once the current page has committed: the next call sends it like any saved plan. Against the emulator, pages of
 * 160 customers: every customer reaches QuickBooks once, a settle that fails keeps nothing planned ahead, and a record
 * created by the page settling is never taken for a twin of one in the page planned beside it.
 */
let database: TestDatabase;
let harness: Harness;

beforeAll(async () => {
  database = await createTestDatabase('plan_ahead');
  harness = await startHarness();
});
afterAll(async () => {
  await database?.drop();
  await harness?.close();
});

async function company(names: string[], onRecordError: OnRecordError = 'stop') {
  const { db } = database;
  const realm = await harness.realm({ seed: 'empty' });
  let failSettle = false;
  const ctx = await qboPushContext(db, realm, {
    onRecordError,
    // As the step activity counts pages (inside the settle's transaction); failing it fails the settle.
    countPage: async (trx, direction, counts, next) => {
      if (failSettle) throw new Error('the settle failed (a crash before its commit)');
      await addPageCounts(
        trx,
        ctx.runId,
        'customers',
        direction,
        counts,
        next && { entity: 'customer', direction, ...next },
      );
    },
  });
  // One statement per customer, so their change rows (and pages) follow this order.
  for (const display_name of names)
    await db.insertInto('customers').values({ tenant_id: realm.tenantId, display_name }).execute();
  return { realm, tenantId: realm.tenantId, ctx, failNextSettle: (on: boolean) => (failSettle = on) };
}

const names = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix} ${String(i).padStart(3, '0')}`);

async function pushAll(ctx: EngineContext, cursor: unknown = null): Promise<PageOutcome[]> {
  const outcomes: PageOutcome[] = [];
  for (;;) {
    const outcome = await pushPage(ctx, MAPPINGS.customer!, cursor);
    outcomes.push(outcome);
    if (outcome.done) return outcomes;
    cursor = outcome.nextCursor;
  }
}

/** Every customer in QuickBooks once, each linked to its own record, and no plan left. */
async function expectEachOnce(realmId: string, tenantId: string, all: string[]) {
  const inQuickBooks = (await harness.admin.entities(realmId, 'Customer')).map((c) => c.DisplayName).sort();
  expect(inQuickBooks).toEqual(all);
  const linked = await database.db
    .selectFrom('sync_links')
    .select('remote_id')
    .where('tenant_id', '=', tenantId)
    .execute();
  expect(new Set(linked.map((l) => l.remote_id)).size).toBe(all.length);
  expect(await loadPlan(database.db, tenantId, 'customer')).toBeUndefined();
}

test('the next page is planned while a page settles, saved once it committed, and sent by the next call: each customer once', async () => {
  const all = names(400, 'Ahead');
  const { realm, tenantId, ctx } = await company(all);
  const first = await pushPage(ctx, MAPPINGS.customer!, null);
  expect(first.counts.created).toBe(160);
  // The second page's plan is saved already, and nothing of it has been written to QuickBooks yet.
  const next = await loadPlan(database.db, tenantId, 'customer');
  expect(next?.plan?.entries.map((e) => e.label)).toEqual(all.slice(160, 320).map((n) => expect.stringContaining(n)));
  expect(await harness.admin.entities(realm.realmId, 'Customer')).toHaveLength(160);

  const rest = await pushAll(ctx, first.nextCursor);
  expect(rest.reduce((n, o) => n + o.counts.created, 0)).toBe(240);
  await expectEachOnce(realm.realmId, tenantId, all);
});

test('a settle that fails keeps nothing planned ahead: the retry resends its saved plan under the same requestids', async () => {
  const all = names(320, 'Retry');
  const { realm, tenantId, ctx, failNextSettle } = await company(all);
  failNextSettle(true);
  await failure(pushPage(ctx, MAPPINGS.customer!, null));
  const sent = await harness.admin.requests({ realmId: realm.realmId });
  const batchIds = sent.filter((r) => r.operation === 'batch').map((r) => r.requestid);
  // Still the first page's plan (the one sent), not the second's planned beside the failed settle.
  const saved = await loadPlan(database.db, tenantId, 'customer');
  expect(saved?.plan?.entries.map((e) => e.label)).toEqual(all.slice(0, 160).map((n) => expect.stringContaining(n)));

  failNextSettle(false);
  const outcomes = await pushAll(ctx);
  expect(outcomes.reduce((n, o) => n + o.counts.created, 0)).toBe(320);
  const resent = (await harness.admin.requests({ realmId: realm.realmId }))
    .filter((r) => r.operation === 'batch')
    .map((r) => r.requestid)
    .slice(batchIds.length, 2 * batchIds.length);
  expect(resent).toEqual(batchIds);
  const inQuickBooks = (await harness.admin.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName).sort();
  expect(inQuickBooks).toEqual(all);
});

test('a record the settling page created is no twin of one in the page planned beside it', async () => {
  // The same customer twice, one in each page: the second is its own record (QuickBooks refuses the duplicate name,
  // skipped here), never linked to the one the first page created.
  const all = [...names(159, 'Twin'), 'Same Name', ...names(20, 'Later'), 'Same Name'];
  const { realm, tenantId, ctx } = await company(all, 'skip');
  await pushAll(ctx);
  const ids = await database.db
    .selectFrom('customers')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('display_name', '=', 'Same Name')
    .orderBy('id')
    .execute();
  const links = await database.db
    .selectFrom('sync_links')
    .select(['app_id', 'remote_id'])
    .where('tenant_id', '=', tenantId)
    .where('app_id', 'in', [ids[0].id, ids[1].id])
    .execute();
  expect(links.map((l) => Number(l.app_id))).toEqual([ids[0].id]);
  const problems = await database.db
    .selectFrom('sync_problems')
    .select('app_id')
    .where('tenant_id', '=', tenantId)
    .execute();
  expect(problems.map((p) => Number(p.app_id))).toEqual([ids[1].id]);
  expect(
    (await harness.admin.entities(realm.realmId, 'Customer')).filter((c) => c.DisplayName === 'Same Name'),
  ).toHaveLength(1);
});

describe('sent ahead (a step attempt keeps the answers: ctx.sendAhead)', () => {
  const batchIds = async (realmId: string) =>
    (await harness.admin.requests({ realmId })).filter((r) => r.operation === 'batch').map((r) => r.requestid);

  test('the next page is saved and sent while a page settles, and settled by the next call without sending again', async () => {
    const all = names(400, 'Sent');
    const { realm, tenantId, ctx } = await company(all);
    ctx.sendAhead = new Ahead();
    const first = await pushPage(ctx, MAPPINGS.customer!, null);
    expect(first.counts.created).toBe(160);
    // Page two is in QuickBooks already, its plan saved and not settled: nothing of it is linked yet.
    expect(await harness.admin.entities(realm.realmId, 'Customer')).toHaveLength(320);
    const saved = await loadPlan(database.db, tenantId, 'customer');
    expect(saved?.plan?.entries.map((e) => e.label)).toEqual(
      all.slice(160, 320).map((n) => expect.stringContaining(n)),
    );
    expect(saved?.queued).toBe(false);
    const sentSoFar = await batchIds(realm.realmId);

    const rest = await pushAll(ctx, first.nextCursor);
    expect(rest.map((o) => o.counts.created)).toEqual([160, 80]);
    // Page two was not sent again: only page three's batches were added.
    const sent = await batchIds(realm.realmId);
    expect(sent.slice(0, sentSoFar.length)).toEqual(sentSoFar);
    expect(new Set(sent).size).toBe(sent.length);
    await expectEachOnce(realm.realmId, tenantId, all);
  });

  test('a settle that fails after the next page went out: the retry resends both saved plans, oldest first, each customer once', async () => {
    const all = names(320, 'Crash');
    const { realm, tenantId, ctx, failNextSettle } = await company(all);
    ctx.sendAhead = new Ahead();
    failNextSettle(true);
    await failure(pushPage(ctx, MAPPINGS.customer!, null));
    // Both pages are in QuickBooks (the second's requests answered before the failure surfaced); both plans saved.
    expect(await harness.admin.entities(realm.realmId, 'Customer')).toHaveLength(320);
    const firstAttempt = await batchIds(realm.realmId);
    const saved = await loadPlan(database.db, tenantId, 'customer');
    expect(saved?.plan?.entries.map((e) => e.label)).toEqual(all.slice(0, 160).map((n) => expect.stringContaining(n)));
    expect(saved?.queued).toBe(true);

    // The retry (a new attempt: nothing kept from the failed one) starts again from the step's resume point.
    failNextSettle(false);
    ctx.sendAhead = new Ahead();
    const outcomes = await pushAll(ctx);
    expect(outcomes.map((o) => o.counts.created)).toEqual([160, 160, 0]);
    // The same requests again, in the same order, and no others: QuickBooks answered them from its requestids.
    expect(await batchIds(realm.realmId)).toEqual([...firstAttempt, ...firstAttempt]);
    const inQuickBooks = (await harness.admin.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName).sort();
    expect(inQuickBooks).toEqual(all);
    expect(await loadPlan(database.db, tenantId, 'customer')).toBeUndefined();
  });

  test('a page with a record refused under onRecordError=stop sends nothing ahead and saves nothing', async () => {
    const all = names(200, 'Stop');
    const { realm, tenantId, ctx } = await company(all);
    ctx.sendAhead = new Ahead();
    // An address stored as a JSON array: refused before sending (never sent half of it).
    await sql`update customers set billing_address = '[1]'::jsonb where tenant_id = ${tenantId} and display_name = ${all[10]}`.execute(
      database.db,
    );
    await expect(pushPage(ctx, MAPPINGS.customer!, null)).rejects.toThrow(/billing_address/);
    const names_ = (await harness.admin.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName).sort();
    expect(names_).toEqual(all.slice(0, 160).filter((n) => n !== all[10]));
    expect(await loadPlan(database.db, tenantId, 'customer')).toBeUndefined();
  });
  test('the page after one being sent is read from the app while QuickBooks writes that one, and read once', async () => {
    const all = names(500, 'Early');
    const { realm, tenantId, ctx } = await company(all);
    ctx.sendAhead = new Ahead();
    ctx.readAhead = new Ahead();
    const events: string[] = [];
    const { app, remote } = ctx;
    const readChanges = app.readChanges.bind(app);
    app.readChanges = async (entity, cursor, limit) => {
      events.push(`read after ${(cursor as { afterRecordId?: number } | null)?.afterRecordId ?? 'start'}`);
      return readChanges(entity, cursor, limit);
    };
    const send = remote.send.bind(remote);
    remote.send = async (entity, writes) => {
      events.push(`send from ${writes[0]?.sourceId}`);
      const answers = await send(entity, writes);
      events.push(`answered from ${writes[0]?.sourceId}`);
      return answers;
    };
    await pushAll(ctx);
    const ids = (
      await database.db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId).orderBy('id').execute()
    ).map((c) => Number(c.id));
    // Page n + 1's records are read between page n's send and its answers (pages of 160): each page is read once.
    for (const n of [0, 1, 2]) {
      const read = events.indexOf(`read after ${ids[(n + 1) * 160 - 1]}`);
      expect(read).toBeGreaterThan(events.indexOf(`send from ${ids[n * 160]}`));
      expect(read).toBeLessThan(events.indexOf(`answered from ${ids[n * 160]}`));
    }
    const reads = events.filter((e) => e.startsWith('read'));
    expect(new Set(reads).size).toBe(reads.length);
    await expectEachOnce(realm.realmId, tenantId, all);
  });
});
