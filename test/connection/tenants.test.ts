import { randomBytes } from 'node:crypto';
import { addTenant, getTenant, listTenants, setTenant } from '../../activities/connection/tenants';
import { parseSettings } from '../../activities/connection/tenantSettings';
import { DEMO_APP, DEMO_REALM_ID, EmulatorAdmin, startEmulator, type RunningEmulator } from '../../emulator';
import { freePort } from './harness';
import { runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('connection_tenants');
});
afterAll(async () => database?.drop());

test('settings default to the documented values', () => {
  expect(parseSettings({})).toEqual({
    conflictPolicy: 'quickbooks-wins',
    onRecordError: 'stop',
    deferRuns: 3,
    onVanished: 'stop',
    desktop: { waitMinutes: 120 },
    accounts: { income: 'Sales of Product Income', expense: 'Cost of Goods Sold', inventoryAsset: 'Inventory Asset' },
    schedule: { enabled: true, times: ['22:30', '01:30'], timeZone: 'America/Chicago' },
    notifications: { on: 'failures', email: [] },
    sendInvoicesAutomatically: true,
    orderTaking: {
      readyStatus: 'Open',
      doneStatus: 'Closed',
      orderAs: 'Estimate',
      saleTypes: ['Invoice', 'Quote', 'Order'],
      statuses: ['Open', 'Closed'],
    },
  });
});

test('add, list, show and set tenants; set takes dotted keys and JSON values', async () => {
  const db = database.db;
  await addTenant(db, { id: 'acme', name: 'Acme Inc' });
  await addTenant(db, { id: 'shop-2', mode: 'order-taking' });
  expect((await listTenants(db)).map((t) => [t.id, t.name, t.mode])).toEqual([
    ['acme', 'Acme Inc', 'billing'],
    ['shop-2', 'shop-2', 'order-taking'],
  ]);
  const updated = await setTenant(db, 'acme', [
    'name=Acme Corp',
    'conflictPolicy=app-wins',
    'schedule.times=["23:00"]',
    'schedule.enabled=false',
    'notifications.email=["ops@acme.test"]',
    'orderTaking.readyStatus=Ready',
  ]);
  expect(updated.name).toBe('Acme Corp');
  const shown = await getTenant(db, 'acme');
  expect(shown.settings).toMatchObject({
    conflictPolicy: 'app-wins',
    schedule: { enabled: false, times: ['23:00'], timeZone: 'America/Chicago' },
    notifications: { email: ['ops@acme.test'] },
    orderTaking: { readyStatus: 'Ready' },
  });
  await expect(addTenant(db, { id: 'acme' })).rejects.toThrow('tenant acme already exists');
  await expect(addTenant(db, { id: 'Bad_Id' })).rejects.toThrow(/tenant id "Bad_Id" is invalid/);
});

