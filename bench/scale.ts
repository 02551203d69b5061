/**
 * The scale scenarios of `npm run bench`: `--only budget,speed,noops` and `--fleet N`, each measured for this checkout
 * ("after") and, with `--before <dir>` (another checkout with its own node_modules), for that commit ("before") in the
 * same run, alternating, against the same Temporal server, PostgreSQL and emulators — so a shared, noisy machine
 * loads both alike. Writes bench/results/<date>-scale.json; report.ts renders it into docs/performance.md.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestLogEntry } from '../emulator';
import { dropDatabase } from '../schema/db';
import { seedAppCompany } from './appSeed';
import { editApp, editQuickBooks } from './edits';
import { createFleet, editFleet, endCoordinators, fleetRound, type FleetRow, type MemorySample } from './fleet';
import {
  bundleWorkflows,
  connectTenant,
  freshDatabase,
  newKey,
  startQuickBooks,
  startTemporal,
  startWorkerChild,
  workerEnv,
  type BenchDatabase,
  type BenchQuickBooks,
  type BenchTemporal,
  type WorkerChild,
} from './harness';
import { classifyRequests, measuredRun, type MeasuredRun, type RequestsByKind } from './measure';
import { countsAgree } from './verify';

/** QuickBooks' write bound per company: 40 batches of 30 + the other 460 requests as single writes, per minute. */
export const WRITE_BOUND_PER_MINUTE = 40 * 30 + 460;

/**
 * How close a push came to the limits: the shortest span the limits allow for its records over the span it took. A
 * sliding window of W lets 1,660 records through per window, so N records need at least (⌈N / 1,660⌉ − 1) × W from
 * the first write to the last (each window's share sent the moment it opens). 1 = as fast as QuickBooks permits; a
 * plain rate would score a short push above 1 (its first window is spent at once) and a push ending early in a
 * window below its due. Null for a push that fits one window.
 */
function budgetRatio(pushed: number, pushSpanMs: number, timeScale: number): number | null {
  const windows = Math.ceil(pushed / WRITE_BOUND_PER_MINUTE);
  if (windows <= 1 || pushSpanMs <= 0) return null;
  return ((windows - 1) * (60_000 / timeScale)) / pushSpanMs;
}

export interface ScaleArgs {
  only?: Set<string>;
  fleet?: number;
  timeScale: number;
  scale: number;
  before?: string;
  /** Worker counts of the fleet scenario. */
  fleetWorkers: number[];
  /** The fleet's start jitter: each run starts at a random moment within it, as schedule jitter spreads a night. */
  jitterMs: number;
  /** Runs of the fleet on one warm worker, its memory sampled after each round (0: none). */
  rssRuns?: number;
}

export interface BudgetRow {
  code: string;
  workers: number;
  timeScale: number;
  pushed: number;
  wallMs: number;
  /** From the first write QuickBooks received to the answer of the last. */
  pushSpanMs: number;
  boundPerMinute: number;
  achievedPerMinute: number;
  /** The shortest push span the limits allow for these records over the span taken (budgetRatio). */
  ratio: number;
  /** The plain rate over the bound per minute (above 1 for pushes of a window or two: the first window is free). */
  ratePerBound: number;
  requests: RequestsByKind;
  verified: boolean;
}

/** The median of SPEED_REPEATS runs (its figures are that run's); `runs`: records/s of every run, in order. */
export interface SpeedRow {
  code: string;
  direction: 'push' | 'pull';
  records: number;
  wallMs: number;
  recordsPerSecond: number;
  runs: number[];
  requests: RequestsByKind;
  verified: boolean;
}

/** Runs per speed figure: one run on a 2-core machine moves by ±30 % with whatever else runs; the median is kept. */
export const SPEED_REPEATS = 3;

export interface NoopRow {
  code: string;
  /** What ran on the same worker just before. */
  after: string;
  wallMs: number;
  requests: number;
  /** QuickBooks records received again and found unchanged (absent in results from before it was counted). */
  reread?: number;
  pulledOrPushed: number;
}

export type { FleetRow } from './fleet';

