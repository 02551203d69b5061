/**
 * The benchmark's wiring, kept out of test/: a dedicated PostgreSQL database, a Temporal dev server (or the one at
 * TEMPORAL_ADDRESS), in-process QuickBooks emulators, a worker in its own OS process (so its memory is its own) and
 * tenants connected through the real OAuth flow.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { connectNonInteractive } from '../activities/connection/connect';
import { TokenCipher } from '../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../activities/connection/oauth';
import { addTenant } from '../activities/connection/tenants';
import { EmulatorAdmin, startEmulator, type RunningEmulator } from '../emulator';
import { createDb, dropDatabase, ensureDatabase, type Db } from '../schema/db';
import { migrateToLatest } from '../schema/migrate';
import { systemClock } from '../workers/clock';
import { loadConfig } from '../workers/config';
import { startDevServer, type DevServer } from '../workers/devServer';
import { ensureTemporalCli } from '../workers/temporalCli';
import { WORKFLOWS_PATH } from '../workers/worker';

const REDIRECT_URI = 'http://127.0.0.1:1/callback';

/** The PostgreSQL server of DATABASE_URL (or the documented default), with its database name replaced. */
export function databaseUrl(name: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/qbsync');
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabase {
  url: string;
  name: string;
  db: Db;
  close(): Promise<void>;
}

/** A fresh, migrated database for this benchmark (dropped first if a previous run left it). */
export async function freshDatabase(name: string): Promise<BenchDatabase> {
  const url = databaseUrl(name);
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 4 });
  await migrateToLatest(db);
  return { url, name, db, close: () => db.destroy() };
}

export interface BenchTemporal {
  address: string;
  client: Client;
  cliPath?: string;
  close(): Promise<void>;
}

/** TEMPORAL_ADDRESS when set (unless `ownServer`); otherwise a dev server of our own, in memory, with the server's defaults unless told. */
export async function startTemporal(
  log: (line: string) => void,
  options: { dynamicConfig?: Record<string, unknown>; ownServer?: boolean } = {},
): Promise<BenchTemporal> {
  let server: DevServer | undefined;
  let cliPath: string | undefined;
  let address = options.ownServer ? undefined : process.env.TEMPORAL_ADDRESS;
  if (!address) {
    cliPath = await ensureTemporalCli(log);
    server = await startDevServer({
      cliPath,
      dynamicConfig: options.dynamicConfig,
      logFile: path.join(os.tmpdir(), `qbsync-bench-temporal-${process.pid}.log`),
    });
    address = server.address;
  }
  const connection = await Connection.connect({ address });
  return {
    address,
    cliPath,
    client: new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }),
    async close() {
      await connection.close();
      await server?.stop();
    },
  };
}

export interface BenchQuickBooks {
  running: RunningEmulator;
  admin: EmulatorAdmin;
  url: string;
  clientId: string;
  clientSecret: string;
  limits: 'production' | 'off';
  timeScale: number;
}

export async function startQuickBooks(limits: 'production' | 'off', timeScale = 1): Promise<BenchQuickBooks> {
  const running = await startEmulator({ port: 0, limits, timeScale, quiet: true });
  const admin = new EmulatorAdmin(running.url);
  const app = await admin.registerApp({ redirectUris: [REDIRECT_URI] });
  return {
    running,
    admin,
    url: running.url,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    limits,
    timeScale,
  };
}

/** The environment a worker process needs for one emulator. */
export function workerEnv(
  database: BenchDatabase,
  temporal: BenchTemporal,
  qb: BenchQuickBooks,
  taskQueue: string,
  key: string,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE ?? 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    QBO_ENV: 'emulator',
    QBO_API_BASE_URL: qb.url,
    QBO_OAUTH_BASE_URL: qb.url,
    QBO_CLIENT_ID: qb.clientId,
    QBO_CLIENT_SECRET: qb.clientSecret,
    QBO_REDIRECT_URI: REDIRECT_URI,
    QBSYNC_ENCRYPTION_KEY: key,
  };
}

/** A tenant connected, through the emulator's OAuth consent, to a company of that emulator. */
export async function connectTenant(
  database: BenchDatabase,
  qb: BenchQuickBooks,
  key: string,
  input: { tenantId: string; realmId: string; settings?: Record<string, unknown> },
): Promise<void> {
  const config = loadConfig(
    {
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: qb.url,
      QBO_API_BASE_URL: qb.url,
      QBO_CLIENT_ID: qb.clientId,
      QBO_CLIENT_SECRET: qb.clientSecret,
      QBO_REDIRECT_URI: REDIRECT_URI,
    },
    '/nonexistent',
  );
  await addTenant(database.db, { id: input.tenantId, settings: input.settings });
  await connectNonInteractive(
    {
      db: database.db,
      oauth: new IntuitOAuth(oauthSettings(config)),
      cipher: new TokenCipher(key),
      clock: systemClock,
    },
    input.tenantId,
    { realmId: input.realmId },
  );
}

