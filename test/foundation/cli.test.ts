import { launchBrowser } from '../console/browser';
import { signIn, synchronizeAll } from '../console/drive';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../workers/devServer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { processAlive, runCli, startCli } from '../helpers/cli';

test.each([
  [
    { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/qbsync' },
    /^qbsync: cannot use PostgreSQL at DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:1\/qbsync: .*ECONNREFUSED/,
  ],
  [{ DATABASE_URL: 'not a url' }, /^qbsync: DATABASE_URL is invalid: expected a PostgreSQL URL/],
])('a bad DATABASE_URL gives one clear line and a non-zero exit (%o)', async (env, expected) => {
  const result = await runCli(['migrate'], env);
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(expected);
});

describe('with a database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('cli');
  });
  afterAll(async () => database?.drop());

  test('a bad TEMPORAL_ADDRESS gives one clear line and a non-zero exit', async () => {
    const port = await freePort();
    const result = await runCli(['worker'], { DATABASE_URL: database.url, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(`^qbsync: cannot reach Temporal at TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${port}: .*[Cc]onnection refused`),
    );
  });

  test('`qbsync dev` reaches a running worker, prints the Temporal Web URL, and Ctrl-C leaves no process behind', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-dev-'));
    const [temporalPort, uiPort, emulatorPort, apiPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env = {
      DATABASE_URL: database.url,
      QBSYNC_DATA_DIR: dataDir,
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      EMULATOR_PORT: String(emulatorPort),
      QBSYNC_API_PORT: String(apiPort),
      TEMPORAL_TASK_QUEUE: `dev-${temporalPort}`,
      LOG_LEVEL: 'warn',
      // The Desktop demo (Web Connector at QuickBooks' pace) is exercised by test/desktop; here, npm start's own path.
      QBSYNC_DESKTOP_DEMO: 'off',
    };
    const dev = startCli(['dev'], env);
    await dev.waitFor(/press Ctrl-C to stop/, 240_000);
    expect(dev.output()).toContain(`Temporal Web: http://127.0.0.1:${uiPort}`);
    // The console, beside Temporal Web, with a first user: a newcomer reconnects the demo company and synchronizes in it.
    expect(dev.output()).toContain(
      `Console: http://127.0.0.1:${apiPort}/console/   Temporal Web: http://127.0.0.1:${uiPort}`,
    );
    const password = /console user "admin" created with password (\S+)/.exec(dev.output())![1];
    await newcomerInTheConsole(`http://127.0.0.1:${apiPort}`, password);
    expect(dev.output()).toMatch(/worker \S+ is running on task queue "dev-\d+"/);
    expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
    // No Intuit app configured: the emulator stands in, a demo tenant is connected and synchronized.
    expect(dev.output()).toContain(
      `QuickBooks emulator (stands in for QuickBooks Online and Intuit OAuth) at http://127.0.0.1:${emulatorPort}`,
    );
    expect(dev.output()).toContain('tenant "demo" connected');
    expect(dev.output()).toContain('sync succeeded:');
    expect(dev.output()).toMatch(/customers\s+succeeded\s+from QuickBooks: [1-9]\d* new/);
    expect(dev.output()).toMatch(/invoices\s+succeeded\s+from QuickBooks: [1-9]\d* new/);

    const serverPid = Number(/Temporal dev server pid (\d+)/.exec(dev.output())?.[1]);
    expect(processAlive(serverPid)).toBe(true);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    expect(processAlive(serverPid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'emulator.json'))).toBe(true);

    // A second start finds the same tenant and company: nothing new either way.
    const again = startCli(['dev'], { ...env });
    await again.waitFor(/press Ctrl-C to stop/, 240_000);
    expect(again.output()).toContain('sync succeeded:');
    for (const step of ['customers', 'items', 'invoices', 'payments'])
      expect(again.output()).toMatch(
        new RegExp(`${step}\\s+succeeded\\s+from QuickBooks: 0 new, 0 updated; to QuickBooks: 0 new, 0 updated`),
      );
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  }, 300_000);
});

/** In the browser, with nothing but what `npm start` printed: sign in, reconnect the demo tenant, Synchronize All. */
async function newcomerInTheConsole(baseUrl: string, password: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
    await signIn(page, baseUrl, 'admin', password);
    await page.getByRole('link', { name: 'Demo company (emulator)' }).click();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('#disconnect').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
    await page.getByText(/Connected to QuickBooks company \d+\./).waitFor();
    expect(await synchronizeAll(page)).toBe('succeeded');
  } finally {
    await browser.close();
  }
}
