import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../workers/devServer';
import { ensureTemporalCli } from '../../workers/temporalCli';

declare global {
  var __QBSYNC_TEMPORAL__: DevServer | undefined;
}

/** One real Temporal dev server for the whole run; each test file isolates itself with its own task queue and database. */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEMPORAL_TEST_ADDRESS) return;
  const cliPath = await ensureTemporalCli((line) => console.error(line));
  const logFile = path.join(os.tmpdir(), `qbsync-test-temporal-${process.pid}.log`);
  const server = await startDevServer({
    cliPath,
    logFile,
    // Small enough that tests reach continue-as-new quickly; the real server suggests it at 4,096 events.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 },
  });
  globalThis.__QBSYNC_TEMPORAL__ = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_CLI = cliPath;
  fs.writeFileSync(path.join(os.tmpdir(), 'qbsync-test-temporal.address'), server.address);
}
