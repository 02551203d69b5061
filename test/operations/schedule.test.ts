import { getTenant, setTenant } from '../../activities/connection/tenants';
import { DISABLED_NOTE, ensureSchedule } from '../../activities/operations/schedule';
import { scheduleId } from '../../common/ids';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess } from '../helpers/workerProcess';
import { access } from './support';
import { until } from '../helpers/until';

/** Tenants' Temporal Schedules, on the real Temporal server: fire times as the server computes them, and upkeep. */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('schedule');
});
afterAll(async () => stack?.close());

const describe_ = (tenantId: string) => stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).describe();
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

test('the default 22:30 and 01:30 America/Chicago fire at the right UTC instants across both 2027 daylight-saving changes', async () => {
  const { tenantId } = await stack.addTenant();

  // Spring forward, Sunday 2027-03-14 02:00 CST → 03:00 CDT: 01:30 is still CST (07:30Z), 22:30 that evening is CDT.
  const spring = await ensureSchedule(access(stack), stack.database.db, tenantId, {
    startAt: new Date('2027-03-13T12:00:00Z'),
    jitterMs: 0, // exact fire times
  });
  expect(spring).toMatchObject({
    change: 'created',
    paused: false,
    times: ['01:30', '22:30'],
    timeZone: 'America/Chicago',
  });
  expect(iso((await describe_(tenantId)).info.nextActionTimes).slice(0, 5)).toEqual([
    '2027-03-14T04:30:00.000Z', // Sat 13th 22:30 CST
    '2027-03-14T07:30:00.000Z', // Sun 14th 01:30 CST, half an hour before the change
    '2027-03-15T03:30:00.000Z', // Sun 14th 22:30 CDT
    '2027-03-15T06:30:00.000Z', // Mon 15th 01:30 CDT
    '2027-03-16T03:30:00.000Z',
  ]);

  // Fall back, Sunday 2027-11-07 02:00 CDT → 01:00 CST: the wall clock shows 01:30 twice, and Temporal fires at both.
  const fall = await ensureSchedule(access(stack), stack.database.db, tenantId, {
    startAt: new Date('2027-11-06T12:00:00Z'),
    jitterMs: 0,
  });
  expect(fall.change).toBe('updated');
  expect(iso((await describe_(tenantId)).info.nextActionTimes).slice(0, 6)).toEqual([
    '2027-11-07T03:30:00.000Z', // Sat 6th 22:30 CDT
    '2027-11-07T06:30:00.000Z', // Sun 7th 01:30 CDT
    '2027-11-07T07:30:00.000Z', // Sun 7th 01:30 CST, the repeated hour (the coordinator makes it a short follow-up)
    '2027-11-08T04:30:00.000Z', // Sun 7th 22:30 CST
    '2027-11-08T07:30:00.000Z', // Mon 8th 01:30 CST
    '2027-11-09T04:30:00.000Z',
  ]);
});

test("ensureSchedule is idempotent, follows times, time zone and on/off, and leaves an operator's pause alone", async () => {
  const { tenantId } = await stack.addTenant();
  const db = stack.database.db;
  const temporal = access(stack);
  const future = { startAt: new Date('2100-01-01T00:00:00Z'), jitterMs: 0 };

  expect((await ensureSchedule(temporal, db, tenantId, future)).change).toBe('created');
  const created = await describe_(tenantId);
  expect((await ensureSchedule(temporal, db, tenantId, future)).change).toBe('unchanged');
  expect((await describe_(tenantId)).info.lastUpdatedAt).toEqual(created.info.lastUpdatedAt);
  expect(created.policies.overlap).toBe('BUFFER_ONE');
  expect(created.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'scheduledSync',
    taskQueue: stack.temporal.taskQueue,
    args: [{ tenantId }],
  });

  await setTenant(db, tenantId, ['schedule.times=["23:05","04:10","23:05"]', 'schedule.timeZone=Europe/Berlin']);
  expect(await ensureSchedule(temporal, db, tenantId, future)).toMatchObject({
    change: 'updated',
    times: ['04:10', '23:05'],
    timeZone: 'Europe/Berlin',
    paused: false,
  });
  const moved = await describe_(tenantId);
  expect(moved.spec.timezone).toBe('Europe/Berlin');
  // 2100-01-01 is winter in Berlin (UTC+1).
  expect(iso(moved.info.nextActionTimes).slice(0, 2)).toEqual(['2100-01-01T03:10:00.000Z', '2100-01-01T22:05:00.000Z']);
  expect((await ensureSchedule(temporal, db, tenantId, future)).change).toBe('unchanged');

  await setTenant(db, tenantId, ['schedule.enabled=false']);
  expect(await ensureSchedule(temporal, db, tenantId, future)).toMatchObject({ change: 'updated', paused: true });
  expect((await describe_(tenantId)).state).toMatchObject({ paused: true, note: DISABLED_NOTE });
  expect((await ensureSchedule(temporal, db, tenantId, future)).change).toBe('unchanged');
  await setTenant(db, tenantId, ['schedule.enabled=true']);
  expect(await ensureSchedule(temporal, db, tenantId, future)).toMatchObject({ change: 'updated', paused: false });
  expect((await describe_(tenantId)).state.paused).toBe(false);

  // Paused in Temporal Web by an operator: a worker restart (ensureSchedule) does not undo it.
  await stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).pause('maintenance window');
  expect(await ensureSchedule(temporal, db, tenantId, future)).toMatchObject({ change: 'unchanged', paused: true });
  expect((await describe_(tenantId)).state).toMatchObject({ paused: true, note: 'maintenance window' });
});

