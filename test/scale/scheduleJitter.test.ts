import { ensureSchedule } from '../../activities/operations/schedule';
import { DEFAULT_SCHEDULE_JITTER_MS, scheduleJitterMs, scheduleSpec } from '../../activities/operations/scheduleSpec';
import { scheduleId } from '../../common/ids';
import { createStack, type Stack } from '../helpers/stack';
import { access } from '../operations/support';

/** Nightly schedules carry jitter, so a thousand companies set for 22:30 do not all start in the same second. */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('jitter');
});
afterAll(async () => stack?.close());

const schedule = { enabled: true, times: ['22:30', '01:30'], timeZone: 'America/Chicago' };

test('the jitter is a few minutes by default, QBSYNC_SCHEDULE_JITTER_MS changes it, a bad value is refused by name', () => {
  expect(DEFAULT_SCHEDULE_JITTER_MS).toBe(300_000);
  expect(scheduleSpec(schedule, {}).jitter).toBe(scheduleJitterMs());
  expect(scheduleJitterMs({})).toBe(300_000);
  expect(scheduleJitterMs({ QBSYNC_SCHEDULE_JITTER_MS: '90000' })).toBe(90_000);
  expect(scheduleJitterMs({ QBSYNC_SCHEDULE_JITTER_MS: '0' })).toBe(0);
  expect(() => scheduleJitterMs({ QBSYNC_SCHEDULE_JITTER_MS: '5m' })).toThrow(/QBSYNC_SCHEDULE_JITTER_MS is invalid/);
  expect(scheduleSpec(schedule, { jitterMs: 1234 }).jitter).toBe(1234);
});

test('on the real server: fires are spread within the jitter after their time; a changed jitter updates the schedule', async () => {
  const { tenantId } = await stack.addTenant();
  const db = stack.database.db;
  const options = { startAt: new Date('2100-01-01T00:00:00Z'), jitterMs: 10 * 60_000 };
  expect((await ensureSchedule(access(stack), db, tenantId, options)).change).toBe('created');
  const described = await stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).describe();
  expect(described.spec.jitter).toBe(10 * 60_000);
  const fires = described.info.nextActionTimes.slice(0, 6);
  // 22:30 and 01:30 Chicago (UTC-6 in winter) are 04:30 and 07:30 UTC; each fire lands 0–10 minutes after.
  const offsets = fires.map((d) => {
    const minutes = d.getUTCHours() * 60 + d.getUTCMinutes() + d.getUTCSeconds() / 60;
    const base = [4 * 60 + 30, 7 * 60 + 30].find((b) => minutes >= b && minutes < b + 10);
    expect(base).toBeDefined();
    return minutes - base!;
  });
  // Not all at the same offset: the server draws the delay per fire.
  expect(new Set(offsets.map((o) => o.toFixed(3))).size).toBeGreaterThan(1);

  expect((await ensureSchedule(access(stack), db, tenantId, options)).change).toBe('unchanged');
  expect((await ensureSchedule(access(stack), db, tenantId, { ...options, jitterMs: 60_000 })).change).toBe('updated');
  const updated = await stack.temporal.client.schedule.getHandle(scheduleId(tenantId)).describe();
  expect(updated.spec.jitter).toBe(60_000);
});
