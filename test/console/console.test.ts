import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser';
import { signIn as signInAt, synchronizeAll as pressSynchronizeAll } from './drive';
import { OPERATOR, startConsoleStack, TEMPORAL_WEB, type ConsoleStack } from './consoleStack';
import { addOperator, LOCK_AFTER } from '../../server/session';

jest.setTimeout(90_000);

let c: ConsoleStack;
let browser: Browser;
let page: Page;
const tenant = `acme-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  // The next run times shown are Temporal's, jitter included; the schedule test reads the configured times.
  process.env.QBSYNC_SCHEDULE_JITTER_MS = '0';
  [c, browser] = await Promise.all([startConsoleStack('console'), launchBrowser()]);
  c.tenants.push(tenant);
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await c?.close();
});

const signIn = (p: Page, name: string, password: string) => signInAt(p, c.api.url, name, password);
const synchronizeAll = () => pressSynchronizeAll(page);

test('a wrong password is refused, and repeated failures lock the name out', async () => {
  await addOperator(c.stack.database.db, 'locky', 'the right password 1');
  const p = await browser.context.newPage();
  await signIn(p, 'locky', 'not the password');
  await p.getByText('the name or the password is wrong').waitFor();
  expect(p.url()).toContain('#/signin');
  for (let i = 1; i < LOCK_AFTER; i++) {
    await p.getByLabel('Password').fill(`wrong ${i}`);
    const answered = p.waitForResponse((r) => r.url().endsWith('/v1/session') && r.request().method() === 'POST');
    await p.getByRole('button', { name: 'Sign in' }).click();
    expect((await answered).status()).toBe(401);
  }
  // The right password no longer helps: the name is locked.
  await p.getByLabel('Password').fill('the right password 1');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByText(/is locked until/).waitFor();
  expect(p.url()).toContain('#/signin');
  const audit = await c.stack.database.db.selectFrom('audit_log').selectAll().where('operator', '=', 'locky').execute();
  expect(audit.map((a) => a.action)).toContain('sign-in refused; locked out');
  await p.close();
});

test('sign in, add a tenant, connect it through the QuickBooks OAuth page and land back connected', async () => {
  await signIn(page, OPERATOR.name, OPERATOR.password);
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  await page.getByLabel(/^Id/).fill(tenant);
  await page.getByLabel('Name', { exact: true }).fill('Acme Plumbing');
  await page.getByRole('button', { name: 'Add tenant' }).click();
  await page.getByRole('heading', { name: /Acme Plumbing/ }).waitFor();
  expect(await page.locator('#conn-h + p').textContent()).toContain('not connected');

  // The server makes the authorize URL (and its state); the emulator's consent page sends the browser back.
  const consent = page.waitForRequest((r) => r.url().startsWith(`${c.stack.emulator.url}`));
  await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
  expect(new URL((await consent).url()).searchParams.get('state')).toBeTruthy();
  await page.getByText(`Connected to QuickBooks company ${c.realmId}.`).waitFor();
  expect(page.url()).toBe(`${c.api.url}/console/#/tenants/${tenant}?connected=${c.realmId}`);
  expect(await page.locator('#conn-h + p .badge').textContent()).toBe('connected');

  // The list shows it with its backend and health.
  await page.getByRole('link', { name: 'Tenants' }).click();
  const row = page.getByRole('row', { name: /Acme Plumbing/ });
  await row.waitFor();
  expect(await row.textContent()).toMatch(/QuickBooks Online.*billing.*connected/);
});

test('Synchronize All shows live progress and reaches succeeded with the counts of the demo company', async () => {
  await page.getByRole('link', { name: 'Acme Plumbing' }).click();
  await page.getByRole('button', { name: 'Synchronize All' }).waitFor();
  expect(await synchronizeAll()).toBe('succeeded');
  const [run] = (await (await page.request.get(`${c.api.url}/v1/tenants/${tenant}/runs?limit=1`)).json())
    .data as Array<{ steps: Array<{ step: string; pulled: { created: number } }> }>;
  const customers = run.steps.find((s) => s.step === 'customers')!;
  expect(customers.pulled.created).toBeGreaterThan(0);
  const shown = await page.locator('#progress tr[data-step="customers"]').textContent();
  expect(shown).toContain(`${customers.pulled.created} created`);

  // The progress survives a reload (it is read from the status endpoint, not kept in the page).
  await page.reload();
  await page.locator('#last-outcome').waitFor();
  expect(await page.locator('#last-outcome .badge').textContent()).toBe('succeeded');
});