export interface ScaleResults {
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: Record<string, string | number>;
  temporal: string;
  before?: string;
  budget: BudgetRow[];
  speed: SpeedRow[];
  noop: NoopRow[];
  fleet: FleetRow[];
  /** RSS of one worker sampled every so many fleet runs: [runs done, MB] (results before fleetMemory existed). */
  rssGrowth?: Array<{ code: string; samples: Array<[number, number]> }>;
  /** One warm worker's memory after each round of the fleet (`--rss-runs`). */
  fleetMemory?: Array<{ code: string; fleet: number; samples: MemorySample[] }>;
}

interface Code {
  name: string;
  root?: string;
  bundle: string;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

function pushSpanMs(log: RequestLogEntry[]): number {
  const writes = log.filter((e) => e.method === 'POST' && e.operation !== 'query' && e.status < 300);
  if (writes.length === 0) return 0;
  const first = Date.parse(writes[0].time);
  return Math.max(...writes.map((e) => Date.parse(e.time) + e.ms)) - first;
}

export async function runScaleBench(args: ScaleArgs, log: (line: string) => void): Promise<string> {
  const wanted = (name: string) => !args.only || args.only.has(name);
  const startedAt = new Date();
  const temporal = await startTemporal(log, { dynamicConfig: { 'system.enableActivityEagerExecution': true } });
  // Its own database per process: a fleet run and a budget run may go on side by side.
  const database = await freshDatabase(`qbsync_bench_scale_${process.pid}`);
  const key = newKey();
  const codes: Code[] = [];
  if (args.before)
    codes.push({ name: 'before', root: path.resolve(args.before), bundle: await bundleWorkflows(args.before) });
  codes.push({ name: 'after', bundle: await bundleWorkflows() });
  const off = await startQuickBooks('off');
  const limited = await startQuickBooks('production', args.timeScale);
  const nightly = await startQuickBooks('production', 1);
  const results: ScaleResults = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAtStart: os.loadavg()[0].toFixed(2),
    },
    temporal: process.env.TEMPORAL_ADDRESS
      ? `server at ${process.env.TEMPORAL_ADDRESS}`
      : 'Temporal CLI dev server (eager activity execution on)',
    before: args.before,
    budget: [],
    speed: [],
    noop: [],
    fleet: [],
    fleetMemory: [],
  };

  const withWorkers = async <T>(
    code: Code,
    qb: BenchQuickBooks,
    count: number,
    fn: (
      ctx: { client: BenchTemporal['client']; taskQueue: string; database: BenchDatabase },
      workers: WorkerChild[],
    ) => Promise<T>,
    taskQueue = `scale-${randomBytes(4).toString('hex')}`,
  ): Promise<T> => {
    const workers = await Promise.all(
      Array.from({ length: count }, () =>
        startWorkerChild(workerEnv(database, temporal, qb, taskQueue, key), {
          bundlePath: code.bundle,
          clientLimits: qb.limits,
          timeScale: qb.timeScale,
          root: code.root,
        }),
      ),
    );
    try {
      return await fn({ client: temporal.client, taskQueue, database }, workers);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  };
  let tenants = 0;
  const newTenant = async (qb: BenchQuickBooks, prefix: string) => {
    const tenantId = `${prefix}-${++tenants}`;
    const { realmId } = await qb.admin.createCompany({ name: tenantId });
    await connectTenant(database, qb, key, { tenantId, realmId });
    return { tenantId, realmId };
  };
  const verified = async (qb: BenchQuickBooks, tenantId: string, realmId: string) =>
    (await countsAgree(database.db, qb, tenantId, realmId)).ok;

  // The company of the speed and no-op scenarios: run.ts's, at --scale.
  const size = {
    customers: Math.round(2000 * args.scale),
    items: Math.round(2000 * args.scale),
    invoices: Math.round(10_000 * args.scale),
    payments: Math.round(10_000 * args.scale),
    maxLinesPerInvoice: 20,
  };
  try {
    // 1. The whole budget of one company: production limits (time-scaled), 1 and 3 workers on one task queue.
    if (wanted('budget')) {
      const customers = Math.max(100, Math.round(1500 * args.scale * 10));
      for (const workers of [1, 3])
        for (const code of codes) {
          const { tenantId, realmId } = await newTenant(limited, `budget-${code.name}-${workers}`);
          await seedAppCompany(database.db, tenantId, {
            customers,
            items: 1,
            invoices: customers,
            payments: 0,
            maxLinesPerInvoice: 3,
          });
          const run = await withWorkers(code, limited, workers, (ctx) => measuredRun(ctx, limited, tenantId, realmId));
          const span = pushSpanMs(run.log);
          const boundPerMinute = WRITE_BOUND_PER_MINUTE * args.timeScale;
          const achievedPerMinute = run.pushed / (span / 60_000);
          const row: BudgetRow = {
            code: code.name,
            workers,
            timeScale: args.timeScale,
            pushed: run.pushed,
            wallMs: Math.round(run.wallMs),
            pushSpanMs: span,
            boundPerMinute,
            achievedPerMinute: Math.round(achievedPerMinute),
            ratio: round(budgetRatio(run.pushed, span, args.timeScale) ?? 0, 3),
            ratePerBound: round(achievedPerMinute / boundPerMinute, 3),
            requests: classifyRequests(run.log),
            verified: await verified(limited, tenantId, realmId),
          };
          results.budget.push(row);
          log(`budget: ${JSON.stringify(row)}`);
        }
    }

    // 2. Limits off, the engine's own speed: push into an empty company, pull a seeded one; before and after alternate.
    if (wanted('speed')) {
      for (const direction of ['push', 'pull'] as const) {
        const samples = new Map<string, SpeedRow[]>();
        // Before and after alternate run by run, so that a slower minute of the machine does not fall on one alone.
        for (let repeat = 0; repeat < SPEED_REPEATS; repeat++)
          for (const code of codes) {
            const { tenantId, realmId } = await newTenant(off, `speed-${direction}-${code.name}`);
            if (direction === 'push') await seedAppCompany(database.db, tenantId, size);
            else await off.admin.seed(realmId, { kind: 'bulk', ...size });
            const run = await withWorkers(code, off, 1, (ctx) => measuredRun(ctx, off, tenantId, realmId));
            const records = direction === 'push' ? run.pushed : run.pulled;
            const sample: SpeedRow = {
              code: code.name,
              direction,
              records,
              wallMs: Math.round(run.wallMs),
              recordsPerSecond: Math.round(records / (run.wallMs / 1000)),
              runs: [],
              requests: classifyRequests(run.log),
              verified: await verified(off, tenantId, realmId),
            };
            samples.set(code.name, [...(samples.get(code.name) ?? []), sample]);
            log(`speed (run ${repeat + 1} of ${SPEED_REPEATS}): ${JSON.stringify(sample)}`);
          }
        for (const code of codes) {
          const runs = samples.get(code.name)!;
          const median = [...runs].sort((a, b) => a.recordsPerSecond - b.recordsPerSecond)[Math.floor(runs.length / 2)];
          const row: SpeedRow = {
            ...median,
            runs: runs.map((r) => r.recordsPerSecond),
            verified: runs.every((r) => r.verified),
          };
          results.speed.push(row);
          log(`speed: ${JSON.stringify(row)}`);
        }
      }
    }

    // 3. No-op runs, each right after something different on the same warm worker — never only after the kindest.
    if (wanted('noops')) {
      for (const code of codes) {
        const settled = await newTenant(off, `noop-${code.name}`);
        await off.admin.seed(settled.realmId, { kind: 'bulk', ...size });
        const other = await newTenant(off, `noop-other-${code.name}`);
        await withWorkers(code, off, 1, async (ctx) => {
          const noop = async (after: string) => {
            const run = await measuredRun(ctx, off, settled.tenantId, settled.realmId);
            const row: NoopRow = {
              code: code.name,
              after,
              wallMs: Math.round(run.wallMs),
              requests: run.log.length,
              reread: run.result.steps.reduce((n, s) => n + s.pulled.unchanged, 0),
              pulledOrPushed: run.records,
            };
            results.noop.push(row);
            log(`noop: ${JSON.stringify(row)}`);
          };
          await measuredRun(ctx, off, settled.tenantId, settled.realmId); // the initial pull
          await noop('its own initial pull');
          await noop('a no-op run');
          await editQuickBooks(off, settled.realmId, 100);
          await editApp(database.db, settled.tenantId, 100);
          await measuredRun(ctx, off, settled.tenantId, settled.realmId);
          await noop('its own 1% incremental run');
          await noop('a no-op run');
          await seedAppCompany(database.db, other.tenantId, { ...size, invoices: size.invoices / 4, payments: 0 });
          await measuredRun(ctx, off, other.tenantId, other.realmId);
          await noop("another company's initial push");
          await noop('a no-op run');
        });
      }
    }

    // 4. The fleet: N small companies with a few changes each, started within the jitter as the nightly schedule does
    // (bench/fleet.ts). One task queue for the whole scenario: each company's coordinator lives on it between rounds.
    if (args.fleet) {
      const n = args.fleet;
      const taskQueue = `fleet-${randomBytes(4).toString('hex')}`;
      // Tenant ids of their own: coordinators are named after tenants, and a cluster outlives one benchmark run.
      const prefix = `fleet-${randomBytes(2).toString('hex')}`;
      const deps = {
        client: temporal.client,
        database,
        qb: nightly,
        taskQueue,
        newTenant: () => newTenant(nightly, prefix),
        log,
      };
      const fleet = await createFleet(deps, n);
      let roundNo = 0;
      const round_ = (code: Code, workers: WorkerChild[], kind: string) =>
        fleetRound(deps, fleet, workers, { code: code.name, kind, jitterMs: args.jitterMs, round: ++roundNo });
      try {
        // The first round is every company's first import; the rounds after are nightly runs with a few changes each.
        const first = await withWorkers(
          codes.at(-1)!,
          nightly,
          Math.max(...args.fleetWorkers),
          (_ctx, children) => round_(codes.at(-1)!, children, 'first imports'),
          taskQueue,
        );
        results.fleet.push(first);
        log(`fleet first imports: ${JSON.stringify(first)}`);
        // "before" on the first worker count only: the comparison, without doubling the longest scenario.
        for (const workers of args.fleetWorkers)
          for (const code of codes.filter((c) => c.name === 'after' || workers === args.fleetWorkers[0])) {
            await editFleet(deps, fleet);
            const row = await withWorkers(
              code,
              nightly,
              workers,
              (_ctx, children) => round_(code, children, 'nightly'),
              taskQueue,
            );
            results.fleet.push(row);
            log(`fleet: ${JSON.stringify(row)}`);
          }
        // One warm worker, the fleet again and again: its memory after every round (a plateau, or growth).
        if (args.rssRuns) {
          const code = codes.at(-1)!;
          await withWorkers(
            code,
            nightly,
            1,
            async (_ctx, [child]) => {
              const samples: MemorySample[] = [{ runs: 0, ...(await child.memory()) }];
              for (let runs = 0; runs < args.rssRuns!;) {
                await editFleet(deps, fleet);
                const row = await round_(code, [child], 'nightly, one warm worker');
                runs += row.runs;
                samples.push({ runs, ...(await child.memory()) });
                log(`fleet memory: ${JSON.stringify(samples.at(-1))} (${row.failures} failures)`);
              }
              results.fleetMemory!.push({ code: code.name, fleet: n, samples });
            },
            taskQueue,
          );
        }
      } finally {
        await endCoordinators(temporal.client, fleet);
      }
    }
  } finally {
    await off.running.close();
    await limited.running.close();
    await nightly.running.close();
    await database.close();
    await dropDatabase(database.url);
    await temporal.close();
    for (const code of codes) fs.rmSync(code.bundle, { force: true });
  }
  results.finishedAt = new Date().toISOString();
  results.machine.loadAtEnd = os.loadavg()[0].toFixed(2);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  // A fleet-only run has a file of its own, so it can run beside the other scenarios.
  const suffix =
    (args.only?.size ? `-${[...args.only].sort().join('-')}` : '-fleet') +
    (process.env.TEMPORAL_ADDRESS ? '-cluster' : '');
  const file = path.join(dir, `${results.date}-scale${suffix}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

export type { MeasuredRun };
