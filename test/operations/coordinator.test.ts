import { requestSync } from '../../activities/operations/requestSync';
import { ensureSchedule, SCHEDULE_OVERLAP } from '../../activities/operations/schedule';
import { TENANT } from '../../workers/searchAttributes';
import { synchronizeAll, tenantCoordinator } from '../../workflows/coordinator';
import { coordinatorId, scheduleId } from '../../common/ids';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { access, expectSequential, holdCursor, settled, signalWithTemporalCli, status, syncRuns } from './support';
import { until } from '../helpers/until';

/**
 * The per-tenant coordinator on the real Temporal server, PostgreSQL and the emulator: one sync at a time, every
 * request during a run folded into exactly one follow-up, state kept across continue-as-new. Runs are held in a step
 * by a PostgreSQL row lock (released by the test), never by sleeping.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('coordinator');
});
afterAll(async () => stack?.close());

const coordinator = (tenantId: string) => stack.temporal.client.workflow.getHandle(coordinatorId(tenantId));

/** The run is inside `step` and its page is waiting on the held row. */
async function heldIn(tenantId: string, step: string, hold: { waiting(): Promise<number> }, number: number) {
  const seen = await until(
    `run ${number} held in ${step}`,
    async () => ({ status: await status(stack, tenantId), waiting: await hold.waiting() }),
    (v) => v.status.current?.number === number && v.status.current.step === step && v.waiting > 0,
  );
  return seen.status;
}

test('a signal while idle starts a run; two signals during a run give exactly one follow-up; status shows the running step and progress', async () => {
  const { tenantId } = await stack.addTenant({ seed: 'demo' });

  // Nothing runs the coordinator yet: the request starts it, and it runs at once.
  await requestSync(access(stack), { tenantId, trigger: 'manual', requestId: 'first' });
  const first = await settled(stack, tenantId, 1);
  expect(first.lastRun).toMatchObject({
    number: 1,
    workflowId: `qbsync:${tenantId}:sync:1`,
    outcome: 'succeeded',
    triggers: ['manual'],
    requestIds: ['first'],
  });
  expect(first.lastRun!.steps.map((s) => s.status)).toEqual([
    'succeeded',
    'succeeded',
    'succeeded',
    'succeeded',
    'succeeded',
  ]);
  expect(first.lastRun!.steps[0].pulled.created).toBeGreaterThan(0);

  const hold = await holdCursor(stack.database.url, tenantId, 'item');
  try {
    // Idle again: a bare signal, as `temporal workflow signal` or Temporal Web's button sends it (no argument).
    await signalWithTemporalCli(tenantId);
    const running = await heldIn(tenantId, 'items', hold, 2);
    expect(running).toMatchObject({ state: 'running', pendingFollowUp: false, runsCompleted: 1 });
    expect(running.current).toMatchObject({
      workflowId: `qbsync:${tenantId}:sync:2`,
      triggers: ['signal'],
      step: 'items',
    });
    expect(running.current!.syncRunId).toMatch(/^[0-9a-f-]{36}$/);
    expect(running.current!.steps.map((s) => [s.step, s.status])).toEqual([
      ['customers', 'succeeded'],
      ['items', 'running'],
      ['taxes', 'pending'],
      ['invoices', 'pending'],
      ['payments', 'pending'],
    ]);
    expect(running.current!.steps[0].pages).toBeGreaterThan(0);

    await signalWithTemporalCli(tenantId);
    await coordinator(tenantId).signal(synchronizeAll, { trigger: 'manual' });
    const queued = await until(
      'both requests folded into one pending run',
      () => status(stack, tenantId),
      (s) => s.pending?.requests === 2,
    );
    expect(queued).toMatchObject({
      state: 'running',
      pendingFollowUp: true,
      pending: { requests: 2, triggers: ['signal', 'manual'] },
    });
    expect(queued.current!.number).toBe(2);
    expect(await hold.waiting()).toBe(1);
  } finally {
    await hold.release();
  }

  const done = await settled(stack, tenantId, 3);
  expect(done.recentRuns.map((r) => [r.number, r.outcome, r.triggers, r.requests])).toEqual([
    [3, 'succeeded', ['signal', 'manual'], 2],
    [2, 'succeeded', ['signal'], 1],
    [1, 'succeeded', ['manual'], 1],
  ]);
  const runs = await until(
    'three closed runs in Temporal',
    () => syncRuns(stack.temporal.client, tenantId),
    (r) => r.length === 3 && r.every((x) => x.closeTime),
  );
  expect(runs.map((r) => [r.workflowId, r.status, r.trigger])).toEqual([
    [`qbsync:${tenantId}:sync:1`, 'COMPLETED', 'manual'],
    [`qbsync:${tenantId}:sync:2`, 'COMPLETED', 'signal'],
    [`qbsync:${tenantId}:sync:3`, 'COMPLETED', 'signal'],
  ]);
  expectSequential(runs);
  // Each child's first run id is its sync_runs id, so `qbsync history` and the status agree.
  const history = await stack.database.db
    .selectFrom('sync_runs')
    .select(['id', 'workflow_id'])
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at')
    .execute();
  expect(history.map((h) => [h.workflow_id, h.id])).toEqual(
    [...done.recentRuns].reverse().map((r) => [r.workflowId, r.syncRunId]),
  );
});

