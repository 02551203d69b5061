import pg from 'pg';
import { connectClient } from '../../schema/db';
import { createStack, type Stack } from '../helpers/stack';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { closed, resultOrStuck, seedBothSides, startRun } from './scenario';

/**
 * The worker's PostgreSQL connections terminated (pg_terminate_backend) while they are inside a transaction, again and
 * again during one run: every page must roll back whole and be redone, never half-applied.
 */
const TERMINATIONS = 12;
let stack: Stack;
let monitor: pg.Client;
let progress: pg.Client;

beforeAll(async () => {
  stack = await createStack('chaos_pg');
  const url = new URL(stack.database.url);
  url.pathname = '/postgres';
  monitor = new pg.Client({ connectionString: url.toString() });
  await monitor.connect();
  progress = await connectClient(stack.database.url);
});
afterAll(async () => {
  await monitor?.end();
  await progress?.end();
  await stack?.close();
});

test(`${TERMINATIONS} of the worker's PostgreSQL connections terminated mid-transaction: the run completes, both sides identical`, async () => {
  const startedAt = Date.now();
  const { tenantId, realmId } = await stack.addTenant();
  await seedBothSides(stack, tenantId, realmId, {
    quickbooks: { customers: 120, items: 50, invoices: 500, payments: 300, maxLinesPerInvoice: 5 },
    app: { customers: 120, items: 50, invoices: 700, payments: 400, maxLinesPerInvoice: 5 },
  });
  const database = new URL(stack.database.url).pathname.slice(1);
  const handle = await startRun(stack, tenantId, 'pg');
  const seen: string[] = [];
  let terminated = 0;
  const progressPid = (await progress.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
  // Pages committed so far in this run: a kill waits for the page it broke to be redone, so kills spread over the run
  // rather than all landing on one page's retries (which would only exhaust that activity's retry policy).
  const pagesDone = async () =>
    Number(
      (
        await progress.query<{ n: string }>(
          'select coalesce(sum(s.pages), 0) as n from sync_step_runs s join sync_runs r on r.id = s.run_id where r.tenant_id = $1',
          [tenantId],
        )
      ).rows[0].n,
    );
  let pagesAtKill = -1;
  while (terminated < TERMINATIONS && !(await closed(handle))) {
    if ((await pagesDone()) <= pagesAtKill) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    // A backend of this test's database inside a transaction (its pool is the worker's: the test itself is idle now).
    const { rows } = await monitor.query<{ pid: number; query: string }>(
      `select pid, left(query, 60) as query from pg_stat_activity
       where datname = $1 and pid not in (pg_backend_pid(), $2) and xact_start is not null and state in ('active', 'idle in transaction')
       order by random() limit 1`,
      [database, progressPid],
    );
    if (rows.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const { rows: done } = await monitor.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [rows[0].pid]);
    if (done[0].ok) {
      terminated++;
      pagesAtKill = await pagesDone();
      seen.push(rows[0].query.replace(/\s+/g, ' '));
    }
  }
  const result = await resultOrStuck(handle);
  expect(result.status).toBe('succeeded');
  expect(terminated).toBe(TERMINATIONS);

  const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
  recordScenario({
    scenario: 'PostgreSQL connections killed',
    what: `pg_terminate_backend on ${TERMINATIONS} of the worker's connections while each was inside a transaction, during one two-way run`,
    disruptions: { 'connections terminated mid-transaction': terminated },
    notes: [`statements running when terminated: ${seen.join(' | ')}`],
    comparison,
    startedAt,
  });
  console.log(`PostgreSQL kills: ${summary(comparison)}`);
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
  expect(comparison.recordsCompared).toBeGreaterThan(3000);
});