test('a record QuickBooks refuses fails the run with the step, the record, the code and what to do; fixed, the next run succeeds', async () => {
  const db = c.stack.database.db;
  // The app writes an item whose name QuickBooks refuses (a colon).
  const { id } = await db
    .insertInto('items')
    .values({ tenant_id: tenant, type: 'Service', name: 'Bad: name', unit_price: '3', income_account: '1' })
    .returning('id')
    .executeTakeFirstOrThrow();
  expect(await synchronizeAll()).toBe('failed');
  const failed = page.locator('details.run').first();
  const failure = failed.locator('dl.failure').first();
  await failure.waitFor();
  const text = (await failure.textContent()) ?? '';
  expect(text).toContain('items');
  expect(text).toContain('Bad: name');
  expect(await failure.locator('.what-to-do').textContent()).toMatch(/rename/i);
  expect(await failure.getByRole('link', { name: /Bad: name/ }).getAttribute('href')).toBe(
    `/v1/tenants/${tenant}/items/${id}`,
  );
  const workflow = await failed.getAttribute('data-run');
  expect(workflow).toBeTruthy();
  expect(await failed.locator('a.temporal').getAttribute('href')).toMatch(
    new RegExp(`^${TEMPORAL_WEB.url}/namespaces/default/workflows/`),
  );
  // It is listed among the problems too.
  expect(await page.locator('#problems').textContent()).toContain('Bad: name');

  await db.updateTable('items').set({ name: 'Good name', updated_at: new Date() }).where('id', '=', id).execute();
  expect(await synchronizeAll()).toBe('succeeded');
});

test('the tenant page: every control has a label, and on a phone nothing is wider than the screen', async () => {
  const unlabelled = await page.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map((e) => e.outerHTML)`);
  expect(unlabelled).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  const tooWide = await page.evaluate(`[...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
    .map((e) => e.tagName + '.' + e.className)`);
  expect(tooWide).toEqual([]);
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('settings: an invalid time is named beside its field; a new schedule moves the next run times', async () => {
  const times = page.getByLabel(/^Schedule times/);
  await times.fill('25:00');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForSelector('#set-times[aria-invalid="true"]');
  expect(await page.locator('#set-times-error').textContent()).toContain('HH:MM');

  await times.fill('05:15');
  await page.getByLabel(/^Time zone/).fill('UTC');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#next-runs', { hasText: '5:15' }).waitFor();
  const first = await page.locator('#next-runs').textContent();

  await times.fill('07:45');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('#next-runs', { hasText: '7:45' }).waitFor();
  const moved = await page.locator('#next-runs').textContent();
  expect(moved).not.toBe(first);
  const tenantRow = await c.stack.database.db
    .selectFrom('tenants')
    .select('settings')
    .where('id', '=', tenant)
    .executeTakeFirstOrThrow();
  expect((tenantRow.settings as { schedule: unknown }).schedule).toMatchObject({ times: ['07:45'], timeZone: 'UTC' });
});

test('a state-changing request with the session cookie but without the CSRF token is refused; the audit log shows what was done', async () => {
  const bare = await page.request.post(`${c.api.url}/v1/tenants/${tenant}/syncs`);
  expect(bare.status()).toBe(403);
  expect((await bare.json()).errors[0].field).toBe('X-CSRF-Token');
  const forged = await page.request.post(`${c.api.url}/v1/tenants/${tenant}/syncs`, {
    headers: { 'x-csrf-token': 'guessed' },
  });
  expect(forged.status()).toBe(403);
  // Reads need no token.
  expect((await page.request.get(`${c.api.url}/v1/tenants/${tenant}/status`)).status()).toBe(200);

  await page.getByRole('link', { name: 'Audit log' }).click();
  const table = page.locator('#audit');
  await table.waitFor();
  const shown = (await table.textContent()) ?? '';
  expect(shown).toContain('addTenant');
  expect(shown).toContain('connectQuickBooks');
  expect(shown).toContain('synchronizeAll');
  expect(shown).toContain('updateSettings');
  expect(shown).toContain(OPERATOR.name);
});

test('a conflict shows both versions side by side and is resolved by keeping one', async () => {
  const db = c.stack.database.db;
  await page.goto(`${c.api.url}/console/#/tenants/${tenant}`);
  // Both sides change the same customer between runs; the policy decides, the console lets the operator choose.
  const customer = await db
    .selectFrom('customers')
    .select(['id', 'display_name'])
    .where('tenant_id', '=', tenant)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const link = await db
    .selectFrom('sync_links')
    .select('remote_id')
    .where('tenant_id', '=', tenant)
    .where('entity', '=', 'customer')
    .where('app_id', '=', customer.id)
    .executeTakeFirstOrThrow();
  const remote = (await c.stack.qboFetch(c.realmId, 'GET', `customer/${link.remote_id}`)).Customer as {
    SyncToken: string;
  };
  await c.stack.qboFetch(c.realmId, 'POST', 'customer', {
    Id: link.remote_id,
    SyncToken: remote.SyncToken,
    sparse: true,
    CompanyName: 'changed in QuickBooks',
  });
  await db
    .updateTable('customers')
    .set({ company_name: 'changed in the app', updated_at: new Date() })
    .where('id', '=', customer.id)
    .execute();
  expect(await synchronizeAll()).toBe('succeeded');
  const conflict = page.locator('article.conflict').first();
  await conflict.waitFor();
  expect(await conflict.textContent()).toContain('changed in the app');
  expect(await conflict.textContent()).toContain('changed in QuickBooks');
  await conflict.getByRole('button', { name: 'Keep the app version' }).click();
  await page.locator('article.conflict', { hasText: 'app version kept by' }).first().waitFor();
  const resolved = await db
    .selectFrom('sync_conflicts')
    .select(['resolved_keep', 'resolved_by'])
    .where('tenant_id', '=', tenant)
    .where('app_id', '=', customer.id)
    .executeTakeFirstOrThrow();
  expect(resolved.resolved_keep).toBe('app');
});