test("the CLI: tenant set moves the schedule, schedule pause/resume/show, and a worker creates every tenant's schedule when it starts", async () => {
  // No jitter: the CLI's "next fires" are checked to the minute.
  const env = { ...stack.env, QBSYNC_MANAGE_SCHEDULES: 'true', LOG_LEVEL: 'warn', QBSYNC_SCHEDULE_JITTER_MS: '0' };
  const { tenantId } = await stack.addTenant();
  const { tenantId: other } = await stack.addTenant({ settings: { schedule: { enabled: false } } });

  // No schedule yet: a worker process creates both (the second paused) as it starts.
  const worker = await startWorkerProcess(stack, {
    env: { QBSYNC_MANAGE_SCHEDULES: 'true', QBSYNC_SCHEDULE_JITTER_MS: '0' },
  });
  try {
    await until(
      'both schedules',
      async () => [await describe_(tenantId), await describe_(other)],
      () => true,
      { ms: 30_000 },
    );
  } finally {
    await worker.stop();
  }
  expect((await describe_(tenantId)).state.paused).toBe(false);
  expect((await describe_(other)).state).toMatchObject({ paused: true, note: DISABLED_NOTE });

  const set = await runCli(['tenant', 'set', tenantId, 'schedule.times=["21:15"]'], env);
  expect(set.stderr).toBe('');
  expect(set.stdout).toContain(`schedule ${scheduleId(tenantId)} updated: 21:15 America/Chicago`);
  const afterSet = await describe_(tenantId);
  expect(afterSet.spec.calendars).toEqual([
    expect.objectContaining({ hour: [{ start: 21, end: 21, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] }),
  ]);
  // Unrelated settings leave the schedule alone (no Temporal call at all).
  const unrelated = await runCli(['tenant', 'set', tenantId, 'onRecordError=skip'], env);
  expect(unrelated.stdout).not.toContain('schedule');

  const paused = await runCli(['schedule', tenantId, 'pause'], env);
  expect(paused.code).toBe(0);
  expect(paused.stdout).toContain('PAUSED');
  expect((await getTenant(stack.database.db, tenantId)).settings.schedule.enabled).toBe(false);
  expect((await describe_(tenantId)).state.paused).toBe(true);

  const resumed = await runCli(['schedule', tenantId, 'resume'], env);
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toMatch(/21:15 America\/Chicago, active/);
  expect(resumed.stdout).toMatch(
    /next fires:\n\s+\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z\s+\(\d{4}-\d\d-\d\d 21:15 C[SD]T\)/,
  );
  expect((await getTenant(stack.database.db, tenantId)).settings.schedule.enabled).toBe(true);

  const show = await runCli(['schedule', tenantId, 'show', '--json'], env);
  expect(JSON.parse(show.stdout)).toMatchObject({
    scheduleId: scheduleId(tenantId),
    paused: false,
    times: ['21:15'],
    timeZone: 'America/Chicago',
  });

  const bad = await runCli(['schedule', tenantId, 'explode'], env);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('unknown schedule action "explode": use show, pause, resume, trigger');
  for (const command of ['sync', 'status', 'schedule'])
    expect((await runCli([command, '--help'], env)).stdout).toContain(`Usage: qbsync ${command}`);
});
