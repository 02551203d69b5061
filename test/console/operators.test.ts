import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TokenCipher } from '../../activities/connection/crypto';
import { verifyPassword } from '../../activities/backends/quickbooks-desktop/credentials';
import { startApiServer, type RunningApi } from '../../server';
import { createApiKey } from '../../server/apiKeys';
import { createLogger } from '../../workers/logger';
import { runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { launchBrowser, type Browser } from './browser';

jest.setTimeout(60_000);

let database: TestDatabase;
let api: RunningApi;
let browser: Browser;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  [database, browser] = await Promise.all([createTestDatabase('console_operators'), launchBrowser()]);
  api = await startApiServer({
    db: database.db,
    logger: createLogger('silent'),
    cipher: new TokenCipher(randomBytes(32).toString('base64')),
    qwcUrl: 'http://localhost:8921/qbwc',
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await database?.drop();
});

test('qbsync user add stores a scrypt hash; sign-in sets an HttpOnly SameSite cookie (Secure behind TLS); API keys work unchanged', async () => {
  const added = await runCli(['user', 'add', 'dana'], { DATABASE_URL: database.url }, 60_000, `${PASSWORD}\n`);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const row = await database.db
    .selectFrom('operators')
    .selectAll()
    .where('name', '=', 'dana')
    .executeTakeFirstOrThrow();
  expect(row.password_hash).toMatch(/^scrypt\$/);
  expect(row.password_hash).not.toContain(PASSWORD);
  expect(await verifyPassword(PASSWORD, row.password_hash)).toBe(true);
  const short = await runCli(['user', 'add', 'eve'], { DATABASE_URL: database.url }, 60_000, 'short\n');
  expect(short.code).not.toBe(0);
  expect(short.stderr).toContain('at least 12 characters');

  const signIn = (headers: Record<string, string> = {}) =>
    fetch(`${api.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'dana', password: PASSWORD }),
    });
  const plain = await signIn();
  expect(plain.status).toBe(200);
  const cookie = plain.headers.get('set-cookie')!;
  expect(cookie).toMatch(/^qbsync_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  const behindTls = (await signIn({ 'x-forwarded-proto': 'https' })).headers.get('set-cookie')!;
  expect(behindTls).toMatch(/; Secure$/);
  // The token is stored only as its hash.
  const token = /qbsync_session=([^;]+)/.exec(cookie)![1];
  const sessions = await database.db.selectFrom('operator_sessions').select('token_hash').execute();
  expect(sessions.map((s) => s.token_hash)).not.toContain(token);

  const { key } = await createApiKey(database.db, { name: 'app', tenants: ['*'] });
  const withKey = await fetch(`${api.url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } });
  expect(withKey.status).toBe(200);
  // A key request is not a console action: nothing is audited, no CSRF token is asked for.
  const created = await fetch(`${api.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'by-key' }),
  });
  expect(created.status).toBe(201);
  expect(
    await database.db.selectFrom('audit_log').select('action').where('action', 'like', 'addTenant%').execute(),
  ).toEqual([]);
  expect((await fetch(`${api.url}/v1/tenants`)).status).toBe(401);
});

test('in the browser: / leads to the console; a Desktop tenant is added, its .qwc downloaded and its Web Connector password set; sign-out ends the session', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${api.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  expect(page.url()).toBe(`${api.url}/console/#/signin`);
  await page.getByLabel('Name').fill('dana');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();

  await page.getByLabel(/^Id/).fill('shop-desk');
  await page.getByLabel('QuickBooks', { exact: true }).selectOption('quickbooks-desktop');
  await page.getByLabel(/^Web Connector password/).fill('short');
  await page.getByRole('button', { name: 'Add tenant' }).click();
  await page.locator('#new-password[aria-invalid="true"]').waitFor();
  expect(await page.locator('#new-password-error').textContent()).toContain('at least 8 characters');
  await page.getByLabel(/^Web Connector password/).fill('web connector 1');
  await page.getByRole('button', { name: 'Add tenant' }).click();
  await page
    .getByRole('heading', { name: /shop-desk/ })
    .first()
    .waitFor();
  expect(await page.locator('#conn-h + p').textContent()).toContain('Web Connector has not called yet');

  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download the .qwc file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('shop-desk.qwc');
  const qwc = readFileSync((await download.path())!, 'utf8');
  expect(qwc).toContain('<UserName>shop-desk</UserName>');
  expect(qwc).toContain('<AppURL>http://localhost:8921/qbwc</AppURL>');

  const before = (
    await database.db
      .selectFrom('desktop_connections')
      .select('password_hash')
      .where('tenant_id', '=', 'shop-desk')
      .executeTakeFirstOrThrow()
  ).password_hash;
  await page.getByLabel(/^Web Connector password/).fill('web connector 2');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Password set.').waitFor();
  const after = await database.db
    .selectFrom('desktop_connections')
    .select('password_hash')
    .where('tenant_id', '=', 'shop-desk')
    .executeTakeFirstOrThrow();
  expect(after.password_hash).not.toBe(before);
  expect(await verifyPassword('web connector 2', after.password_hash)).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  expect((await page.request.get(`${api.url}/v1/tenants`)).status()).toBe(401);
  const audit = await database.db.selectFrom('audit_log').select(['operator', 'action']).orderBy('id').execute();
  expect(audit.map((a) => a.action)).toEqual(
    expect.arrayContaining([
      'signed in',
      'addDesktopTenant (POST /v1/desktop-tenants)',
      'setWebConnectorPassword (POST /v1/tenants/shop-desk/webconnector/password)',
      'signOut (DELETE /v1/session)',
    ]),
  );
  await page.close();
});
