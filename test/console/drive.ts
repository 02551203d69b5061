import type { Page } from 'playwright-core';
import type { ConsoleStack } from './consoleStack';

/** What a person does in the console, step by step; shared by the tests, the screenshots and the bench. */
export async function signIn(page: Page, baseUrl: string, name: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** From the tenants page: adds a QuickBooks Online tenant and connects it through the emulator's OAuth page. */
export async function addAndConnect(page: Page, c: ConsoleStack, tenant: string, name: string): Promise<void> {
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  await page.getByLabel(/^Id/).fill(tenant);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Add tenant' }).click();
  await page.getByRole('heading', { name }).waitFor();
  await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
  await page.getByText(`Connected to QuickBooks company ${c.realmId}.`).waitFor();
}

/** Presses Synchronize All and waits (on the page) for the run to finish; answers the outcome the page shows. */
export async function synchronizeAll(page: Page): Promise<string> {
  const before = await page.locator('details.run').count();
  await page.getByRole('button', { name: 'Synchronize All' }).click();
  await page.locator('details.run').nth(before).waitFor({ timeout: 60_000 });
  await page.locator('#sync:not([disabled])').waitFor({ timeout: 60_000 });
  return (await page.locator('#last-outcome .badge').textContent()) ?? '';
}
