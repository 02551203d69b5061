import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { holdCursor, status } from './support';
import { until } from '../helpers/until';

/** `qbsync sync --wait` and `qbsync status` as a user runs them: real binary, real Temporal, PostgreSQL, emulator. */
let stack: Stack;
const children: ChildProcess[] = [];

beforeAll(async () => {
  stack = await createStack('synccli');
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.close();
});

test('sync --wait prints progress per step and exits 0; status shows the running step; a failing run exits 1 naming step, record and reason', async () => {
  const { tenantId } = await stack.addTenant({ seed: 'demo' });
  const env = stack.env;

  const ok = await runCli(['sync', tenantId, '--wait'], env, 120_000);
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain(`sync qbsync:${tenantId}:sync:1 of tenant ${tenantId} (manual) started`);
  expect(ok.stdout).toMatch(/ {2}customers +succeeded +pages \d+ +pull \+[1-9]\d*/);
  expect(ok.stdout).toMatch(/ {2}payments +succeeded/);
  expect(ok.stdout).toMatch(new RegExp(`qbsync:${tenantId}:sync:1 SUCCEEDED in \\d+\\.\\d s \\(manual;`));

  // While a run is held in the items step: live progress from --wait, and `status` names the step.
  const hold = await holdCursor(stack.database.url, tenantId, 'item');
  const waiting = startCli(['sync', tenantId, '--wait'], env);
  children.push(waiting.child);
  try {
    await waiting.waitFor(/customers +succeeded/);
    await until(
      'the run held in items',
      async () => ({ s: await status(stack, tenantId), w: await hold.waiting() }),
      (v) => v.s.current?.step === 'items' && v.w > 0,
    );
    const shown = await runCli(['status', tenantId], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(`tenant ${tenantId}: RUNNING qbsync:${tenantId}:sync:2 \\(manual, since [^)]+\\), step items`),
    );
    // Not the previous step's last entity: the held page has not reported yet.
    expect(shown.stdout).not.toContain('(customer push)');
    expect(shown.stdout).toMatch(/ {2}customers +succeeded +pages \d+/);
    expect(shown.stdout).toMatch(/ {2}items +running/);
    expect(shown.stdout).toMatch(new RegExp(`last run:\\n {2}qbsync:${tenantId}:sync:1 SUCCEEDED`));
    expect(shown.stdout).toContain('runs completed: 1');
    const json = JSON.parse((await runCli(['status', tenantId, '--json'], env)).stdout);
    expect(json.coordinator).toMatchObject({
      state: 'running',
      current: { number: 2, step: 'items' },
      runsCompleted: 1,
    });
    expect(json.schedule).toBeNull();
  } finally {
    await hold.release();
  }
  expect(await waiting.exited).toBe(0);
  expect(waiting.output()).toMatch(/ {2}items +succeeded/);
  expect(waiting.output()).toContain(`qbsync:${tenantId}:sync:2 SUCCEEDED`);

  // A record QuickBooks rejects: the run fails in items, the command says where, why and what to do, and exits 1.
  await stack.database.db
    .insertInto('items')
    .values({ tenant_id: tenantId, type: 'Service', name: 'Bad: name', unit_price: '3', income_account: '1' })
    .execute();
  const failed = await runCli(['sync', tenantId, '--wait'], env, 120_000);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toContain(`qbsync:${tenantId}:sync:3 FAILED`);
  expect(failed.stdout).toMatch(
    /failed in step items, record item "Bad: name" \(app \d+\) \[qbsync-name\]: [^\n]*contains a colon/,
  );
  expect(failed.stdout).toContain("what to do: rename it in the app without ':'");
  expect(failed.stdout).toMatch(/ {2}taxes +skipped/);
  expect(failed.stderr.trim()).toMatch(
    new RegExp(`^qbsync: the sync of tenant ${tenantId} failed in step items, record .*Bad: name`),
  );

  // The coordinator lives on: status shows the failure, and once the record is fixed the next run succeeds.
  const after = await runCli(['status', tenantId], env);
  expect(after.stdout).toMatch(new RegExp(`tenant ${tenantId}: IDLE`));
  expect(after.stdout).toContain(`qbsync:${tenantId}:sync:3 FAILED`);
  await stack.database.db
    .updateTable('items')
    .set({ name: 'Good name' })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', 'Bad: name')
    .execute();
  const fixed = await runCli(['sync', tenantId, '--wait', '--json'], env, 120_000);
  expect(fixed.code).toBe(0);
  expect(JSON.parse(fixed.stdout)).toMatchObject({ number: 4, outcome: 'succeeded', triggers: ['manual'] });

  const unknown = await runCli(['sync', 'no-such-tenant'], env);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('tenant no-such-tenant does not exist');
});
