import type { CalendarSpec, ScheduleSpec, ScheduleSpecDescription } from '@temporalio/client';
import type { TenantSettings } from '../connection/tenantSettings';

/**
 * A calendar entry per configured time, in the tenant's time zone. Temporal matches wall-clock times literally: on the
 * spring-forward night a time inside the skipped hour does not fire, on the fall-back night a time inside the
 * repeated hour fires twice (the defaults, 22:30 and 01:30, skip nothing; 01:30 repeats once a year, which the
 * coordinator turns into a short follow-up run).
 */
export function scheduleSpec(
  schedule: TenantSettings['schedule'],
  options: { startAt?: Date; jitterMs?: number } = {},
): ScheduleSpec {
  const calendars: CalendarSpec[] = sortedTimes(schedule.times).map((time) => {
    const [hour, minute] = time.split(':').map(Number);
    return { hour, minute, comment: time };
  });
  return {
    calendars,
    timezone: schedule.timeZone,
    jitter: options.jitterMs ?? scheduleJitterMs(),
    ...(options.startAt ? { startAt: options.startAt } : {}),
  };
}

/** A few minutes, so a thousand companies scheduled at 22:30 do not all start in the same second. */
export const DEFAULT_SCHEDULE_JITTER_MS = 5 * 60_000;

/**
 * How far after its time each fire may start (a random delay from 0 to this, drawn by Temporal per fire):
 * QBSYNC_SCHEDULE_JITTER_MS (whole milliseconds, 0 for none), default 5 minutes. workers/config.ts validates it.
 */
export function scheduleJitterMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QBSYNC_SCHEDULE_JITTER_MS?.trim();
  if (!raw) return DEFAULT_SCHEDULE_JITTER_MS;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new RangeError(
      `QBSYNC_SCHEDULE_JITTER_MS is invalid: expected whole milliseconds ≥ 0, got ${JSON.stringify(raw)}`,
    );
  return ms;
}

export function sortedTimes(times: string[]): string[] {
  return [...new Set(times)].sort();
}

/** The HH:MM times a described schedule fires at (as `scheduleSpec` wrote them), for comparing with the settings. */
export function describedTimes(spec: ScheduleSpecDescription): string[] | undefined {
  const times: string[] = [];
  for (const calendar of spec.calendars ?? []) {
    const [hour, minute] = [calendar.hour, calendar.minute];
    // Anything but one hour and one minute was not written by scheduleSpec: report it as different.
    if (
      hour?.length !== 1 ||
      minute?.length !== 1 ||
      hour[0].start !== hour[0].end ||
      minute[0].start !== minute[0].end
    )
      return undefined;
    times.push(`${String(hour[0].start).padStart(2, '0')}:${String(minute[0].start).padStart(2, '0')}`);
  }
  if (spec.intervals?.length) return undefined;
  return sortedTimes(times);
}
