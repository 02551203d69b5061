import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../workers/devServer';
import { createStack, type Stack } from '../helpers/stack';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { until } from '../helpers/until';
import { progressed, logSeq, seedBothSides, TWO_WAY_COMPANY, startRun } from './scenario';

/**
 * The Temporal server killed (SIGKILL) in the middle of a run and started again on the same port and the same SQLite
 * file: the run picks up where the server's persisted state says it was, and finishes with both sides identical.
 */
let server: DevServer | undefined;
let stack: Stack;
let port: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-chaos-temporal-'));
const dbFilename = path.join(dir, 'temporal.db');
const cliPath = () => process.env.TEMPORAL_TEST_CLI!;

async function startServer(): Promise<DevServer> {
  return startDevServer({ cliPath: cliPath(), port, dbFilename, logFile: path.join(dir, 'server.log') });
}

async function killServer(s: DevServer): Promise<void> {
  process.kill(s.pid, 'SIGKILL');
  await until(
    'the killed Temporal server to exit',
    async () => {
      try {
        process.kill(s.pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    (gone) => gone,
    { ms: 30_000 },
  );
}

beforeAll(async () => {
  port = await (await import('../../workers/devServer')).freePort();
  server = await startServer();
  // This file's stack talks to its own server (jest gives each test file its own copy of process.env).
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  stack = await createStack('chaos_temporal');
});
afterAll(async () => {
  await stack?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Temporal server SIGKILLed mid-run and restarted on the same state: the run completes, both sides identical', async () => {
  const startedAt = Date.now();
  const { tenantId, realmId } = await stack.addTenant();
  await seedBothSides(stack, tenantId, realmId, TWO_WAY_COMPANY);
  const since = await logSeq(stack);
  const handle = await startRun(stack, tenantId, 'temporal');
  const restarts = 2;
  const killedAt: number[] = [];
  for (let i = 0; i < restarts; i++) {
    // Well into the run: after a few pages (the second restart lands in the app → QuickBooks invoices).
    await progressed(stack, handle, since, 15 * (i + 1));
    killedAt.push((await logSeq(stack, since)) - since);
    await killServer(server!);
    server = await startServer();
  }
  const result = await handle.result();
  expect(result.status).toBe('succeeded');

  const total = (await logSeq(stack, since)) - since;
  // The kills landed mid-run: QuickBooks requests made before each kill, of the run's total.
  expect(killedAt.every((n) => n > 0 && n < total)).toBe(true);
  const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
  recordScenario({
    scenario: 'Temporal server restart',
    what: 'the Temporal dev server (persisting to SQLite) SIGKILLed twice in the middle of a two-way run and restarted on the same port and state',
    disruptions: { 'server kills and restarts': restarts },
    notes: [`killed after ${killedAt.join(' and ')} of the run's ${total} QuickBooks requests`],
    comparison,
    startedAt,
  });
  console.log(`Temporal restart: ${summary(comparison)}`);
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
  expect(comparison.recordsCompared).toBeGreaterThan(2500);
});
