import { randomBytes } from 'node:crypto';
import { createActivities } from '../../activities/activities';
import { backendFactory } from '../../activities/backends';
import { addDesktopConnection, setDesktopPassword } from '../../activities/backends/quickbooks-desktop/connection';
import { startEndpoint, type RunningEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { Exchanges, ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { addTenant } from '../../activities/connection/tenants';
import {
  createDesktopCompany,
  NO_LATENCY,
  WebConnector,
  type DesktopCompany,
  type LatencyModel,
} from '../../emulator/desktop';
import { signalArrival } from '../../client/commands/webconnector';
import { systemClock } from '../../workers/clock';
import { createLogger } from '../../workers/logger';
import { syncTenant, type SyncTenantInput } from '../../workflows/syncTenant';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

export const PASSWORD = 'desktop test password';

export interface DesktopTenant {
  tenantId: string;
  company: DesktopCompany;
  connector: WebConnector;
}

/**
 * Real PostgreSQL, the real Temporal dev server, the Web Connector endpoint over HTTP, and per tenant a Desktop
 * emulator company whose Web Connector simulator calls the endpoint on a (time-scaled) schedule.
 */
export interface DesktopStack {
  database: TestDatabase;
  temporal: TestTemporal;
  endpoint: RunningEndpoint;
  exchanges: Exchanges;
  env: Record<string, string>;
  addTenant(options?: {
    seed?: 'salesin' | 'reckon' | 'empty';
    settings?: Record<string, unknown>;
    latency?: LatencyModel;
    /** Leave the Web Connector stopped (tests of its absence). */
    connect?: boolean;
  }): Promise<DesktopTenant>;
  sync(tenantId: string): Promise<Awaited<ReturnType<typeof syncTenant>>>;
  close(): Promise<void>;
}

export async function createDesktopStack(
  area: string,
  options: {
    inProcessWorker?: boolean;
    /** Records per iterator page (MaxReturned). */
    pageSize?: number;
    /** How long one page attempt waits for the Web Connector (default one minute). */
    attemptMs?: number;
  } = {},
): Promise<DesktopStack> {
  const database = await createTestDatabase(area);
  // One key for the test's client, its in-process worker and worker processes: payloads are encrypted with it.
  const encryptionKey = randomBytes(32).toString('base64');
  const temporal = await connectTestTemporal(area, { encryptionKey });
  const waker = new ExchangeWaker(database.url);
  const exchanges = new Exchanges(database.db, waker);
  const logger = createLogger('silent');
  // The endpoint signals each tenant's coordinator when its Web Connector logs in, as `qbsync webconnector` does.
  const endpoint = await startEndpoint({
    db: database.db,
    logger,
    waker,
    longPollMs: 2_000,
    watchdogMs: 1_000,
    onArrival: signalArrival(temporal.client),
  });
  const activities = createActivities({
    db: database.db,
    logger,
    clock: systemClock,
    backendFor: backendFactory({
      db: database.db,
      clock: systemClock,
      desktop: { exchanges, attemptMs: options.attemptMs ?? 60_000, pageSize: options.pageSize },
    }),
    temporal: { client: temporal.client, taskQueue: temporal.taskQueue },
  });
  const worker =
    options.inProcessWorker === false
      ? undefined
      : await (
          await import('../../workers/worker')
        ).createWorker({
          connection: temporal.nativeConnection,
          namespace: 'default',
          taskQueue: temporal.taskQueue,
          activities,
          dataConverter: temporal.dataConverter,
          shutdownGraceTime: '1 second',
        });
  const running = worker?.run();
  const connectors: WebConnector[] = [];
  let n = 0;
  return {
    database,
    temporal,
    endpoint,
    exchanges,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS!,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      QBSYNC_MANAGE_SCHEDULES: 'false',
      QBSYNC_ENCRYPTION_KEY: encryptionKey,
    },
    async addTenant(o = {}) {
      const seed = o.seed ?? 'salesin';
      const tenantId = `d${++n}-${randomBytes(2).toString('hex')}`;
      const flavour = seed === 'reckon' ? 'reckon' : 'quickbooks';
      await addTenant(database.db, {
        id: tenantId,
        mode: 'order-taking',
        backend: 'quickbooks-desktop',
        settings: o.settings,
      });
      await addDesktopConnection(database.db, tenantId, flavour);
      await setDesktopPassword(database.db, tenantId, PASSWORD);
      const company = createDesktopCompany({ seed });
      const connector = new WebConnector({
        url: endpoint.url,
        user: tenantId,
        password: PASSWORD,
        company,
        latency: o.latency ?? NO_LATENCY,
        timeScale: 200,
        everyMinutes: 1,
        maxNoOps: 1_000_000,
      });
      connectors.push(connector);
      if (o.connect !== false) connector.start();
      return { tenantId, company, connector };
    },
    async sync(tenantId) {
      const input: SyncTenantInput = { tenantId, trigger: 'test' };
      return temporal.client.workflow.execute(syncTenant, {
        taskQueue: temporal.taskQueue,
        workflowId: `sync-${tenantId}-${randomBytes(4).toString('hex')}`,
        args: [input],
      });
    },
    async close() {
      for (const c of connectors) await c.stop();
      worker?.shutdown();
      await running;
      await endpoint.close();
      await temporal.close();
      await database.drop();
    },
  };
}
