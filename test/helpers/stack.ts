import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createActivities } from '../../activities/activities';
import { connectNonInteractive } from '../../activities/connection/connect';
import { TokenCipher } from '../../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../../activities/connection/oauth';
import { addTenant } from '../../activities/connection/tenants';
import type { NotificationConfig } from '../../activities/notifications/config';
import { TokenStore } from '../../activities/connection/tokenStore';
import { RateLimiterRegistry } from '../../activities/quickbooks';
import { backendFactory } from '../../activities/backends';
import { quickbooksFactory } from '../../activities/quickbooksFor';
import { EmulatorAdmin, startEmulator, type Emulator, type RunningEmulator } from '../../emulator';
import { systemClock } from '../../workers/clock';
import { loadConfig } from '../../workers/config';
import { createLogger } from '../../workers/logger';
import { syncTenant, type SyncTenantInput } from '../../workflows/syncTenant';
import { createTestDatabase, type TestDatabase } from './database';
import { connectTestTemporal, type TestTemporal } from './temporal';

export interface Stack {
  database: TestDatabase;
  emulator: RunningEmulator & { emulator: Emulator };
  admin: EmulatorAdmin;
  temporal: TestTemporal;
  tokens: TokenStore;
  quickbooks: ReturnType<typeof quickbooksFactory>;
  activities: ReturnType<typeof createActivities>;
  /** The environment a separate `qbsync` process (CLI or worker) needs to act on this stack. */
  env: Record<string, string>;
  /** Adds a tenant connected (through the OAuth flow) to a new emulator company. */
  addTenant(options?: {
    settings?: Record<string, unknown>;
    customTxnNumbers?: boolean;
    seed?: 'demo' | 'empty';
    mode?: 'billing' | 'order-taking';
  }): Promise<{ tenantId: string; realmId: string }>;
  /** Runs one sync to its end on a worker of this stack; resolves with the workflow's result or rejects with its failure. */
  sync(tenantId: string, trigger?: string): Promise<Awaited<ReturnType<typeof syncTenant>>>;
  /** A token to call the emulator as the tenant would (for QuickBooks-side edits in tests). */
  qboFetch(realmId: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const KEY = randomBytes(32).toString('base64');

export interface StackOptions {
  /** false: no worker in this process — start one with test/helpers/workerProcess.ts (to kill it). */
  inProcessWorker?: boolean;
  /** Per-request QuickBooks timeout of the in-process worker (default 60 s): short, to test timeouts without waiting. */
  qboTimeoutMs?: number;
  /** SMTP (e.g. an in-process smtp-server) and named secrets for the in-process worker's notices and invoice emails. */
  notifications?: NotificationConfig;
  /** The emulator's limits (default off): QuickBooks' production limits with the limit "minute" time-scaled. */
  emulatorLimits?: { limits: 'production'; timeScale: number };
  /** The stack's QBSYNC_ENCRYPTION_KEY (default: a random one per test process); recorded histories use a known one. */
  encryptionKey?: string;
  /** The in-process worker's step slice (activities/sync/activities.ts); 0 hands back after every page. */
  stepSliceMs?: number;
  /** What the in-process worker runs instead of the stack's activities (e.g. one that fails on purpose around them). */
  wrapActivities?: (activities: ReturnType<typeof createActivities>) => ReturnType<typeof createActivities>;
}

export async function createStack(area: string, options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase(area);
  const emulator = await startEmulator({ port: 0, limits: 'off', ...options.emulatorLimits });
  const admin = new EmulatorAdmin(emulator.url);
  const app = await admin.registerApp({ redirectUris: ['http://127.0.0.1:1/callback'] });
  const config = loadConfig(
    {
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: emulator.url,
      QBO_CLIENT_ID: app.clientId,
      QBO_CLIENT_SECRET: app.clientSecret,
      QBO_REDIRECT_URI: 'http://127.0.0.1:1/callback',
    },
    '/nonexistent',
  );
  const oauth = new IntuitOAuth(oauthSettings(config));
  const key = options.encryptionKey ?? KEY;
  const cipher = new TokenCipher(key);
  const tokens = new TokenStore(database.db, cipher, oauth, systemClock);
  const quickbooks = quickbooksFactory(database.db, tokens, new RateLimiterRegistry(), options.qboTimeoutMs);
  const temporal = await connectTestTemporal(area, { encryptionKey: key });
  const activities = createActivities({
    db: database.db,
    logger: createLogger('silent'),
    clock: systemClock,
    backendFor: backendFactory({ db: database.db, clock: systemClock, quickbooksOnline: (t) => quickbooks.api(t) }),
    temporal: { client: temporal.client, taskQueue: temporal.taskQueue },
    notifications: options.notifications,
    stepSliceMs: options.stepSliceMs,
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
          activities: options.wrapActivities ? options.wrapActivities(activities) : activities,
          dataConverter: temporal.dataConverter,
          shutdownGraceTime: '1 second',
        });
  const running = worker?.run();
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS!,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: temporal.taskQueue,
    QBO_ENV: 'emulator',
    QBO_API_BASE_URL: emulator.url,
    QBO_OAUTH_BASE_URL: emulator.url,
    QBO_CLIENT_ID: app.clientId,
    QBO_CLIENT_SECRET: app.clientSecret,
    QBO_REDIRECT_URI: 'http://127.0.0.1:1/callback',
    QBSYNC_ENCRYPTION_KEY: key,
    // A worker process leaves schedules alone: a test's tenants must not fire at 22:30 Chicago time mid-test.
    QBSYNC_MANAGE_SCHEDULES: 'false',
  };
  const accessTokens = new Map<string, string>();
  let n = 0;

  return {
    database,
    emulator,
    admin,
    temporal,
    tokens,
    quickbooks,
    activities,
    env,
    async addTenant(options = {}) {
      const { realmId } = await admin.createCompany({
        customTxnNumbers: options.customTxnNumbers ?? false,
        seed: options.seed ?? 'empty',
      });
      const tenantId = `t${++n}-${randomBytes(2).toString('hex')}`;
      await addTenant(database.db, { id: tenantId, mode: options.mode, settings: options.settings });
      await connectNonInteractive({ db: database.db, oauth, cipher, clock: systemClock }, tenantId, { realmId });
      return { tenantId, realmId };
    },
    async sync(tenantId, trigger = 'test') {
      const input: SyncTenantInput = { tenantId, trigger };
      return temporal.client.workflow.execute(syncTenant, {
        taskQueue: temporal.taskQueue,
        workflowId: `sync-${tenantId}-${randomBytes(4).toString('hex')}`,
        args: [input],
      });
    },
    async qboFetch(realmId, method, path, body) {
      let token = accessTokens.get(realmId);
      if (!token) {
        token = (await admin.issueTokens({ realmId, clientId: app.clientId })).access_token;
        accessTokens.set(realmId, token);
      }
      const response = await fetch(`${emulator.url}/v3/company/${realmId}/${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    },
    async close() {
      worker?.shutdown();
      await running;
      await temporal.close();
      await emulator.close();
      await database.drop();
    },
  };
}

/** QuickBooks writes (not reads) a realm received since a point in the request log. */
export async function qboWrites(admin: EmulatorAdmin, realmId: string, sinceSeq = 0) {
  const log = await admin.requests({ realmId, sinceSeq });
  return log.filter((e) => e.method === 'POST' && e.operation !== 'query');
}

export async function lastSeq(admin: EmulatorAdmin): Promise<number> {
  const log = await admin.requests();
  return log.at(-1)?.seq ?? 0;
}

/** App writes since a point: the app_changes log only holds app-originated writes, so compare updated_at instead. */
export async function appRowsTouchedSince(db: TestDatabase['db'], tenantId: string, since: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select (select count(*) from customers where tenant_id = ${tenantId} and updated_at > ${since})
         + (select count(*) from items where tenant_id = ${tenantId} and updated_at > ${since})
         + (select count(*) from invoices where tenant_id = ${tenantId} and updated_at > ${since})
         + (select count(*) from payments where tenant_id = ${tenantId} and updated_at > ${since}) as n`.execute(db);
  return Number(rows[0].n);
}
