import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Db } from '../../schema/db';
import type { Logger } from '../../workers/logger';
import { TENANT, TRIGGER } from '../../workers/searchAttributes';
import { scheduledSyncId, scheduleId, WORKFLOW_TYPES } from '../../common/ids';
import { getTenant, listTenants } from '../connection/tenants';
import type { TenantSettings } from '../connection/tenantSettings';
import type { TemporalAccess } from './requestSync';
import { describedTimes, scheduleSpec, sortedTimes } from './scheduleSpec';

/**
 * A fire only signals the coordinator, which never overlaps runs; buffering one fire keeps a request made while the
 * previous fire is still waiting for a worker, without piling up a night's worth of them. Used for `trigger()` too.
 */
export const SCHEDULE_OVERLAP = ScheduleOverlapPolicy.BUFFER_ONE;
/** Fires missed while Temporal was down are taken when it is back within this window (one, per the overlap policy). */
const CATCHUP_WINDOW = '2 hours';
/** The pause note qbsync writes when a tenant's `schedule.enabled` is false; a pause with any other note is an operator's. */
export const DISABLED_NOTE = 'disabled in tenant settings (schedule.enabled=false)';
const ENABLED_NOTE = 'enabled in tenant settings (schedule.enabled=true)';

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

export interface EnsureScheduleOptions {
  /** No fire before this time (tests use it to look at fire times across a DST change). */
  startAt?: Date;
  /** Random delay of each fire, 0 to this; default QBSYNC_SCHEDULE_JITTER_MS or 5 minutes (scheduleSpec.ts). */
  jitterMs?: number;
}

export interface EnsuredSchedule {
  scheduleId: string;
  change: ScheduleChange;
  paused: boolean;
  times: string[];
  timeZone: string;
}

function scheduleOptions(
  temporal: TemporalAccess,
  tenantId: string,
  schedule: TenantSettings['schedule'],
  options: EnsureScheduleOptions,
): ScheduleOptions {
  return {
    scheduleId: scheduleId(tenantId),
    spec: scheduleSpec(schedule, options),
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.scheduledSync,
      workflowId: scheduledSyncId(tenantId),
      taskQueue: temporal.taskQueue,
      args: [{ tenantId }],
      typedSearchAttributes: [
        { key: TENANT, value: tenantId },
        { key: TRIGGER, value: 'schedule' },
      ],
      // Until the next fire at the latest: a fire that finds no worker for that long is given up.
      workflowExecutionTimeout: '3 hours',
      staticSummary: `scheduled "Synchronize All" of tenant ${tenantId}`,
    },
    policies: { overlap: SCHEDULE_OVERLAP, catchupWindow: CATCHUP_WINDOW },
    typedSearchAttributes: [{ key: TENANT, value: tenantId }],
    state: schedule.enabled ? {} : { paused: true, note: DISABLED_NOTE },
  };
}

/** Whether the described schedule already does what the options say (pause state aside). */
function sameSchedule(current: ScheduleDescription, desired: ScheduleOptions): boolean {
  const action = current.action;
  return (
    JSON.stringify(describedTimes(current.spec)) ===
      JSON.stringify(sortedTimes(desired.spec.calendars!.map((c) => c.comment!))) &&
    (current.spec.timezone ?? 'UTC') === desired.spec.timezone &&
    (current.spec.startAt?.getTime() ?? null) === (desired.spec.startAt?.getTime() ?? null) &&
    (current.spec.jitter ?? 0) === desired.spec.jitter &&
    action.type === 'startWorkflow' &&
    action.workflowType === WORKFLOW_TYPES.scheduledSync &&
    action.workflowId === desired.action.workflowId &&
    action.taskQueue === desired.action.taskQueue &&
    current.policies.overlap === SCHEDULE_OVERLAP
  );
}

/**
 * The pause state the schedule should have. `schedule.enabled=false` pauses it; turning it back on resumes only a
 * pause qbsync made, so a pause an operator made in Temporal Web survives a worker restart.
 */
function wantedState(current: ScheduleDescription['state'], enabled: boolean): { paused: boolean; note?: string } {
  if (!enabled) return current.paused ? { paused: true, note: current.note } : { paused: true, note: DISABLED_NOTE };
  if (current.paused && current.note === DISABLED_NOTE) return { paused: false, note: ENABLED_NOTE };
  return { paused: current.paused, note: current.note };
}

async function describe(temporal: TemporalAccess, id: string): Promise<ScheduleDescription | undefined> {
  try {
    return await temporal.client.schedule.getHandle(id).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Creates the tenant's schedule, or brings it in line with the tenant's settings (times, time zone, on/off) and the
 * worker's task queue. Calling it again with nothing changed changes nothing.
 */
export async function ensureSchedule(
  temporal: TemporalAccess,
  db: Db,
  tenantId: string,
  options: EnsureScheduleOptions = {},
): Promise<EnsuredSchedule> {
  const { schedule } = (await getTenant(db, tenantId)).settings;
  const desired = scheduleOptions(temporal, tenantId, schedule, options);
  const result = (change: ScheduleChange, paused: boolean): EnsuredSchedule => ({
    scheduleId: desired.scheduleId,
    change,
    paused,
    times: sortedTimes(schedule.times),
    timeZone: schedule.timeZone,
  });

  let current = await describe(temporal, desired.scheduleId);
  if (!current) {
    try {
      await temporal.client.schedule.create(desired);
      return result('created', !schedule.enabled);
    } catch (error) {
      // Another process created it first; from here on it is an update like any other.
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      current = await describe(temporal, desired.scheduleId);
      if (!current) throw error;
    }
  }

  const state = wantedState(current.state, schedule.enabled);
  const handle = temporal.client.schedule.getHandle(desired.scheduleId);
  if (!sameSchedule(current, desired)) {
    await handle.update(() => ({
      spec: desired.spec,
      action: desired.action,
      policies: desired.policies,
      typedSearchAttributes: desired.typedSearchAttributes,
      state,
    }));
    return result('updated', state.paused);
  }
  if (state.paused !== current.state.paused) {
    if (state.paused) await handle.pause(state.note);
    else await handle.unpause(state.note);
    return result('updated', state.paused);
  }
  return result('unchanged', current.state.paused);
}

/** At worker start: every tenant's schedule, each on its own (one tenant's failure is logged, the others go on). */
export async function ensureAllSchedules(temporal: TemporalAccess, db: Db, logger: Logger): Promise<EnsuredSchedule[]> {
  const ensured: EnsuredSchedule[] = [];
  for (const tenant of await listTenants(db)) {
    try {
      const schedule = await ensureSchedule(temporal, db, tenant.id);
      if (schedule.change !== 'unchanged')
        logger.info(
          {
            tenantId: tenant.id,
            scheduleId: schedule.scheduleId,
            change: schedule.change,
            times: schedule.times,
            timeZone: schedule.timeZone,
            paused: schedule.paused,
          },
          'schedule ensured',
        );
      ensured.push(schedule);
    } catch (error) {
      logger.warn(
        { tenantId: tenant.id, err: error },
        `could not create or update the schedule of tenant ${tenant.id}; it is tried again at the next worker start`,
      );
    }
  }
  return ensured;
}
