import { ensureSchedule, type EnsuredSchedule } from '../activities/operations/schedule';
import type { Db } from '../schema/db';
import type { Config } from '../workers/config';
import { scheduleId } from '../common/ids';
import { temporalReachable, withTemporal } from './temporalAccess';

export function describeEnsured(ensured: EnsuredSchedule): string {
  return `schedule ${ensured.scheduleId} ${ensured.change}: ${ensured.times.join(', ')} ${ensured.timeZone}${ensured.paused ? ' (paused)' : ''}`;
}

/**
 * After `tenant add`, `tenant set` or `connect`: creates or updates the tenant's schedule when Temporal is there;
 * otherwise the next worker start does. Never fails the command that called it; returns the line to print.
 */
export async function ensureScheduleFromCli(config: Config, db: Db, tenantId: string): Promise<string | undefined> {
  if (config.QBSYNC_MANAGE_SCHEDULES !== 'true') return undefined;
  if (!(await temporalReachable(config)))
    return `schedule ${scheduleId(tenantId)}: Temporal is not running; the worker creates it when it starts`;
  try {
    return describeEnsured(await withTemporal(config, (temporal) => ensureSchedule(temporal, db, tenantId)));
  } catch (error) {
    return `schedule ${scheduleId(tenantId)} not updated (${(error as Error).message.split('\n')[0]}); the worker updates it when it starts`;
  }
}
