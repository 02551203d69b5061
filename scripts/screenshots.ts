/**
 * `npm run screenshots`: the console's main pages, as a browser shows them, into docs/console/*.png (the README shows
 * them). Runs the real server, worker, PostgreSQL and QuickBooks emulator, and drives the pages as a person would.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OPERATOR } from '../test/console/consoleStack';
import { addAndConnect, signIn, synchronizeAll } from '../test/console/drive';
import { withConsole } from '../test/console/standalone';

const OUT = path.join(__dirname, '..', 'docs', 'console');

async function main(): Promise<void> {
  await withConsole('screenshots', async (c, browser) => {
    const page = await browser.context.newPage();
    const shot = async (name: string, fullPage = true) => {
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });
      console.log(`docs/console/${name}.png`);
    };
    const tenant = `acme-${randomBytes(2).toString('hex')}`;
    c.tenants.push(tenant);

    await page.goto(`${c.api.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot('sign-in', false);
    await signIn(page, c.api.url, OPERATOR.name, OPERATOR.password);
    await addAndConnect(page, c, tenant, 'Acme Plumbing');
    await synchronizeAll(page);
    // A record QuickBooks refuses: the failed run, its step, record, code and what to do.
    await c.stack.database.db
      .insertInto('items')
      .values({ tenant_id: tenant, type: 'Service', name: 'Bad: name', unit_price: '3', income_account: '1' })
      .execute();
    await synchronizeAll(page);
    await page.getByLabel(/^Schedule times/).fill('06:00, 18:30');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('#next-runs', { hasText: '6:00' }).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('tenant');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('#last-outcome').waitFor();
    await shot('tenant-phone', false);
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('row', { name: /Acme Plumbing/ }).waitFor();
    await shot('tenants');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#audit').waitFor();
    await shot('audit', false);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
