import fs from 'node:fs';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { until } from '../helpers/until';
import { closed, logSeq, seededRandom, seedBothSides, startRun } from './scenario';
import { formatTimeline, historyLines, watchRun } from './timeline';

/**
 * SIGKILL of the worker process at 20 random moments of one large run (both directions), restarting it each time.
 * A moment is "after k more QuickBooks requests (k random in 1..3) plus a random 0–250 ms": inside a page, between a
 * batch being executed and its answer being committed, inside PostgreSQL transactions, between pages.
 * CHAOS_TIMELINE=<file> writes the run's timeline there: kills, restarts, each step attempt and its retry, the history.
 */
const KILLS = 20;
let stack: Stack;
let worker: WorkerProcess | undefined;
let watch: ReturnType<typeof watchRun> | undefined;

beforeAll(async () => {
  stack = await createStack('chaos_kill', { inProcessWorker: false });
});
afterAll(async () => {
  await watch?.stop();
  await worker?.kill();
  await stack?.close();
});

test(`SIGKILL of the worker at ${KILLS} random moments of one large run: QuickBooks and the app end identical`, async () => {
  const startedAt = Date.now();
  const random = seededRandom();
  const { tenantId, realmId } = await stack.addTenant();
  await seedBothSides(stack, tenantId, realmId, {
    quickbooks: { customers: 150, items: 60, invoices: 600, payments: 400, maxLinesPerInvoice: 5 },
    app: { customers: 150, items: 60, invoices: 1500, payments: 900, maxLinesPerInvoice: 5 },
  });
  worker = await startWorkerProcess(stack);
  const handle = await startRun(stack, tenantId, 'kill');
  watch = watchRun(handle);
  const restarts: number[] = [];
  const moments: string[] = [];
  let kills = 0;
  let from = 0;
  while (kills < KILLS) {
    from = await logSeq(stack, from);
    const k = 1 + Math.floor(random.next() * 3);
    await until(
      `${k} more QuickBooks requests before kill ${kills + 1}`,
      async () => ({ seq: await logSeq(stack, from), done: await closed(handle) }),
      (v) => v.seq >= from + k || v.done,
      { ms: 180_000, context: () => worker?.output().slice(-2000) ?? '' },
    );
    if (await closed(handle)) break;
    await new Promise((r) => setTimeout(r, Math.floor(random.next() * 250)));
    const last = (await stack.admin.requests({ realmId, sinceSeq: from })).at(-1);
    moments.push(`${last?.operation ?? '?'} ${last?.entity ?? ''}`.trim());
    await worker.kill('SIGKILL');
    kills++;
    watch.mark(`kill ${kills} after ${moments.at(-1)}`);
    const spawned = Date.now();
    worker = await startWorkerProcess(stack);
    restarts.push(Date.now() - spawned);
    watch.mark(`worker ${kills} started in ${restarts.at(-1)} ms`);
  }
  const result = await handle.result();
  await watch.stop();
  if (process.env.CHAOS_TIMELINE)
    fs.writeFileSync(
      process.env.CHAOS_TIMELINE,
      formatTimeline(
        [...watch.marks, ...(await historyLines(handle)).map((h) => ({ ...h, what: `history: ${h.what}` }))],
        startedAt,
      ),
    );
  expect(result.status).toBe('succeeded');
  expect({ kills, seed: random.seed }).toEqual({ kills: KILLS, seed: random.seed });

  const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
  const replayed = (await stack.admin.requests({ realmId })).filter((e) => e.replayed).length;
  recordScenario({
    scenario: 'worker SIGKILL',
    what: `the worker process SIGKILLed at ${KILLS} random moments of one run (QuickBooks → app and app → QuickBooks), restarted each time`,
    disruptions: { kills, 'writes answered from requestid memory': replayed },
    notes: [
      `seed ${random.seed}; last request before each kill: ${moments.join('; ')}`,
      `worker restarts (spawn to polling): ${restarts.join(', ')} ms`,
    ],
    comparison,
    startedAt,
  });
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
  expect(comparison.recordsCompared).toBeGreaterThan(7000);
  // Summary in the log for the closing note.
  console.log(`worker SIGKILL: ${summary(comparison)}`);
});
