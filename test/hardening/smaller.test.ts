import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { runCallbackServer, startConnect, type ConnectDeps } from '../../activities/connection/connect';
import { ensureDevelopmentKey } from '../../activities/connection/crypto';
import { addTenant } from '../../activities/connection/tenants';
import { applySettingPairs } from '../../activities/connection/tenantSettings';
import { printable } from '../../client/output';
import { createDb, ensureDatabase, dropDatabase } from '../../schema/db';
import { preparePrivateDir } from '../../workers/dataDir';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { createHarness, freePort, type Harness } from '../connection/harness';

/** Issue 16 item 8, the smaller ones. */

describe('qbsync connect: a stray callback does not abort the pending flow', () => {
  let h: Harness;
  let deps: ConnectDeps;
  beforeAll(async () => {
    h = await createHarness('stray_callback');
    deps = { db: h.database.db, oauth: h.oauth, cipher: h.cipher, clock: { now: () => new Date() } };
  });
  afterAll(async () => h?.close());

  it('ignores callbacks whose state is not the pending one, then completes with the real one', async () => {
    const tenantId = 'stray';
    await addTenant(h.database.db, { id: tenantId });
    const { realmId } = await h.admin.createCompany({ seed: 'empty' });
    const { url, state } = await startConnect(deps, tenantId);
    const server = await runCallbackServer(deps, { port: await freePort(), expectedState: state });
    let settled = false;
    void server.done.then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      for (const query of ['state=x', '', 'error=access_denied&state=y', `state=${state}x`]) {
        const page = await fetch(`${server.url}?${query}`);
        expect(page.status).toBe(400);
        expect(await page.text()).toContain('does not belong to the pending qbsync connect');
      }
      expect(settled).toBe(false);
      const authorize = new URL(url);
      authorize.searchParams.set('realmId', realmId);
      const location = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
      const callback = new URL(location);
      const page = await fetch(`${server.url}${callback.search}`);
      expect(page.status).toBe(200);
      await expect(server.done).resolves.toEqual({ tenantId, realmId });
    } finally {
      await server.close();
    }
  });
});

describe('a mistyped DATABASE_URL creates nothing outside `migrate` and `dev`', () => {
  const server = 'postgres://postgres@127.0.0.1:5432';
  const exists = async (name: string) => {
    const db = createDb(`${server}/postgres`);
    try {
      const { rows } = await sql`select 1 from pg_database where datname = ${name}`.execute(db);
      return rows.length > 0;
    } finally {
      await db.destroy();
    }
  };

  it.each([
    ['tenant', 'list'],
    ['tenant', 'show', 'x'],
    ['tenant', 'add', 'x'],
    ['status', 'x'],
    ['history', 'x'],
  ])('`qbsync %s %s` on a database that does not exist fails and creates none', async (...args) => {
    const name = `qbsync_typo_${randomBytes(4).toString('hex')}`;
    const r = await runCli(args, { DATABASE_URL: `${server}/${name}`, NODE_ENV: 'test' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:5432\/qbsync_typo_\w+/);
    expect(r.stderr).toMatch(/qbsync migrate/);
    expect(await exists(name)).toBe(false);
  });

  it('an existing database without the qbsync schema is refused, not initialised', async () => {
    const url = `${server}/qbsync_other_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(url);
    try {
      const r = await runCli(['tenant', 'list'], { DATABASE_URL: url, NODE_ENV: 'test' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/has no qbsync schema: check DATABASE_URL, or run `qbsync migrate`/);
      const db = createDb(url);
      const { rows } = await sql`select count(*)::int as n from pg_tables where schemaname = 'public'`.execute(db);
      await db.destroy();
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await dropDatabase(url);
    }
  });

  it('`qbsync migrate` still creates it', async () => {
    const url = `${server}/qbsync_new_${randomBytes(4).toString('hex')}`;
    try {
      const r = await runCli(['migrate'], { DATABASE_URL: url, NODE_ENV: 'test' });
      expect(r.code).toBe(0);
      expect(await exists(url.split('/').at(-1)!)).toBe(true);
    } finally {
      await dropDatabase(url);
    }
  });
});

describe('schedule.times', () => {
  const times = (n: number) =>
    Array.from({ length: n }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);
  it('takes up to 48 distinct times a day', () => {
    expect(applySettingPairs({}, [`schedule.times=${JSON.stringify(times(48))}`]).schedule.times).toHaveLength(48);
  });
  it.each([
    [
      '1,440 times',
      JSON.stringify(
        Array.from(
          { length: 1440 },
          (_, i) => `${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
        ),
      ),
      /at most 48 times a day/,
    ],
    ['49 times', JSON.stringify([...times(48), '23:59']), /at most 48 times a day/],
    ['none', '[]', /at least one time/],
  ])('refuses %s with a clear error', (_name, value, why) => {
    expect(() => applySettingPairs({}, [`schedule.times=${value}`])).toThrow(why);
  });
});

