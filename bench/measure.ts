import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RequestLogEntry } from '../emulator';
import { syncTenant, type SyncProgress } from '../workflows/syncTenant';
import { pgActiveMs, quiesce, type BenchDatabase, type BenchQuickBooks, type WorkerChild } from './harness';

export interface RequestsByKind {
  single: number;
  batch: number;
  query: number;
  cdc: number;
  /** Answered 429 (throttled) by the emulator's limits. */
  throttled: number;
  /** Time the emulator spent answering them (it runs in the benchmark's process, not the worker's). */
  emulatorMs: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  wallMs: number;
  /** Records created, updated or deleted on either side. */
  records: number;
  recordsPerSecond: number;
  pulled: number;
  pushed: number;
  pages: number;
  /** Workflow executions of the run (1 + continue-as-new). */
  executions: number;
  historyEvents: number;
  eventsPerPage: number;
  requests: RequestsByKind;
  /** Peak resident set of the worker process (VmHWM) at the end of the scenario, since that worker started. */
  workerPeakRssMb?: number;
  /** pg_stat_database.active_time of the bench database over the scenario. */
  pgActiveMs: number;
  /** After the run: app rows = QuickBooks records = links, per entity. */
  verified: boolean;
  extra?: Record<string, number | string>;
}

export function classifyRequests(log: RequestLogEntry[]): RequestsByKind {
  const out: RequestsByKind = { single: 0, batch: 0, query: 0, cdc: 0, throttled: 0, emulatorMs: 0 };
  for (const e of log) {
    out.emulatorMs += e.ms;
    if (e.status === 429) out.throttled++;
    if (e.operation === 'batch') out.batch++;
    else if (e.operation === 'query') out.query++;
    else if (e.operation === 'cdc') out.cdc++;
    else if (['read', 'create', 'update', 'delete', 'void'].includes(e.operation)) out.single++;
  }
  return out;
}

/** Every event of a workflow id, following continue-as-new from the first run to the last, as the server holds them. */
export async function historyOf(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ executions: number; events: number }> {
  let runId: string | undefined = firstRunId;
  let executions = 0;
  let events = 0;
  while (runId) {
    const handle: WorkflowHandle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    const list = history.events ?? [];
    executions++;
    events += list.length;
    const next: string | null | undefined =
      list.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    runId = next ?? undefined;
  }
  return { executions, events };
}

async function lastSeq(qb: BenchQuickBooks): Promise<number> {
  return (await qb.admin.requests({ sinceSeq: 0 })).at(-1)?.seq ?? 0;
}

export interface RunContext {
  client: Client;
  taskQueue: string;
  database: BenchDatabase;
}

export interface MeasuredRun {
  result: SyncProgress;
  wallMs: number;
  records: number;
  pulled: number;
  pushed: number;
  pages: number;
  executions: number;
  events: number;
  log: RequestLogEntry[];
}

/** One sync run, from the start request to its result, with its history and QuickBooks traffic. */
export async function measuredRun(
  ctx: RunContext,
  qb: BenchQuickBooks,
  tenantId: string,
  realmId: string,
): Promise<MeasuredRun> {
  const since = await lastSeq(qb);
  const workflowId = `bench-${tenantId}-${randomBytes(4).toString('hex')}`;
  const started = performance.now();
  const handle = await ctx.client.workflow.start(syncTenant, {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ tenantId, trigger: 'bench' }],
  });
  const result = await handle.result();
  const wallMs = performance.now() - started;
  if (result.status !== 'succeeded')
    throw new Error(`bench run ${workflowId} ended ${result.status}: ${JSON.stringify(result.error)}`);
  const sum = (dir: 'pulled' | 'pushed') =>
    result.steps.reduce((n, s) => n + s[dir].created + s[dir].updated + s[dir].deleted, 0);
  const { executions, events } = await historyOf(ctx.client, workflowId, handle.firstExecutionRunId);
  const log = await qb.admin.requests({ realmId, sinceSeq: since });
  return {
    result,
    wallMs,
    records: sum('pulled') + sum('pushed'),
    pulled: sum('pulled'),
    pushed: sum('pushed'),
    pages: result.steps.reduce((n, s) => n + s.pages, 0),
    executions,
    events,
    log,
  };
}

/** PostgreSQL time around `fn`: the database is let go quiet before and after, so every backend's statistics are in. */
export async function withPgTime<T>(
  database: BenchDatabase,
  fn: () => Promise<T>,
): Promise<{ value: T; pgMs: number }> {
  await quiesce(database);
  const before = await pgActiveMs(database);
  const value = await fn();
  await quiesce(database);
  return { value, pgMs: Math.round((await pgActiveMs(database)) - before) };
}

export function scenarioResult(
  name: string,
  description: string,
  runs: MeasuredRun[],
  pgMs: number,
  worker: WorkerChild,
  verified: boolean,
  extra?: ScenarioResult['extra'],
): ScenarioResult {
  const total = <K extends 'wallMs' | 'records' | 'pulled' | 'pushed' | 'pages' | 'executions' | 'events'>(k: K) =>
    runs.reduce((n, r) => n + r[k], 0);
  const requests = classifyRequests(runs.flatMap((r) => r.log));
  const wallMs = total('wallMs');
  return {
    name,
    description,
    wallMs: Math.round(wallMs),
    records: total('records'),
    recordsPerSecond: Math.round((total('records') / wallMs) * 1000),
    pulled: total('pulled'),
    pushed: total('pushed'),
    pages: total('pages'),
    executions: total('executions'),
    historyEvents: total('events'),
    eventsPerPage: Math.round((total('events') / Math.max(1, total('pages'))) * 100) / 100,
    requests,
    workerPeakRssMb: worker.peakRssMb(),
    pgActiveMs: pgMs,
    verified,
    extra,
  };
}