test('a scheduled fire during a manual run does not overlap it: it becomes the one follow-up run', async () => {
  const { tenantId } = await stack.addTenant({ seed: 'demo' });
  // Nothing fires by itself before 2100; `trigger` fires it now.
  await ensureSchedule(access(stack), stack.database.db, tenantId, { startAt: new Date('2100-01-01T00:00:00Z') });

  const hold = await holdCursor(stack.database.url, tenantId, 'item');
  try {
    const manual = await runCli(['sync', tenantId], stack.env);
    expect(manual.code).toBe(0);
    expect(manual.stdout).toContain(`requested a sync of tenant ${tenantId} from qbsync:${tenantId}`);
    await heldIn(tenantId, 'items', hold, 1);

    await stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).trigger(SCHEDULE_OVERLAP);
    const queued = await until(
      'the scheduled fire waiting behind the manual run',
      () => status(stack, tenantId),
      (s) => !!s.pending?.triggers.includes('schedule'),
    );
    expect(queued.current).toMatchObject({ number: 1, triggers: ['manual'] });
    expect(await hold.waiting()).toBe(1);
  } finally {
    await hold.release();
  }

  const done = await settled(stack, tenantId, 2);
  expect(done.recentRuns.map((r) => [r.number, r.outcome, r.triggers])).toEqual([
    [2, 'succeeded', ['schedule']],
    [1, 'succeeded', ['manual']],
  ]);
  const runs = await until(
    'two closed runs in Temporal',
    () => syncRuns(stack.temporal.client, tenantId),
    (r) => r.length === 2 && r.every((x) => x.closeTime),
  );
  expect(runs.map((r) => r.trigger)).toEqual(['manual', 'schedule']);
  expectSequential(runs);
  const schedule = await stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).describe();
  expect(schedule.info.numActionsTaken).toBe(1);
  expect(schedule.info.recentActions[0].action.workflow.workflowId).toMatch(
    new RegExp(`^qbsync:${tenantId}:scheduled-`),
  );
});

test('continue-as-new keeps the status and the requests waiting for the follow-up run', async () => {
  const { tenantId } = await stack.addTenant({ seed: 'demo' });
  const client = stack.temporal.client;
  const itemHold = await holdCursor(stack.database.url, tenantId, 'item');
  let customerHold: Awaited<ReturnType<typeof holdCursor>> | undefined;
  let firstRunId: string;
  try {
    // A threshold low enough that the coordinator continues as new right after its first run.
    const started = await client.workflow.signalWithStart(tenantCoordinator, {
      workflowId: coordinatorId(tenantId),
      taskQueue: stack.temporal.taskQueue,
      args: [{ tenantId, continueAsNewAfter: 40 }],
      signal: synchronizeAll,
      signalArgs: [{ trigger: 'manual', requestId: 'r1' }],
    });
    firstRunId = started.signaledRunId;
    await heldIn(tenantId, 'items', itemHold, 1);
    await coordinator(tenantId).signal(synchronizeAll, { trigger: 'manual', requestId: 'r2' });
    await coordinator(tenantId).signal(synchronizeAll, { requestId: 'r3' });
    // A repeated request id (a retried signal) counts once.
    await coordinator(tenantId).signal(synchronizeAll, { trigger: 'manual', requestId: 'r2' });
    await until(
      'two requests pending',
      () => status(stack, tenantId),
      (s) => s.pending?.requests === 2,
    );
    // Run 1 is past customers, so this holds only the next run, inside its customers step.
    customerHold = await holdCursor(stack.database.url, tenantId, 'customer');
  } finally {
    await itemHold.release();
  }

  try {
    const resumed = await heldIn(tenantId, 'customers', customerHold, 2);
    const described = await coordinator(tenantId).describe();
    expect(described.runId).not.toBe(firstRunId!);
    // Still found by tenant in Temporal Web after continuing as new.
    expect(described.typedSearchAttributes.get(TENANT)).toBe(tenantId);
    expect((await client.workflow.getHandle(coordinatorId(tenantId), firstRunId!).describe()).status.name).toBe(
      'CONTINUED_AS_NEW',
    );
    // The follow-up run serves exactly the requests that waited across continue-as-new; run 1's result is still there.
    expect(resumed.current).toMatchObject({
      number: 2,
      requests: 2,
      requestIds: ['r2', 'r3'],
      triggers: ['manual', 'signal'],
    });
    expect(resumed.runsCompleted).toBe(1);
    expect(resumed.lastRun).toMatchObject({ number: 1, outcome: 'succeeded', requestIds: ['r1'] });

    await coordinator(tenantId).signal(synchronizeAll, { trigger: 'manual', requestId: 'r4' });
    await until(
      'r4 pending on the new run',
      () => status(stack, tenantId),
      (s) => s.pending?.requests === 1,
    );
  } finally {
    await customerHold?.release();
  }

  const done = await settled(stack, tenantId, 3);
  expect(done.recentRuns.map((r) => [r.number, r.requestIds])).toEqual([
    [3, ['r4']],
    [2, ['r2', 'r3']],
    [1, ['r1']],
  ]);
  const runs = await until(
    'three closed runs in Temporal',
    () => syncRuns(client, tenantId),
    (r) => r.length === 3 && r.every((x) => x.closeTime),
  );
  expect(runs.map((r) => r.workflowId)).toEqual([1, 2, 3].map((n) => `qbsync:${tenantId}:sync:${n}`));
  expectSequential(runs);
});
