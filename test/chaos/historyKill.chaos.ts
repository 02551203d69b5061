import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { createStack, type Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { progressed, logSeq, resultOrStuck, seedBothSides, TWO_WAY_COMPANY, startRun } from './scenario';

/**
 * The history service of a real Temporal cluster (scripts/cluster.sh: frontend, history, matching and worker as
 * separate processes on PostgreSQL) SIGKILLed in the middle of a two-way run and started again: the shards it owned
 * are taken up again from PostgreSQL, the run carries on and finishes with both sides identical.
 *
 * The cluster is this file's own (its own directory, ports and databases), so it never meets one someone runs with
 * `npm run cluster`; it is dropped afterwards. Needs the Temporal server binaries (see scripts/cluster.sh): without
 * them the scenario is skipped.
 */
const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'cluster.sh');
const PORT = Number(process.env.QBSYNC_CHAOS_CLUSTER_PORT ?? 27233);
const clusterEnv = {
  ...process.env,
  // Named, not made: scripts/cluster.sh creates it on start and `drop` removes it (nothing is left when skipped).
  QBSYNC_CLUSTER_DIR: path.join(os.tmpdir(), `qbsync-chaos-cluster-${randomBytes(4).toString('hex')}`),
  QBSYNC_CLUSTER_PORT: String(PORT),
  QBSYNC_CLUSTER_DB: 'qbsync_temporal_chaos',
};
const run = promisify(execFile);
const cluster = (...args: string[]) => run('bash', [SCRIPT, ...args], { env: clusterEnv, cwd: ROOT });

function clusterAvailable(): boolean {
  try {
    execFileSync('bash', [SCRIPT, 'check'], { env: clusterEnv, stdio: 'pipe' });
    return true;
  } catch (error) {
    const why = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    console.warn(`history-kill scenario skipped: the Temporal cluster cannot start here (${why})`);
    return false;
  }
}

const maybe = clusterAvailable() ? describe : describe.skip;

maybe('a real Temporal cluster (scripts/cluster.sh)', () => {
  let stack: Stack;

  beforeAll(async () => {
    await cluster('start');
    // This file's stack talks to the cluster (jest gives each test file its own copy of process.env).
    process.env.TEMPORAL_TEST_ADDRESS = `127.0.0.1:${PORT}`;
    stack = await createStack('chaos_history');
  });
  afterAll(async () => {
    await stack?.close();
    await cluster('drop');
  });

  /** The run's history length, or undefined while the cluster cannot answer (its history service is down). */
  const historyLength = async (handle: WorkflowHandle) => {
    try {
      // A deadline per call: with the history service gone the frontend may hold the call until it gives up.
      const description = await stack.temporal.client.connection.withDeadline(Date.now() + 5_000, () =>
        handle.describe(),
      );
      return Number(description.raw.workflowExecutionInfo?.historyLength ?? 0);
    } catch {
      return undefined;
    }
  };

  test('the history service SIGKILLed mid-run and restarted: the run completes, both sides identical', async () => {
    const startedAt = Date.now();
    const { tenantId, realmId } = await stack.addTenant();
    await seedBothSides(stack, tenantId, realmId, TWO_WAY_COMPANY);
    const since = await logSeq(stack);
    const runStarted = Date.now();
    const handle = await startRun(stack, tenantId, 'history');
    const kills = 2;
    const killedAt: number[] = [];
    const recoveryMs: number[] = [];
    for (let i = 0; i < kills; i++) {
      // Well into the run: after a few pages, counted in QuickBooks requests (the second kill lands in the push).
      await progressed(stack, handle, since, 15 * (i + 1));
      const length = (await historyLength(handle))!;
      killedAt.push((await logSeq(stack, since)) - since);
      const killed = Date.now();
      await cluster('kill', 'history');
      await cluster('restart', 'history');
      // Recovered: the run's history grows again (a workflow or activity task completed through the new history).
      await until(
        'the run to make progress after the history service restarted',
        () => historyLength(handle),
        (n) => n !== undefined && n > length,
        { ms: 300_000, everyMs: 100 },
      );
      recoveryMs.push(Date.now() - killed);
    }
    const result = await resultOrStuck(handle);
    expect(result.status).toBe('succeeded');
    const runSeconds = (Date.now() - runStarted) / 1000;

    const total = (await logSeq(stack, since)) - since;
    expect(killedAt.every((n) => n > 0 && n < total)).toBe(true);
    const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    recordScenario({
      scenario: 'Temporal history service kill',
      what: 'on a real Temporal cluster (scripts/cluster.sh: frontend, history, matching, worker services as separate processes, PostgreSQL persistence), the history service SIGKILLed twice in the middle of a two-way run and restarted',
      disruptions: { 'history service kills and restarts': kills },
      notes: [
        `killed after ${killedAt.join(' and ')} of the run's ${total} QuickBooks requests`,
        `the run's history grew again ${recoveryMs.map(seconds).join(' s and ')} s after each kill (restart included); the run took ${runSeconds.toFixed(1)} s`,
      ],
      comparison,
      startedAt,
    });
    console.log(
      `History kill: ${summary(comparison)}; recovered in ${recoveryMs.map(seconds).join(', ')} s; run ${runSeconds.toFixed(1)} s`,
    );
    expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual(
      {
        duplicates: [],
        losses: [],
        mismatches: [],
      },
    );
    expect(comparison.recordsCompared).toBeGreaterThan(2500);
  });
});
