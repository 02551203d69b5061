import { randomUUID } from 'node:crypto';
import { backendFactory } from '../../activities/backends';
import { MemoryCompanies } from '../../activities/backends/memory/backend';
import { createSyncActivities, resumePoint, type StepResult } from '../../activities/sync/activities';
import type { Clock } from '../../workers/clock';
import { createLogger } from '../../workers/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * `syncStep`: a step's pages inside one activity. It hands back to the workflow after a slice of time, and an attempt
 * that failed part-way is asked again from the last committed page — never from the step's start, and never past a
 * page that did not commit. Driven directly (no Temporal) against the in-memory backend and real PostgreSQL.
 */
let database: TestDatabase;
const companies = new MemoryCompanies();

beforeAll(async () => {
  database = await createTestDatabase('step_activity');
});
afterAll(() => database?.drop());

/** Time moves 30 s at every reading, so each slice (20 s) ends after one page. */
const hastyClock = (): Clock => {
  let t = Date.parse('2026-11-27T12:00:00Z');
  return { now: () => new Date((t += 30_000)) };
};

async function tenant(customers: number, clock: Clock) {
  const { db } = database;
  const tenantId = `step-${randomUUID().slice(0, 8)}`;
  // A refused record is skipped (reported, its change kept for the next run) rather than stopping the run.
  const settings = JSON.stringify({ onRecordError: 'skip' });
  await db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'memory', settings }).execute();
  for (let i = 0; i < customers; i++)
    await db
      .insertInto('customers')
      .values({ tenant_id: tenantId, display_name: `Customer ${i}` })
      .execute();
  const activities = createSyncActivities({
    db,
    clock,
    logger: createLogger('silent'),
    backendFor: backendFactory({ db, clock, memory: companies }),
  });
  const runId = randomUUID();
  const beginRun = { runId, tenantId, workflowId: runId, trigger: 'test' };
  const step = (first = false) =>
    activities.syncStep({ tenantId, runId, step: 'customers', ...(first ? { beginRun } : {}) });
  const status = async () =>
    (
      await db
        .selectFrom('sync_step_runs')
        .select(['status', 'pages', 'pushed_created'])
        .where('run_id', '=', runId)
        .where('step', '=', 'customers')
        .executeTakeFirstOrThrow()
    ).status;
  const problems = async () =>
    Number(
      (
        await db
          .selectFrom('sync_problems')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('run_id', '=', runId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { tenantId, runId, company: companies.company(tenantId), step, status, problems };
}

test('a step hands back after each slice and goes on where it stood until it is done', async () => {
  const t = await tenant(75, hastyClock());
  const results: StepResult[] = [await t.step(true)];
  while (!results[results.length - 1].done) results.push(await t.step());
  // Pull (one page, nothing there), the first push page and the second, sent while the first settled: settled before
  // the slice hands back, so that the next attempt does not send it again. Then the last page: 30 + 30 + 15.
  expect(results.map((r) => [r.pages, r.pushed.created, r.done])).toEqual([
    [3, 60, false],
    [1, 15, true],
  ]);
  expect(t.company.all('customer')).toHaveLength(75);
  expect(t.company.requests).toHaveLength(75);
  expect(await t.status()).toBe('succeeded');
});

test('an attempt that failed mid-step is retried from the last committed page: nothing resent twice, nothing lost', async () => {
  const t = await tenant(75, hastyClock());
  // Page 1 has a record QuickBooks refuses: skipped, its change row kept — so a step started over would send it again.
  t.company.inject({ kind: 'reject', code: '6240', message: 'Duplicate Name Exists Error' }, (w) =>
    JSON.stringify(w).includes('Customer 4"'),
  );
  await t.step(true); // the pull and the first push page (30) commit
  // The second page's 10th answer is lost: the write happened, the attempt fails as a worker crash would.
  let writes = 0;
  t.company.inject({ kind: 'lose-answer' }, () => ++writes === 10);
  await expect(t.step()).rejects.toThrow(/answer .* was lost/);
  const sentBefore = t.company.requests.length;
  expect(sentBefore).toBe(40); // page 1's 30, then page 2 stopped at its lost 10th answer
  // The retried attempt starts at page 2's saved plan (the 10 already written are answered from the requestid
  // memory) — not at page 1, and not past page 2.
  const retried = await t.step();
  const key = (r: { write: { requestKey: string } }) => r.write.requestKey;
  const resent = t.company.requests.slice(sentBefore, sentBefore + 30).map(key);
  expect(resent.slice(0, 10)).toEqual(t.company.requests.slice(30, 40).map(key));
  const firstPage = new Set(t.company.requests.slice(0, 30).map(key));
  expect(t.company.requests.slice(sentBefore).filter((r) => firstPage.has(key(r)))).toEqual([]);
  let last = retried;
  while (!last.done) last = await t.step();
  expect(t.company.all('customer')).toHaveLength(74);
  const names = t.company.all('customer').map((r) => (r.canonical as { displayName: string }).displayName);
  expect(new Set(names).size).toBe(74);
  expect(names).not.toContain('Customer 4');
  // The refused record was tried once in this run, and reported once.
  expect(t.company.requests.filter((r) => JSON.stringify(r.write).includes('Customer 4"'))).toHaveLength(1);
  expect(await t.problems()).toBe(1);
  expect(await t.status()).toBe('succeeded');
});

test('resume points: none saved starts at the top; a finished part moves to the next; an unknown part starts over', () => {
  const parts = [
    { entity: 'customer' as const, direction: 'pull' as const },
    { entity: 'customer' as const, direction: 'push' as const },
  ];
  expect(resumePoint(parts, undefined, undefined)).toEqual({ part: 0, cursor: null });
  expect(resumePoint(parts, undefined, { part: 1, cursor: 7 })).toEqual({ part: 1, cursor: 7 });
  const saved = { entity: 'customer', direction: 'push' as const, cursor: { afterRecordId: 9 }, done: false };
  expect(resumePoint(parts, saved, { part: 0, cursor: null })).toEqual({ part: 1, cursor: { afterRecordId: 9 } });
  expect(resumePoint(parts, { ...saved, direction: 'pull', done: true }, undefined)).toEqual({ part: 1, cursor: null });
  expect(resumePoint(parts, { ...saved, entity: 'item' }, undefined)).toEqual({ part: 0, cursor: null });
});
