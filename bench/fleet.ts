/**
 * The fleet scenario of `npm run bench -- --fleet N` (bench/scale.ts part 4): N small companies, each run started as
 * the nightly schedule starts it — a `scheduledSync` workflow (what a tenant's Temporal Schedule starts) at a random
 * moment within the jitter, which asks the tenant's long-lived coordinator for a sync, which runs `syncTenant` as its
 * child — so the workers carry the coordinators (one per company, forever) as production workers do.
 * With `--rss-runs M`, one warm worker runs the fleet again and again until M runs, its memory sampled after each round.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { coordinatorId, scheduledSyncId, WORKFLOW_TYPES } from '../common/ids';
import { OUTCOME, TENANT } from '../workers/searchAttributes';
import { editApp, editQuickBooks } from './edits';
import { databaseUrl, procCpuSeconds, type BenchDatabase, type BenchQuickBooks, type WorkerChild } from './harness';

export interface FleetRow {
  code: string;
  /** 'first imports' or 'nightly' (a few changes on each side). */
  kind?: string;
  workers: number;
  runs: number;
  failures: number;
  jitterMs: number;
  /** From the first start request to the last run's completion. */
  totalMs: number;
  runsPerMinutePerWorker: number;
  /** Each run from its scheduled moment (round start + its jitter delay) to its syncTenant's close. */
  medianRunMs: number;
  p95RunMs: number;
  cpuSecondsPerRun: number;
  rssStartMb: number[];
  rssEndMb: number[];
  peakRssMb: number[];
  /** PostgreSQL, per database (qbsync's and, on the cluster, Temporal's): statistics deltas over the round. */
  postgres?: PostgresLoad[];
  /** The highest number of PostgreSQL backends seen on those databases during the round. */
  pgBackendsMax?: number;
  /** CPU seconds of each Temporal cluster service process over the round (scripts/cluster.sh's pid files). */
  temporalCpuSeconds?: Record<string, number>;
  loadAverage?: number[];
}

export interface PostgresLoad {
  database: string;
  transactions: number;
  tuplesReturned: number;
  tuplesFetched: number;
  tuplesWritten: number;
  activeSeconds: number;
}

