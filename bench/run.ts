/**
 * `npm run bench [-- --scale 0.1] [--time-scale 3] [--only pull,push,incremental,noop,noop-no-eager,limited,desktop] [--sales N]`
 * Scale scenarios (bench/scale.ts): `--only budget,speed,noops` and/or `--fleet N [--fleet-workers 1,2,4] [--jitter ms] [--rss-runs M]`,
 * with `--before <checkout>` to measure another commit in the same run; `--temporal <address>` targets a server (a
 * cluster) instead of a dev server of the benchmark's own.
 *
 * Measures qbsync on a real Temporal dev server and real PostgreSQL against the in-process QuickBooks emulator, and
 * writes bench/results/<date>.json and .md and regenerates docs/performance.md from them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDb } from '../schema/db';
import { seedAppCompany, type CompanySize } from './appSeed';
import { editApp, editQuickBooks } from './edits';
import {
  bundleWorkflows,
  connectTenant,
  databaseUrl,
  freshDatabase,
  newKey,
  startQuickBooks,
  startTemporal,
  startWorkerChild,
  workerEnv,
  type BenchQuickBooks,
  type BenchTemporal,
  type WorkerChild,
} from './harness';
import {
  measuredRun,
  scenarioResult,
  withPgTime,
  type MeasuredRun,
  type RunContext,
  type ScenarioResult,
} from './measure';
import { latestResult, renderReports, type BenchResults } from './report';
import { countsAgree } from './verify';
import { runDesktopBench, writeDesktopResult } from './desktop';
import { runScaleBench } from './scale';

interface Args {
  scale: number;
  timeScale: number;
  only?: Set<string>;
  fleet?: number;
  fleetWorkers: number[];
  jitterMs: number;
  rssRuns: number;
  before?: string;
}

const SCALE_SCENARIOS = ['budget', 'speed', 'noops'];

function parseArgs(argv: string[]): Args {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scale = Number(value('scale') ?? 1);
  const timeScale = Number(value('time-scale') ?? 3);
  if (!(scale > 0) || !(timeScale > 0)) throw new Error('--scale and --time-scale must be positive numbers');
  const only = value('only');
  const temporal = value('temporal');
  if (temporal) process.env.TEMPORAL_ADDRESS = temporal;
  const fleet = argv.includes('--fleet') ? Number(value('fleet') ?? 1000) : undefined;
  if (fleet !== undefined && !(fleet > 0)) throw new Error('--fleet takes a number of companies');
  return {
    scale,
    timeScale,
    only: only ? new Set(only.split(',')) : undefined,
    fleet,
    fleetWorkers: (value('fleet-workers') ?? '1,2,4').split(',').map(Number),
    jitterMs: Number(value('jitter') ?? 30_000),
    rssRuns: Number(value('rss-runs') ?? 0),
    before: value('before'),
  };
}

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const size: CompanySize = {
    customers: Math.max(1, Math.round(2000 * args.scale)),
    items: Math.max(1, Math.round(2000 * args.scale)),
    invoices: Math.max(1, Math.round(10_000 * args.scale)),
    payments: Math.max(1, Math.round(10_000 * args.scale)),
    maxLinesPerInvoice: 20,
  };
  const wanted = (name: string) => !args.only || args.only.has(name);
  const scaleOnly = args.only ? [...args.only].every((n) => SCALE_SCENARIOS.includes(n)) : args.fleet !== undefined;
  if (args.fleet !== undefined || SCALE_SCENARIOS.some((n) => args.only?.has(n))) {
    const scaleArgs = { ...args, only: args.only ?? new Set<string>() };
    const file = await runScaleBench(scaleArgs, log);
    log(`wrote ${path.relative(process.cwd(), file)}; ${renderReports(latestResult()).join(', ')}`);
    if (scaleOnly) return;
  }
  if (wanted('desktop')) {
    // QuickBooks Desktop through the Web Connector: its own database, worker and endpoint.
    const sales = Number(process.argv[process.argv.indexOf('--sales') + 1]) || 60;
    const file = writeDesktopResult(await runDesktopBench(log, sales));
    log(`wrote ${path.relative(process.cwd(), file)}`);
    if (args.only?.size === 1) return;
  }
  log(`company size ${JSON.stringify(size)}; production limits time-scaled ×${args.timeScale}`);

  // The dev server as `npm start` runs it (client/commands/dev.ts): activities dispatched eagerly to the scheduling worker.
  const temporal = await startTemporal(log, { dynamicConfig: { 'system.enableActivityEagerExecution': true } });
  const database = await freshDatabase('qbsync_bench');
  const bundlePath = await bundleWorkflows();
  const key = newKey();
  const off = await startQuickBooks('off');
  const limited = await startQuickBooks('production', args.timeScale);
  const scenarios: ScenarioResult[] = [];
  const startedAt = new Date();
  // The machine may be shared: its load around the run is part of the result.
  const loadAtStart = os.loadavg()[0];

  const withWorker = async <T>(
    qb: BenchQuickBooks,
    fn: (ctx: RunContext, worker: WorkerChild) => Promise<T>,
    server: BenchTemporal = temporal,
  ): Promise<T> => {
    const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
    const worker = await startWorkerChild(workerEnv(database, server, qb, taskQueue, key), {
      bundlePath,
      clientLimits: qb.limits,
      timeScale: qb.timeScale,
    });
    try {
      return await fn({ client: server.client, taskQueue, database }, worker);
    } finally {
      await worker.stop();
    }
  };
  const verify = async (qb: BenchQuickBooks, tenantId: string, realmId: string) => {
    const check = await countsAgree(database.db, qb, tenantId, realmId);
    if (!check.ok)
      log(`WARNING: counts differ after the run (app, QuickBooks, links): ${JSON.stringify(check.detail)}`);
    return check.ok;
  };

  const pullTenant = 'bench-pull';
  const { realmId: pullRealm } = await off.admin.createCompany({ name: 'Bench pull' });
  /** Three runs of the settled pull tenant, each timed from start to completion. */
  const noopRuns = async (ctx: RunContext, worker: WorkerChild, name: string, description: string) => {
    const { value: runs, pgMs } = await withPgTime(database, async () => {
      const out: MeasuredRun[] = [];
      for (let i = 0; i < 3; i++) out.push(await measuredRun(ctx, off, pullTenant, pullRealm));
      return out;
    });
    const walls = runs.map((r) => Math.round(r.wallMs)).sort((a, b) => a - b);
    const result = scenarioResult(name, description, runs, pgMs, worker, await verify(off, pullTenant, pullRealm), {
      medianRunMs: walls[1],
      maxRunMs: walls[2],
      minRunMs: walls[0],
    });
    scenarios.push(result);
    log(`${name}: ${JSON.stringify(result)}`);
  };

  try {
    // 1. QuickBooks → app: a seeded company into an empty app.
    const seeded = await off.admin.seed(pullRealm, {
      kind: 'bulk',
      customers: size.customers,
      items: size.items,
      invoices: size.invoices,
      payments: size.payments,
      maxLinesPerInvoice: size.maxLinesPerInvoice,
    });
    log(`seeded QuickBooks ${JSON.stringify(seeded.counts)}`);
    await connectTenant(database, off, key, { tenantId: pullTenant, realmId: pullRealm });
    if (wanted('pull') || wanted('incremental') || wanted('noop')) {
      await withWorker(off, async (ctx, worker) => {
        const { value: run, pgMs } = await withPgTime(database, () => measuredRun(ctx, off, pullTenant, pullRealm));
        scenarios.push(
          scenarioResult(
            'pull',
            'initial sync QuickBooks → app of the seeded company, limits off',
            [run],
            pgMs,
            worker,
            await verify(off, pullTenant, pullRealm),
          ),
        );
        log(`pull: ${JSON.stringify(scenarios.at(-1))}`);
      });
    }

    // 2. app → QuickBooks: the same size written into the app's tables, an empty company.
    if (wanted('push')) {
      const pushTenant = 'bench-push';
      const { realmId: pushRealm } = await off.admin.createCompany({ name: 'Bench push' });
      await connectTenant(database, off, key, { tenantId: pushTenant, realmId: pushRealm });
      log(`seeded the app ${JSON.stringify(await seedAppCompany(database.db, pushTenant, size))}`);
      await withWorker(off, async (ctx, worker) => {
        const { value: run, pgMs } = await withPgTime(database, () => measuredRun(ctx, off, pushTenant, pushRealm));
        scenarios.push(
          scenarioResult(
            'push',
            'initial sync app → QuickBooks into an empty company, limits off',
            [run],
            pgMs,
            worker,
            await verify(off, pushTenant, pushRealm),
          ),
        );
        log(`push: ${JSON.stringify(scenarios.at(-1))}`);
      });
    }

    // 3. Incremental: 1% of records changed on each side of the pulled tenant; 4. then runs with nothing changed.
    if (wanted('incremental') || wanted('noop')) {
      await withWorker(off, async (ctx, worker) => {
        if (wanted('incremental')) {
          const every = 100;
          const qboEdits = await editQuickBooks(off, pullRealm, every);
          const appEdits = await editApp(database.db, pullTenant, every);
          log(`edited ${qboEdits} QuickBooks records and ${appEdits} app rows`);
          const { value: run, pgMs } = await withPgTime(database, () => measuredRun(ctx, off, pullTenant, pullRealm));
          scenarios.push(
            scenarioResult(
              'incremental',
              `1% of records changed on each side (${qboEdits} in QuickBooks, ${appEdits} in the app)`,
              [run],
              pgMs,
              worker,
              await verify(off, pullTenant, pullRealm),
              { editedQuickBooks: qboEdits, editedApp: appEdits },
            ),
          );
          log(`incremental: ${JSON.stringify(scenarios.at(-1))}`);
        }
        if (wanted('noop')) {
          // A settled tenant on a warm worker, as the nightly schedule finds it.
          await noopRuns(
            ctx,
            worker,
            'noop',
            'a run with nothing changed (3 runs; figures are their sums, wall time per run in extra)',
          );
        }
      });
    }

    // 4b. The same no-op runs on a server with Temporal's defaults, where eager activity dispatch is off (as on many
    // clusters): most of a no-op run is then task-dispatch latency between its ~23 sequential activities.
    if (wanted('noop-no-eager') && !process.env.TEMPORAL_ADDRESS) {
      const eager = await startTemporal(log, { ownServer: true });
      try {
        await withWorker(
          off,
          async (ctx, worker) => {
            await measuredRun(ctx, off, pullTenant, pullRealm); // warms the new worker's workflow cache, as noop's incremental run does
            await noopRuns(
              ctx,
              worker,
              'noop-no-eager',
              "as noop, on a dev server with Temporal's defaults: no eager activity execution (3 runs)",
            );
          },
          eager,
        );
      } finally {
        await eager.close();
      }
    }

    // 5. app → QuickBooks against QuickBooks' production limits, time-scaled.
    if (wanted('limited')) {
      const tenantId = 'bench-limited';
      const { realmId } = await limited.admin.createCompany({ name: 'Bench limited' });
      await connectTenant(database, limited, key, { tenantId, realmId });
      log(`seeded the app ${JSON.stringify(await seedAppCompany(database.db, tenantId, size))}`);
      await withWorker(limited, async (ctx, worker) => {
        const { value: run, pgMs } = await withPgTime(database, () => measuredRun(ctx, limited, tenantId, realmId));
        const boundPerMinute = 1200 * args.timeScale;
        const achievedPerMinute = run.pushed / (run.wallMs / 60_000);
        const batches = run.log.filter((e) => e.operation === 'batch' && e.status === 200);
        const spanMs = batches.length > 1 ? Date.parse(batches.at(-1)!.time) - Date.parse(batches[0].time) : run.wallMs;
        const batchItems = run.pushed;
        const result = scenarioResult(
          'limited',
          `initial sync app → QuickBooks with production limits, one limit minute = ${(60 / args.timeScale).toFixed(1)} s`,
          [run],
          pgMs,
          worker,
          await verify(limited, tenantId, realmId),
          {
            timeScale: args.timeScale,
            boundRecordsPerMinute: boundPerMinute,
            achievedRecordsPerMinute: Math.round(achievedPerMinute),
            ratioToBound: Math.round((achievedPerMinute / boundPerMinute) * 1000) / 1000,
            batchSpanRecordsPerMinute: Math.round(batchItems / (spanMs / 60_000)),
            batchSpanRatio: Math.round((batchItems / (spanMs / 60_000) / boundPerMinute) * 1000) / 1000,
          },
        );
        scenarios.push(result);
        log(`limited: ${JSON.stringify(result)}`);
      });
    }
  } finally {
    await off.running.close();
    await limited.running.close();
    await database.close();
    await temporal.close();
    fs.rmSync(bundlePath, { force: true });
  }

  const pgVersion = await pgServerVersion();
  const results: BenchResults = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    scale: args.scale,
    size,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      postgres: pgVersion,
      temporal: process.env.TEMPORAL_ADDRESS
        ? `server at TEMPORAL_ADDRESS`
        : 'Temporal CLI 1.5.1 dev server (in memory; eager activity execution on, as npm start runs it)',
      loadAverage: `${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end (1-minute)`,
    },
    method: {
      worker:
        'bench/worker.ts in its own process (production activities, prebuilt workflow bundle); RSS = its VmHWM from /proc',
      postgresTime:
        'pg_stat_database.active_time of the dedicated bench database (pg_stat_statements is not preloaded on this server)',
      history: 'events fetched from the server for every execution of the run, following continue-as-new',
      requests: "the emulator's request log for the tenant's realm (single = reads and single-record writes)",
    },
    scenarios,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const jsonPath = path.join(dir, `${results.date}.json`);
  fs.writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  const written = renderReports(jsonPath);
  log(`wrote ${[jsonPath, ...written].map((p) => path.relative(process.cwd(), p)).join(', ')}`);
}

async function pgServerVersion(): Promise<string> {
  const db = createDb(databaseUrl('postgres'), { max: 1 });
  try {
    const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
    return `PostgreSQL ${rows[0].v}`;
  } finally {
    await db.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
