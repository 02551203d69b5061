import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import {
  completeConnect,
  runCallbackServer,
  startConnect,
  type ConnectDeps,
} from '../../activities/connection/connect';
import { cipherFromConfig } from '../../activities/connection/crypto';
import { oauthSettings } from '../../activities/connection/oauth';
import { checkWebhookSecret } from '../../activities/connection/tenantSecrets';
import { addTenant, setTenant } from '../../activities/connection/tenants';
import { applySettingPairs } from '../../activities/connection/tenantSettings';
import { QboTransientError } from '../../activities/quickbooks';
import { checkWebhookTarget } from '../../client/commands/tenant';
import { payloadCipherFromConfig } from '../../workers/codec';
import { loadConfig } from '../../workers/config';
import { temporalTls } from '../../workers/temporalTls';
import { runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createHarness, freePort, type Harness as ConnectionHarness } from '../connection/harness';
import { startHarness, type Harness as QboHarness, type TestRealm } from '../quickbooks/harness';
import { CASES, type BadInputCase, type Outcome } from './corpus';
import { closeEntrances, entranceRunners } from './entrances';

interface Observed {
  outcome: Outcome;
  text: string;
}

const refused = (error: unknown): Observed => ({
  outcome: error instanceof QboTransientError ? 'retried' : 'refused',
  text: (error as Error).message,
});
async function observe(work: () => unknown): Promise<Observed> {
  try {
    const value = await work();
    return { outcome: 'accepted', text: typeof value === 'string' ? value : JSON.stringify(value) };
  } catch (error) {
    return refused(error);
  }
}

const KEY = randomBytes(32).toString('base64');
const base = { NODE_ENV: 'test', QBSYNC_ENCRYPTION_KEY: KEY };
const config = (env: Record<string, string>) => loadConfig({ ...base, ...env }, '/nonexistent');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-bad-'));
const file = (name: string, content: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, content);
  return f;
};

// ——— contexts, made once and only when a case needs them ———
let database: TestDatabase | undefined;
const db = async () => (database ??= await createTestDatabase('bad_input')).db;
let qboHarness: QboHarness | undefined;
let realm: TestRealm | undefined;
const qboRealm = async () => {
  qboHarness ??= await startHarness();
  return (realm ??= await qboHarness.realm({ seed: 'demo' }));
};
let connection: ConnectionHarness | undefined;
afterAll(async () => {
  await closeEntrances();
  await pending?.server.close();
  await database?.drop();
  await qboHarness?.close();
  await connection?.close();
});

const setting = (...pairs: string[]) => observe(() => applySettingPairs({}, pairs).notifications);
const webhook = (url: string, allow?: string) =>
  observe(() => {
    checkWebhookTarget([`notifications.webhookUrl=${url}`], allow);
    return url;
  });

async function cliEnv(): Promise<Record<string, string>> {
  const d = await db();
  await addTenant(d, { id: 'cli-t' }).catch(() => undefined);
  return { ...base, DATABASE_URL: database!.url, QBSYNC_MANAGE_SCHEDULES: 'false', LOG_LEVEL: 'silent' };
}
async function cliRun(args: string[], extra: Record<string, string> = {}, input?: string): Promise<Observed> {
  const r = await runCli(args, { ...(await cliEnv()), ...extra }, 60_000, input);
  return { outcome: r.code === 0 ? 'accepted' : 'refused', text: `${r.stdout}${r.stderr}` };
}

async function answered(match: Record<string, string>, body: unknown, call: (r: TestRealm) => Promise<unknown>) {
  const r = await qboRealm();
  await qboHarness!.admin.injectFaults({ realmId: r.realmId, match, count: 1, fault: { kind: 'body', body } });
  return observe(() => call(r));
}
const firstPage = (r: TestRealm) => r.client.queryPage('Customer');

/** A pending connect for tenant cb-t, its callback server, and what a request to it did. */
let pending:
  | {
      deps: ConnectDeps;
      state: string;
      url: string;
      server: Awaited<ReturnType<typeof runCallbackServer>>;
      settled?: Observed;
      realmId: string;
    }
  | undefined;