export interface MemorySample {
  runs: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface FleetDeps {
  client: Client;
  database: BenchDatabase;
  qb: BenchQuickBooks;
  taskQueue: string;
  /** A tenant connected to a new company of `qb`. */
  newTenant(): Promise<{ tenantId: string; realmId: string }>;
  log(line: string): void;
}

type Tenant = { tenantId: string; realmId: string };

const round1 = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs `fn` over `items`, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const lane = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** The fleet's companies: created, seeded (the emulator's bulk seed) and connected several at a time. */
export async function createFleet(deps: FleetDeps, n: number): Promise<Tenant[]> {
  const started = performance.now();
  const fleet: Tenant[] = [];
  await inParallel(
    Array.from({ length: n }, (_, i) => i),
    8,
    async () => {
      const t = await deps.newTenant();
      await deps.qb.admin.seed(t.realmId, {
        kind: 'bulk',
        customers: 20,
        items: 10,
        invoices: 30,
        payments: 10,
        maxLinesPerInvoice: 3,
      });
      fleet.push(t);
    },
  );
  deps.log(
    `fleet: ${n} companies created, seeded and connected in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return fleet;
}

/** A few changes on each side before a nightly round: 1 in 10 app rows; 1 in 10 QuickBooks records of half the companies. */
export async function editFleet(deps: FleetDeps, fleet: Tenant[]): Promise<void> {
  await inParallel(fleet.slice(0, Math.ceil(fleet.length / 2)), 8, async (t) => {
    await editQuickBooks(deps.qb, t.realmId, 10);
  });
  await inParallel(fleet, 4, async (t) => {
    await editApp(deps.database.db, t.tenantId, 10);
  });
}

/** The Temporal cluster's service processes (scripts/cluster.sh's pid files), when the benchmark runs against it. */
function clusterPids(): Record<string, number> {
  if (!process.env.TEMPORAL_ADDRESS) return {};
  const dir = path.resolve(process.env.QBSYNC_CLUSTER_DIR ?? '.data/cluster');
  const pids: Record<string, number> = {};
  for (const service of ['frontend', 'history', 'matching', 'worker']) {
    const file = path.join(dir, `${service}.pid`);
    if (fs.existsSync(file)) pids[service] = Number(fs.readFileSync(file, 'utf8').trim());
  }
  return pids;
}

/** qbsync's database and, on the cluster, Temporal's two (QBSYNC_CLUSTER_DB, as scripts/cluster.sh names them). */
function watchedDatabases(database: BenchDatabase): string[] {
  if (!process.env.TEMPORAL_ADDRESS) return [database.name];
  const temporal = process.env.QBSYNC_CLUSTER_DB ?? 'qbsync_temporal';
  return [database.name, temporal, `${temporal}_visibility`];
}

interface PgSnapshot {
  stats: Map<string, Omit<PostgresLoad, 'database'>>;
  backends: number;
}

async function pgSnapshot(monitor: pg.Client, names: string[]): Promise<PgSnapshot> {
  const { rows } = await monitor.query<Record<string, string>>(
    `select datname, numbackends, xact_commit + xact_rollback as transactions, tup_returned, tup_fetched,
            tup_inserted + tup_updated + tup_deleted as tuples_written, active_time
       from pg_stat_database where datname = any($1)`,
    [names],
  );
  return {
    backends: rows.reduce((s, r) => s + Number(r.numbackends), 0),
    stats: new Map(
      rows.map((r) => [
        r.datname,
        {
          transactions: Number(r.transactions),
          tuplesReturned: Number(r.tup_returned),
          tuplesFetched: Number(r.tup_fetched),
          tuplesWritten: Number(r.tuples_written),
          activeSeconds: Number(r.active_time) / 1000,
        },
      ]),
    ),
  };
}

function pgDelta(before: PgSnapshot, after: PgSnapshot): PostgresLoad[] {
  return [...after.stats].map(([database, a]) => {
    const b = before.stats.get(database);
    return {
      database,
      transactions: a.transactions - (b?.transactions ?? 0),
      tuplesReturned: a.tuplesReturned - (b?.tuplesReturned ?? 0),
      tuplesFetched: a.tuplesFetched - (b?.tuplesFetched ?? 0),
      tuplesWritten: a.tuplesWritten - (b?.tuplesWritten ?? 0),
      activeSeconds: round1(a.activeSeconds - (b?.activeSeconds ?? 0), 1),
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * One round: every company's run started as its schedule would (scheduledSync, delayed by a random moment within the
 * jitter), then waited for through the visibility store (one count a second, not one poll per run, so that waiting
 * does not load the server being measured); durations and outcomes come from the closed runs' visibility records.
 */
export async function fleetRound(
  deps: FleetDeps,
  fleet: Tenant[],
  workers: WorkerChild[],
  options: { code: string; kind: string; jitterMs: number; round: number; onProgress?: (closed: number) => void },
): Promise<FleetRow> {
  const { client, taskQueue } = deps;
  const monitor = new pg.Client({ connectionString: databaseUrl('postgres') });
  await monitor.connect();
  try {
    const names = watchedDatabases(deps.database);
    const pgStart = await pgSnapshot(monitor, names);
    const pids = clusterPids();
    const temporalCpuStart = Object.fromEntries(Object.entries(pids).map(([s, pid]) => [s, procCpuSeconds(pid) ?? 0]));
    const rssStartMb = workers.map((c) => c.rssMb() ?? 0);
    const cpuStart = workers.map((c) => c.cpuSeconds() ?? 0);
    // Visibility's start times have the server's clock; a second of margin covers a clock read a little ahead here.
    const since = new Date(Date.now() - 1000).toISOString();
    const started = performance.now();
    const startedAt = Date.now();
    const delays = new Map<string, number>();
    await inParallel(fleet, 16, async (t) => {
      const delay = Math.floor(Math.random() * options.jitterMs);
      delays.set(t.tenantId, delay);
      await client.workflow.start(WORKFLOW_TYPES.scheduledSync, {
        taskQueue,
        workflowId: `${scheduledSyncId(t.tenantId)}-${options.round}`,
        args: [{ tenantId: t.tenantId }],
        startDelay: delay,
      });
    });
    const query = `TaskQueue = '${taskQueue}' AND WorkflowType = '${WORKFLOW_TYPES.syncTenant}' AND ExecutionStatus != 'Running' AND StartTime >= '${since}'`;
    let backendsMax = pgStart.backends;
    let closed = 0;
    let lastProgress = Date.now();
    while (closed < fleet.length) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = Number((await client.workflow.count(query)).count);
      if (now > closed) lastProgress = Date.now();
      closed = now;
      options.onProgress?.(closed);
      backendsMax = Math.max(backendsMax, (await pgSnapshot(monitor, names)).backends);
      if (Date.now() - lastProgress > 600_000)
        throw new Error(`fleet round: no run finished for 10 minutes (${closed} of ${fleet.length} finished)`);
    }
    const durations: number[] = [];
    let failures = 0;
    let lastClose = 0;
    for await (const execution of client.workflow.list({ query })) {
      const tenant = execution.typedSearchAttributes.get(TENANT);
      const outcome = execution.typedSearchAttributes.get(OUTCOME);
      if (execution.status.name !== 'COMPLETED' || outcome !== 'succeeded') failures++;
      const close = execution.closeTime?.getTime() ?? Date.now();
      lastClose = Math.max(lastClose, close);
      durations.push(close - (startedAt + (delays.get(tenant ?? '') ?? 0)));
    }
    const totalMs = Math.max(lastClose - startedAt, performance.now() - started - 1000);
    const cpu = workers.reduce((s, c, i) => s + ((c.cpuSeconds() ?? 0) - cpuStart[i]), 0);
    const pgEnd = await pgSnapshot(monitor, names);
    const n = fleet.length;
    return {
      code: options.code,
      kind: options.kind,
      workers: workers.length,
      runs: n,
      failures,
      jitterMs: options.jitterMs,
      totalMs: Math.round(totalMs),
      runsPerMinutePerWorker: round1(n / (totalMs / 60_000) / workers.length, 1),
      medianRunMs: Math.round(median(durations)),
      p95RunMs: Math.round([...durations].sort((a, b) => a - b)[Math.floor(durations.length * 0.95)] ?? 0),
      cpuSecondsPerRun: round1(cpu / n, 3),
      rssStartMb,
      rssEndMb: workers.map((c) => c.rssMb() ?? 0),
      peakRssMb: workers.map((c) => c.peakRssMb() ?? 0),
      postgres: pgDelta(pgStart, pgEnd),
      pgBackendsMax: backendsMax,
      temporalCpuSeconds: Object.fromEntries(
        Object.entries(pids).map(([s, pid]) => [s, round1((procCpuSeconds(pid) ?? 0) - temporalCpuStart[s], 1)]),
      ),
    };
  } finally {
    await monitor.end();
  }
}

/** The fleet's coordinators run forever: ended when the benchmark is done, so none is left waiting on a dead queue. */
export async function endCoordinators(client: Client, fleet: Tenant[]): Promise<void> {
  await inParallel(fleet, 16, async (t) => {
    await client.workflow
      .getHandle(coordinatorId(t.tenantId))
      .terminate('the fleet benchmark is over')
      .catch(() => undefined); // already closed
  });
}
