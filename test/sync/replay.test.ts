import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { runCli } from '../helpers/cli';
import { createStack } from '../helpers/stack';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');

/**
 * Recorded histories of syncTenant (a success over the demo company and a failure in the items step) replayed
 * against today's workflow code: a change that would break running workflows fails here. Each generation of the
 * workflow keeps its recordings: `syncTenant-*` (a page per activity), `syncTenant-steps-*` (a step per activity).
 * RECORD_HISTORIES=1 records the current generation under RECORD_PREFIX (default `syncTenant-steps`); only for a
 * deliberate, versioned change — never overwrite an older generation.
 */
const PREFIX = process.env.RECORD_PREFIX ?? 'syncTenant-steps';
/** The key histories are recorded with (payloads are encrypted as in production); a test key, not a secret. */
const RECORDING_KEY = Buffer.alloc(32, 'qbsync-recorded-histories').toString('base64');
const replayEnv = { QBSYNC_ENCRYPTION_KEY: RECORDING_KEY };
const fixtures = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')) : [];

test('there are recorded histories to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(4);
});

// Replayed by `qbsync replay` in its own process: protobufjs' JSON loader cannot cross jest's module registries.
test('every recorded history replays against the current workflow code', async () => {
  const result = await runCli(['replay', ...fixtures.map((f) => path.join(DIR, f))], replayEnv, 120_000);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  for (const f of fixtures) expect(result.stdout).toContain(`ok   ${f}`);
});

test('a workflow change that breaks replay is caught', async () => {
  // The success history with one activity swapped for another, as a careless edit of syncTenant would record it.
  const history = fs.readFileSync(path.join(DIR, 'syncTenant-success.json'), 'utf8');
  const broken = history.replace(/"name":\s*"beginSyncStep"/, '"name": "endSyncStep"');
  expect(broken).not.toBe(history);
  const file = path.join(os.tmpdir(), `broken-${process.pid}.json`);
  fs.writeFileSync(file, broken);
  const result = await runCli(['replay', file], replayEnv, 120_000);
  expect(result.code).not.toBe(0);
  expect(result.stdout).toMatch(/FAIL broken-\d+\.json: .*[Nn]ondetermin/);
});

test('a step-per-activity history driven by per-page activities is caught too', async () => {
  // The newer generation with its step activity swapped for the older page activity: the marker alone must not hide it.
  const history = fs.readFileSync(path.join(DIR, 'syncTenant-steps-success.json'), 'utf8');
  const broken = history.replace(/"name":\s*"syncStep"/, '"name": "syncPage"');
  expect(broken).not.toBe(history);
  const file = path.join(os.tmpdir(), `broken-steps-${process.pid}.json`);
  fs.writeFileSync(file, broken);
  const result = await runCli(['replay', file], replayEnv, 120_000);
  expect(result.code).not.toBe(0);
  expect(result.stdout).toMatch(/FAIL broken-steps-\d+\.json: .*[Nn]ondetermin/);
});

/** The history in Temporal's standard JSON, as the CLI writes it. */
function exportHistory(workflowId: string): string {
  return execFileSync(
    process.env.TEMPORAL_TEST_CLI!,
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      process.env.TEMPORAL_TEST_ADDRESS!,
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
}

(process.env.RECORD_HISTORIES === '1' ? test : test.skip)('records fresh histories', async () => {
  const stack = await createStack('record', { encryptionKey: RECORDING_KEY });
  try {
    const { tenantId } = await stack.addTenant({ seed: 'demo' });
    const handle = await stack.temporal.client.workflow.start('syncTenant', {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `record-success-${tenantId}`,
      args: [{ tenantId, trigger: 'manual' }],
    });
    await handle.result();
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, `${PREFIX}-success.json`), exportHistory(handle.workflowId));
    await stack.database.db
      .insertInto('items')
      .values({ tenant_id: tenantId, type: 'Service', name: 'Bad: name', unit_price: '1', income_account: '1' })
      .execute();
    const failing = await stack.temporal.client.workflow.start('syncTenant', {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `record-failure-${tenantId}`,
      args: [{ tenantId, trigger: 'manual' }],
    });
    await failing.result().catch(() => undefined);
    fs.writeFileSync(path.join(DIR, `${PREFIX}-items-failure.json`), exportHistory(failing.workflowId));
  } finally {
    await stack.close();
  }
});