async function pendingConnect() {
  if (pending && !pending.settled) return pending;
  connection ??= await createHarness('bad_callback');
  const deps: ConnectDeps = {
    db: connection.database.db,
    oauth: connection.oauth,
    cipher: connection.cipher,
    clock: { now: () => new Date() },
  };
  await addTenant(deps.db, { id: 'cb-t' }).catch(() => undefined);
  await pending?.server.close();
  const { realmId } = await connection.admin.createCompany({ seed: 'empty' });
  const { url, state } = await startConnect(deps, 'cb-t');
  const server = await runCallbackServer(deps, { port: await freePort(), expectedState: state });
  const p = { deps, state, url, server, realmId } as NonNullable<typeof pending>;
  server.done.then(
    (r) => (p.settled = { outcome: 'accepted', text: `connected ${r.tenantId} ${r.realmId}` }),
    (e: Error) => (p.settled = { outcome: 'refused', text: e.message }),
  );
  pending = p;
  return p;
}
async function hit(pathAndQuery: (p: NonNullable<typeof pending>) => string, method = 'GET'): Promise<Observed> {
  const p = await pendingConnect();
  const response = await fetch(`${p.server.url.replace(/\/callback$/, '')}${pathAndQuery(p)}`, { method });
  const page = await response.text();
  await new Promise((resolve) => setImmediate(resolve));
  if (p.settled) return p.settled;
  return { outcome: response.status >= 400 ? 'ignored' : 'accepted', text: page };
}
async function realCallback(p: NonNullable<typeof pending>): Promise<string> {
  const authorize = new URL(p.url);
  authorize.searchParams.set('realmId', p.realmId);
  const location = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
  return new URL(location).search;
}
let replayable: string | undefined;