export function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** Bundles the workflows once, as `npm run build` does for production workers. */
export async function bundleWorkflows(root?: string): Promise<string> {
  const workflowsPath = root ? path.join(root, 'workflows') : WORKFLOWS_PATH;
  const { code } = await bundleWorkflowCode({ workflowsPath });
  const file = path.join(os.tmpdir(), `qbsync-bench-workflows-${process.pid}-${randomBytes(3).toString('hex')}.js`);
  fs.writeFileSync(file, code);
  return file;
}

export interface WorkerChild {
  pid: number;
  /** The process's peak resident set (VmHWM) so far, in MB; undefined where /proc is not available. */
  peakRssMb(): number | undefined;
  /** Its resident set now, in MB. */
  rssMb(): number | undefined;
  /** CPU time (user + system) it used so far, in seconds. */
  cpuSeconds(): number | undefined;
  /** Its main V8 heap (used, total) and RSS as the process itself reports them, in MB. */
  memory(): Promise<{ rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number }>;
  stop(): Promise<void>;
}

function procStatusMb(pid: number, field: string): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

export function procCpuSeconds(pid: number): number | undefined {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime and stime, in clock ticks (100 a second).
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * bench/worker.ts in its own process: production activities and a prebuilt workflow bundle, with the QuickBooks
 * client's own rate limiter set by `clientLimits` ('production' at `timeScale`, or 'off' when the emulator has none).
 */
export async function startWorkerChild(
  env: Record<string, string>,
  options: {
    bundlePath: string;
    clientLimits: 'production' | 'off';
    timeScale: number;
    /** Another checkout's bench/worker.ts (the commit compared against), with its own node_modules. */
    root?: string;
  },
): Promise<WorkerChild> {
  const root = options.root ?? path.join(__dirname, '..');
  const child: ChildProcess = fork(path.join(root, 'bench', 'worker.ts'), [], {
    cwd: root,
    // BENCH_WORKER_CPU_PROF=<dir>: each worker writes a V8 CPU profile there when it stops (where its time goes).
    execArgv: [
      '--require',
      'tsx/cjs',
      ...(process.env.BENCH_WORKER_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_WORKER_CPU_PROF] : []),
    ],
    env: {
      ...process.env,
      ...env,
      BENCH_WORKFLOW_BUNDLE: options.bundlePath,
      BENCH_CLIENT_LIMITS: options.clientLimits,
      BENCH_TIME_SCALE: String(options.timeScale),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then(() => reject(new Error(`the bench worker exited before it started (code ${child.exitCode})`)));
  });
  return {
    pid: child.pid!,
    peakRssMb: () => procStatusMb(child.pid!, 'VmHWM'),
    rssMb: () => procStatusMb(child.pid!, 'VmRSS'),
    cpuSeconds: () => procCpuSeconds(child.pid!),
    memory: () =>
      new Promise((resolve) => {
        const mb = (n: number) => Math.round(n / 2 ** 20);
        const onMessage = (message: { memory?: Record<'rss' | 'heapUsed' | 'heapTotal' | 'external', number> }) => {
          if (!message.memory) return;
          child.off('message', onMessage);
          const m = message.memory;
          resolve({
            rssMb: mb(m.rss),
            heapUsedMb: mb(m.heapUsed),
            heapTotalMb: mb(m.heapTotal),
            externalMb: mb(m.external),
          });
        };
        child.on('message', onMessage);
        child.send('memory');
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Time PostgreSQL spent executing statements in one database (pg_stat_database.active_time, PostgreSQL 14+), read
 * from the server's own statistics so the worker process's queries count without instrumenting it.
 */
export async function pgActiveMs(database: BenchDatabase): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ active_time: number }>(
      'select active_time from pg_stat_database where datname = $1',
      [database.name],
    );
    return Number(rows[0]?.active_time ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Waits until every backend on the database has been idle for longer than PostgreSQL's idle statistics interval (10 s),
 * so that what they did has been flushed into pg_stat_database.
 */
export async function quiesce(database: BenchDatabase, timeoutMs = 120_000): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ busy: number }>(
        `select count(*)::int as busy from pg_stat_activity where datname = $1 and (state is distinct from 'idle' or state_change > now() - interval '11 seconds')`,
        [database.name],
      );
      if (rows[0].busy === 0) return;
      if (Date.now() > deadline) throw new Error(`database ${database.name} did not go quiet within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.end();
  }
}
