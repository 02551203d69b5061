import globalSetup from '../helpers/globalSetup';
import globalTeardown from '../helpers/globalTeardown';
import { launchBrowser, type Browser } from './browser';
import { startConsoleStack, type ConsoleStack } from './consoleStack';

/**
 * The console stack outside jest (for `npm run screenshots` and bench/console.ts): the test suite's Temporal dev
 * server (or TEMPORAL_TEST_ADDRESS), a fresh database, the emulator, a worker, the server and a browser.
 */
export async function withConsole<T>(
  area: string,
  work: (c: ConsoleStack, browser: Browser) => Promise<T>,
  viewport?: { width: number; height: number },
): Promise<T> {
  await globalSetup();
  let c: ConsoleStack | undefined;
  let browser: Browser | undefined;
  try {
    [c, browser] = await Promise.all([startConsoleStack(area), launchBrowser({ viewport })]);
    return await work(c, browser);
  } finally {
    await browser?.close();
    await c?.close();
    await globalTeardown();
  }
}