test('set validation errors are one clear line and change nothing', async () => {
  const db = database.db;
  await addTenant(db, { id: 'strict' });
  const cases: Array<[string[], RegExp]> = [
    [
      ['conflictPolicy=newest'],
      /^setting conflictPolicy is invalid: expected one of quickbooks-wins, app-wins, latest-wins$/,
    ],
    [['schedule.times=["25:00"]'], /^setting schedule\.times\.0 is invalid: a time as HH:MM$/],
    [
      ['schedule.timeZone=Mars/Olympus'],
      /^setting schedule\.timeZone is invalid: an IANA time zone such as America\/Chicago$/,
    ],
    [
      ['schedule.tmes=["23:00"]'],
      /^unknown setting schedule\.tmes \(known under schedule: enabled, times, timeZone\)$/,
    ],
    [['colour=blue'], /^unknown setting colour \(known: /],
    [['notifications.email=["not an email"]'], /^setting notifications\.email\.0 is invalid: /],
    [['sendInvoicesAutomatically'], /^"sendInvoicesAutomatically" is not key=value$/],
    [['mode=retail'], /^mode "retail" is invalid: billing or order-taking$/],
    [['__proto__.polluted=1'], /is not a setting name/],
  ];
  for (const [pairs, expected] of cases) {
    const error = await setTenant(db, 'strict', pairs).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(expected);
    expect(error?.message).not.toContain('\n');
  }
  expect((await getTenant(db, 'strict')).settings).toEqual(parseSettings({}));
  await expect(setTenant(db, 'nobody', ['onRecordError=skip'])).rejects.toThrow('tenant nobody does not exist');
});

describe('the qbsync CLI', () => {
  let emulator: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 'demo', limits: 'off', quiet: true });
    env = {
      DATABASE_URL: database.url,
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: emulator.url,
      QBSYNC_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      QBO_CLIENT_ID: '',
      QBO_CLIENT_SECRET: '',
    };
  });
  afterAll(async () => emulator?.close());

  test('tenant add, set, connect --non-interactive, show and disconnect; tokens are never printed', async () => {
    const add = await runCli(['tenant', 'add', 'cli-co', '--name', 'CLI Co', '--mode', 'order-taking'], env);
    expect(add.stderr).toBe('');
    expect(add.stdout).toContain('added tenant cli-co (CLI Co, order-taking)');
    const bad = await runCli(['tenant', 'set', 'cli-co', 'onRecordError=maybe'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('qbsync: setting onRecordError is invalid: expected one of stop, skip');
    expect((await runCli(['tenant', 'set', 'cli-co', 'onRecordError=skip'], env)).code).toBe(0);

    // The demo app (qbsync-dev) is the default in emulator mode.
    const connect = await runCli(['connect', 'cli-co', '--non-interactive', '--realm', DEMO_REALM_ID], env);
    expect(connect.stderr).toBe('');
    expect(connect.stdout).toContain(`connected tenant cli-co to QuickBooks company ${DEMO_REALM_ID} (emulator)`);

    const show = await runCli(['tenant', 'show', 'cli-co', '--json'], env);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({
      id: 'cli-co',
      mode: 'order-taking',
      settings: { onRecordError: 'skip' },
      connection: { status: 'connected', realmId: DEMO_REALM_ID, warnings: [] },
    });
    const row = await database.db
      .selectFrom('qbo_connections')
      .selectAll()
      .where('tenant_id', '=', 'cli-co')
      .executeTakeFirstOrThrow();
    const text = (await runCli(['tenant', 'show', 'cli-co'], env)).stdout;
    expect(text).toContain(`QuickBooks: connected, realm ${DEMO_REALM_ID} (emulator)`);
    const list = await runCli(['tenant', 'list'], env);
    expect(list.stdout).toContain(`cli-co\tCLI Co\torder-taking\tconnected\trealm ${DEMO_REALM_ID}`);
    for (const output of [show.stdout, text, list.stdout, connect.stdout]) {
      expect(output).not.toContain(row.access_token_enc!);
      expect(output).not.toContain(row.refresh_token_enc!);
      expect(output).not.toContain(DEMO_APP.clientSecret);
    }

    const twice = await runCli(['tenant', 'add', 'other-co'], env).then(() =>
      runCli(['connect', 'other-co', '--non-interactive', '--realm', DEMO_REALM_ID], env),
    );
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim()).toBe(
      `qbsync: QuickBooks company ${DEMO_REALM_ID} is already linked to tenant cli-co; a company can belong to one tenant only (to move it, run \`qbsync disconnect cli-co\` first)`,
    );

    const off = await runCli(['disconnect', 'cli-co'], env);
    expect(off.stdout).toContain('disconnected tenant cli-co');
    expect(JSON.parse((await runCli(['tenant', 'show', 'cli-co', '--json'], env)).stdout).connection.status).toBe(
      'disconnected',
    );
  });

  test('interactive connect prints the authorize URL and completes when the browser comes back', async () => {
    await runCli(['tenant', 'add', 'browser-co'], env);
    const { realmId } = await fetch(`${emulator.url}/_emulator/companies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then((r) => r.json() as Promise<{ realmId: string }>);
    const { startCli } = await import('../helpers/cli');
    // Its own app on a free port, so the test never collides with a developer's qbsync on 8911.
    const port = await freePort();
    const app = await new EmulatorAdmin(emulator.url).registerApp({
      redirectUris: [`http://127.0.0.1:${port}/callback`],
    });
    const cli = startCli(['connect', 'browser-co', '--realm', realmId], {
      ...env,
      QBO_CLIENT_ID: app.clientId,
      QBO_CLIENT_SECRET: app.clientSecret,
      QBO_REDIRECT_URI: `http://127.0.0.1:${port}/callback`,
    });
    await cli.waitFor(/waiting for QuickBooks/, 60_000);
    const url = /(http:\/\/\S+\/connect\/oauth2\S+)/.exec(cli.output())![1];
    const redirect = await fetch(url, { redirect: 'manual' });
    const page = await fetch(redirect.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(`connected tenant browser-co to QuickBooks company ${realmId}`);
  });
});