const RUN: Record<string, () => Promise<Observed>> = {
  // environment
  'DATABASE_URL=mysql://db/qbsync': () => observe(() => config({ DATABASE_URL: 'mysql://db/qbsync' })),
  'DATABASE_URL=postgres://db': () => observe(() => config({ DATABASE_URL: 'postgres://db' })),
  'TEMPORAL_ADDRESS=temporal': () => observe(() => config({ TEMPORAL_ADDRESS: 'temporal' })),
  'TEMPORAL_ADDRESS=http://temporal:7233': () => observe(() => config({ TEMPORAL_ADDRESS: 'http://temporal:7233' })),
  'TEMPORAL_DEV_PORT=70000': () => observe(() => config({ TEMPORAL_DEV_PORT: '70000' })),
  'TEMPORAL_UI_PORT=abc': () => observe(() => config({ TEMPORAL_UI_PORT: 'abc' })),
  'QBO_ENV=prod': () => observe(() => config({ QBO_ENV: 'prod' })),
  'LOG_LEVEL=verbose': () => observe(() => config({ LOG_LEVEL: 'verbose' })),
  'QBO_API_BASE_URL=quickbooks': () => observe(() => config({ QBO_API_BASE_URL: 'quickbooks' })),
  'QBSYNC_MANAGE_SCHEDULES=yes': () => observe(() => config({ QBSYNC_MANAGE_SCHEDULES: 'yes' })),
  'TEMPORAL_TLS_CERT without TEMPORAL_TLS_KEY': () => observe(() => config({ TEMPORAL_TLS_CERT: file('c.pem', 'x') })),
  'TEMPORAL_TLS_KEY without TEMPORAL_TLS_CERT': () => observe(() => config({ TEMPORAL_TLS_KEY: file('k.pem', 'x') })),
  'TEMPORAL_TLS_CA=/nonexistent/ca.pem': () =>
    observe(() => temporalTls(config({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }))),
  'DATABASE_PASSWORD_FILE=/nonexistent': () => observe(() => config({ DATABASE_PASSWORD_FILE: '/nonexistent' })),
  'QBSYNC_ENCRYPTION_KEY_FILE=/nonexistent': () =>
    observe(() => loadConfig({ NODE_ENV: 'test', QBSYNC_ENCRYPTION_KEY_FILE: '/nonexistent' }, '/nonexistent')),
  'QBSYNC_ENCRYPTION_KEY=short': () => observe(() => cipherFromConfig(config({ QBSYNC_ENCRYPTION_KEY: 'short' }))),
  'QBSYNC_ENCRYPTION_KEY unset, NODE_ENV=production': () =>
    observe(() => cipherFromConfig(loadConfig({ NODE_ENV: 'production' }, '/nonexistent'))),
  'QBSYNC_ENCRYPTION_KEYS_OLD=a,b': () =>
    observe(() => cipherFromConfig(config({ QBSYNC_ENCRYPTION_KEYS_OLD: 'a,b' }))),
  'QBSYNC_PAYLOAD_KEY=short': () => observe(() => payloadCipherFromConfig(config({ QBSYNC_PAYLOAD_KEY: 'short' }))),
  'QBSYNC_PAYLOAD_KEYS_OLD=x': () => observe(() => payloadCipherFromConfig(config({ QBSYNC_PAYLOAD_KEYS_OLD: 'x' }))),
  'QBO_ENV=sandbox without QBO_CLIENT_ID': () => observe(() => oauthSettings(config({ QBO_ENV: 'sandbox' }))),
  'DATABASE_PASSWORD=p@ss:w/rd (from a file)': () =>
    observe(
      () =>
        config({ DATABASE_URL: 'postgres://qbsync@db:5432/qbsync', DATABASE_PASSWORD_FILE: file('pw', 'p@ss:w/rd\n') })
          .DATABASE_URL,
    ),

  // tenant settings
  'conflictPolicy=random': () => setting('conflictPolicy=random'),
  'onRecordError=ignore': () => setting('onRecordError=ignore'),
  'schedule.times=["25:00"]': () => setting('schedule.times=["25:00"]'),
  'schedule.times="22:30"': () => setting('schedule.times="22:30"'),
  'schedule.times=[]': () => setting('schedule.times=[]'),
  'schedule.times=[1,440 times]': () =>
    setting(
      `schedule.times=${JSON.stringify(Array.from({ length: 1440 }, (_, i) => `${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`))}`,
    ),
  'schedule.timeZone=Mars/Olympus': () => setting('schedule.timeZone=Mars/Olympus'),
  'schedule.enabled=maybe': () => setting('schedule.enabled=maybe'),
  'notifications.on=sometimes': () => setting('notifications.on=sometimes'),
  'notifications.email=["not-an-email"]': () => setting('notifications.email=["not-an-email"]'),
  'notifications.email="ops@acme.example"': () => setting('notifications.email="ops@acme.example"'),
  'notifications.webhookUrl=file:///etc/passwd': () => setting('notifications.webhookUrl=file:///etc/passwd'),
  'notifications.webhookUrl=javascript:alert(1)': () => setting('notifications.webhookUrl=javascript:alert(1)'),
  'notifications.webhookUrl=https://user:pw@hooks.example': () =>
    setting('notifications.webhookUrl=https://user:pw@hooks.example'),
  'notifications.webhookUrl=http://hooks.example (not allowed)': () => webhook('http://hooks.example/h'),
  'notifications.webhookUrl=https://169.254.169.254/': () => webhook('https://169.254.169.254/'),
  'notifications.webhookUrl=https://[::1]/': () => webhook('https://[::1]/'),
  'notifications.webhookUrl=http://receiver.internal (allowed)': () =>
    webhook('http://receiver.internal/h', 'receiver.internal'),
  'notifications.webhookSecretRef=DATABASE_URL': () => setting('notifications.webhookSecretRef=DATABASE_URL'),
  'webhook secret of 5 characters': () => observe(() => checkWebhookSecret('12345')),
  'webhook secret with a control character': () => observe(() => checkWebhookSecret(`${'s'.repeat(20)}\u001b`)),
  'foo=1': () => setting('foo=1'),
  'schedule.hourly=true': () => setting('schedule.hourly=true'),
  '__proto__.polluted=1': () => setting('__proto__.polluted=1'),
  'conflictPolicy (no =)': () => setting('conflictPolicy'),
  'orderTaking.doneStatus=Open': () => setting('orderTaking.doneStatus=Open'),
  'orderTaking.orderAs=Order': () => setting('orderTaking.orderAs=Order'),
  'sendInvoicesAutomatically="yes"': () => setting('sendInvoicesAutomatically="yes"'),
  'mode=retail': async () => {
    const d = await db();
    await addTenant(d, { id: 'mode-t' }).catch(() => undefined);
    return observe(() => setTenant(d, 'mode-t', ['mode=retail']));
  },
  'stored settings holding webhookSecretRef, then any set': async () => {
    const d = await db();
    await addTenant(d, { id: 'legacy-t' }).catch(() => undefined);
    await sql`update tenants set settings = jsonb_set(settings, '{notifications}', '{"webhookSecretRef":"PATH"}') where id = 'legacy-t'`.execute(
      d,
    );
    return observe(() => setTenant(d, 'legacy-t', ['conflictPolicy=app-wins']));
  },
  'schedule.times=["22:30","22:30"]': () =>
    observe(() => applySettingPairs({}, ['schedule.times=["22:30","22:30"]']).schedule),

  // CLI arguments
  'qbsync synchronize': () => cliRun(['synchronize']),
  'qbsync sync': () => cliRun(['sync']),
  'qbsync tenant add Bad_ID': () => cliRun(['tenant', 'add', 'Bad_ID']),
  'qbsync tenant add shop --mode retail': () => cliRun(['tenant', 'add', 'shop', '--mode', 'retail']),
  'qbsync tenant show nosuch': () => cliRun(['tenant', 'show', 'nosuch']),
  'qbsync tenant set cli-t': () => cliRun(['tenant', 'set', 'cli-t']),
  'qbsync tenant set cli-t --webhook-secret --clear-webhook-secret': () =>
    cliRun(['tenant', 'set', 'cli-t', '--webhook-secret', '--clear-webhook-secret']),
  'qbsync tenant set cli-t --webhook-secret (empty stdin)': () =>
    cliRun(['tenant', 'set', 'cli-t', '--webhook-secret'], {}, ''),
  'qbsync connect cli-t --port 99999': () => cliRun(['connect', 'cli-t', '--port', '99999']),
  'qbsync codec-server --port 99999': () => cliRun(['codec-server', '--port', '99999']),
  'qbsync history nosuch': () => cliRun(['history', 'nosuch']),
  'qbsync history cli-t --limit zero': () => cliRun(['history', 'cli-t', '--limit', 'zero']),
  'qbsync replay /nonexistent/history.json': () => cliRun(['replay', '/nonexistent/history.json']),
  'qbsync tenant list, DATABASE_URL naming a missing database': () =>
    cliRun(['tenant', 'list'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/qbsync_missing_${randomBytes(3).toString('hex')}`,
    }),

  // QuickBooks answers
  'query answered {}': () => answered({ operation: 'query' }, {}, firstPage),
  'query answered []': () => answered({ operation: 'query' }, [], firstPage),
  'query answered null': () => answered({ operation: 'query' }, null, firstPage),
  'query answered "ok"': () => answered({ operation: 'query' }, 'ok', firstPage),
  'query answered {"QueryResponse":[]}': () => answered({ operation: 'query' }, { QueryResponse: [] }, firstPage),
  'query answered {"QueryResponse":{"Customer":{}}}': () =>
    answered({ operation: 'query' }, { QueryResponse: { Customer: {} } }, firstPage),
  'query answered {"QueryResponse":{"Customer":[1]}}': () =>
    answered({ operation: 'query' }, { QueryResponse: { Customer: [1] } }, firstPage),
  'query answered malformed JSON': async () => {
    const r = await qboRealm();
    await qboHarness!.admin.injectFaults({
      realmId: r.realmId,
      match: { operation: 'query' },
      count: 1,
      fault: { kind: 'malformed-json' },
    });
    return observe(() => firstPage(r));
  },
  'count answered {"QueryResponse":{}}': () =>
    answered({ operation: 'query' }, { QueryResponse: {} }, (r) => r.client.count('Customer')),
  'CDC answered {}': () =>
    answered({ operation: 'cdc' }, {}, (r) => r.client.cdcOnce(['Customer'], new Date(Date.now() - 3600_000))),
  'CDC answered {"CDCResponse":{}}': () =>
    answered({ operation: 'cdc' }, { CDCResponse: {} }, (r) =>
      r.client.cdcOnce(['Customer'], new Date(Date.now() - 3600_000)),
    ),
  'read answered {}': async () => {
    const [customer] = (await firstPage(await qboRealm())).items;
    return answered({ operation: 'read' }, {}, (r) => r.client.read('Customer', customer.Id));
  },
  'create answered {} (the retry replays by requestid: one customer)': async () => {
    const body = { DisplayName: `Bad Input ${randomBytes(3).toString('hex')}` };
    const requestId = `bad-${randomBytes(4).toString('hex')}`;
    const first = await answered({ operation: 'create' }, {}, (r) => r.client.create('Customer', body, { requestId }));
    const r = await qboRealm();
    await r.client.create('Customer', body, { requestId });
    expect(await r.client.count('Customer', `DisplayName = '${body.DisplayName}'`)).toBe(1);
    return first;
  },
  'batch answered {}': () =>
    answered({ operation: 'batch' }, {}, (r) =>
      r.client.batch([{ operation: 'create', entity: 'Customer', body: { DisplayName: 'B1' } }], {
        requestId: `b-${randomBytes(3).toString('hex')}`,
      }),
    ),
  'batch answered {"BatchItemResponse":{}}': () =>
    answered({ operation: 'batch' }, { BatchItemResponse: {} }, (r) =>
      r.client.batch([{ operation: 'create', entity: 'Customer', body: { DisplayName: 'B2' } }], {
        requestId: `b-${randomBytes(3).toString('hex')}`,
      }),
    ),
  'query answered a Customer without DisplayName': () =>
    answered({ operation: 'query' }, { QueryResponse: { Customer: [{ Id: '1' }] } }, firstPage),
  'query answered {"QueryResponse":{},"time":…}': () =>
    answered(
      { operation: 'query' },
      { QueryResponse: {}, time: '2026-11-27T00:00:00-08:00' },
      async (r) => `${(await firstPage(r)).items.length} rows`,
    ),

  // OAuth callback
  'GET /callback (no state)': () => hit(() => '/callback'),
  'GET /callback?state=x': () => hit(() => '/callback?state=x'),
  'GET /callback?state=<pending state>x': () => hit((p) => `/callback?state=${p.state}x`),
  'GET /callback?error=access_denied&state=forged': () => hit(() => '/callback?error=access_denied&state=forged'),
  [`GET /callback?state=${'A'.repeat(20)}… (8 KB)`]: () => hit(() => `/callback?state=${'A'.repeat(8000)}`),
  'POST /callback?state=<pending state>': () => hit((p) => `/callback?state=${p.state}`, 'POST'),
  'GET /elsewhere?state=<pending state>': () => hit((p) => `/elsewhere?state=${p.state}`),
  'GET /callback?state=<pending>&error=access_denied': () =>
    hit((p) => `/callback?state=${p.state}&error=access_denied`),
  'GET /callback?state=<pending>&code=…&realmId=abc': async () => {
    const p = await pendingConnect();
    const search = new URLSearchParams((await realCallback(p)).slice(1));
    search.set('realmId', 'abc');
    return hit(() => `/callback?${search.toString()}`);
  },
  'the real callback, after stray ones': async () => {
    const p = await pendingConnect();
    await hit(() => '/callback?state=stray');
    const search = await realCallback(p);
    replayable = search;
    return hit(() => `/callback${search}`);
  },
  'the real callback again (replayed)': async () => {
    const p = await pendingConnect();
    if (!replayable) replayable = await realCallback(p).then(async (s) => (await hit(() => `/callback${s}`), s));
    return observe(() => completeConnect(p.deps, `http://x/callback${replayable}`));
  },
};

Object.assign(
  RUN,
  entranceRunners(db, () => database!.url),
);

test('every case of the corpus has a runner, and every runner a case', () => {
  expect(Object.keys(RUN).sort()).toEqual(CASES.map((c) => c.input).sort());
  expect(CASES.length).toBeGreaterThanOrEqual(110);
});

test('docs/reliability.md lists the corpus as it is (regenerate: npx tsx scripts/bad-input-doc.ts)', () => {
  // In its own process: prettier loads itself with import(), which jest's module system cannot run.
  const root = path.join(__dirname, '..', '..');
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/bad-input-doc.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(`${r.stdout}${r.stderr}`).toContain(`docs/reliability.md lists all ${CASES.length} cases`);
  expect(r.status).toBe(0);
});

describe.each([...new Set(CASES.map((c) => c.entrance))])('%s', (entrance) => {
  test.each(CASES.filter((c) => c.entrance === entrance).map((c) => [c.input, c] as [string, BadInputCase]))(
    '%s',
    async (_input, c) => {
      const observed = await RUN[c.input]();
      expect({ outcome: observed.outcome, text: observed.text }).toEqual({
        outcome: c.outcome,
        text: expect.stringMatching(new RegExp(c.says)),
      });
    },
    60_000,
  );
});