describe('.data is private', () => {
  it('the folder becomes 0700 and the files in it 0600, including ones left world-readable before', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-data-')), '.data');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'temporal.db'), 'x', { mode: 0o644 });
    fs.mkdirSync(path.join(dir, 'pg'), { mode: 0o755 });
    preparePrivateDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'temporal.db')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'pg')).mode & 0o777).toBe(0o700);
  });
  it('the development key is made in a private folder', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-key-')), 'fresh');
    ensureDevelopmentKey(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'encryption.key')).mode & 0o777).toBe(0o600);
  });
});

describe('what the CLI prints', () => {
  it('strips control and bidi characters, keeps tabs, newlines and other text', () => {
    expect(printable('a\u001b[2Jb\u202Ec\u2066d\u0007e\tf\ng\u0085h — é')).toBe('a[2Jbcde\tf\ngh — é');
  });

  let stack: Stack;
  beforeAll(async () => {
    stack = await createStack('cli_output');
  });
  afterAll(async () => stack?.close());

  it('a tenant name with terminal escapes and a right-to-left override prints without them', async () => {
    const name = 'Acme\u001b]0;pwned\u0007 \u202Egnp.exe\u001b[2J';
    const add = await runCli(['tenant', 'add', 'evil', '--name', name], stack.env);
    expect(add.code).toBe(0);
    for (const args of [
      ['tenant', 'list'],
      ['tenant', 'show', 'evil'],
      ['tenant', 'list', '--json'],
    ]) {
      const r = await runCli(args, stack.env);
      // JSON escapes the controls itself ("\u001b"): readable, inert; the bidi override is removed.
      expect(r.stdout).toContain(
        args.includes('--json') ? 'Acme\\u001b]0;pwned\\u0007 gnp.exe' : 'Acme]0;pwned gnp.exe[2J',
      );
      // eslint-disable-next-line no-control-regex
      expect(r.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    }
  });

  it('token expiry and former-key warnings are shown by tenant list, tenant show and status', async () => {
    const { tenantId } = await stack.addTenant();
    await stack.database.db
      .updateTable('qbo_connections')
      .set({ refresh_token_expires_at: new Date(Date.now() + 5 * 24 * 3600 * 1000) })
      .where('tenant_id', '=', tenantId)
      .execute();
    // The operator rotated the key: the tokens are still under the former one.
    const rotated = {
      ...stack.env,
      QBSYNC_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      QBSYNC_ENCRYPTION_KEYS_OLD: stack.env.QBSYNC_ENCRYPTION_KEY,
      QBSYNC_PAYLOAD_KEYS_OLD: '',
    };
    for (const args of [
      ['tenant', 'list'],
      ['tenant', 'show', tenantId],
      ['status', tenantId],
    ]) {
      const r = await runCli(args, rotated);
      expect(`${args.join(' ')}: ${r.stdout}`).toMatch(/warning: the refresh token expires in [45] days/);
      expect(r.stdout).toMatch(
        /warning: the tokens are stored under a former encryption key \(\w+\): keep that key in QBSYNC_ENCRYPTION_KEYS_OLD/,
      );
    }
  });
});

describe('settings written around the CLI and API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await createStack('stored_settings');
  });
  afterAll(async () => stack?.close());

  it('a misspelt stored value fails the run at once, naming the setting and the fix, instead of a silent default', async () => {
    const { tenantId } = await stack.addTenant({ seed: 'empty' });
    // `app-win` would otherwise run as quickbooks-wins: the opposite of what the operator meant.
    await stack.database.db
      .updateTable('tenants')
      .set({ settings: JSON.stringify({ conflictPolicy: 'app-win' }) })
      .where('id', '=', tenantId)
      .execute();
    const failure = await stack.sync(tenantId).then(
      () => undefined,
      (error: Error) => error,
    );
    let text = '';
    for (let e: Error | undefined = failure; e; e = e.cause as Error | undefined) text += ` ${e.message}`;
    expect(text).toContain(`tenant ${tenantId}: its stored settings are invalid: setting conflictPolicy is invalid`);
    expect(text).toContain(`qbsync tenant set ${tenantId}`);
    const run = await stack.database.db
      .selectFrom('sync_step_runs')
      .select('step')
      .where('run_id', 'in', (eb) => eb.selectFrom('sync_runs').select('id').where('tenant_id', '=', tenantId))
      .execute();
    // Nothing moved under the wrong policy.
    expect(run).toEqual([]);
  });
});
