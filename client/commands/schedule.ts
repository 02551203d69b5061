import { ScheduleNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { getTenant, setTenant, TenantError } from '../../activities/connection/tenants';
import type { TemporalAccess } from '../../activities/operations/requestSync';
import { ensureSchedule, SCHEDULE_OVERLAP } from '../../activities/operations/schedule';
import { describedTimes } from '../../activities/operations/scheduleSpec';
import type { Db } from '../../schema/db';
import { scheduleId } from '../../common/ids';
import { commandContext } from '../context';
import { withTemporal } from '../temporalAccess';
import { withDatabase } from './tenant';

export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note?: string;
  /** HH:MM in `timeZone`; undefined when someone changed the spec outside qbsync. */
  times?: string[];
  timeZone: string;
  nextActionTimes: Date[];
  recentActions: Array<{ scheduledAt: Date; takenAt: Date; workflowId: string }>;
  actionsTaken: number;
}

export async function describeSchedule(temporal: TemporalAccess, tenantId: string): Promise<ScheduleView | undefined> {
  try {
    const d = await temporal.client.schedule.getHandle(scheduleId(tenantId)).describe();
    return {
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      note: d.state.note,
      times: describedTimes(d.spec),
      timeZone: d.spec.timezone ?? 'UTC',
      nextActionTimes: d.info.nextActionTimes,
      recentActions: d.info.recentActions.map((a) => ({
        scheduledAt: a.scheduledAt,
        takenAt: a.takenAt,
        workflowId: a.action.workflow.workflowId,
      })),
      actionsTaken: d.info.numActionsTaken,
    };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

function localTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

export function formatSchedule(tenantId: string, view: ScheduleView | undefined): string[] {
  if (!view)
    return [
      `schedule ${scheduleId(tenantId)}: none yet (a worker creates it when it starts, or run \`qbsync schedule ${tenantId} show\` with Temporal running)`,
    ];
  const state = view.paused ? `PAUSED${view.note ? ` (${view.note})` : ''}` : 'active';
  const out = [
    `schedule ${view.scheduleId}: ${view.times?.join(', ') ?? '(changed outside qbsync)'} ${view.timeZone}, ${state}`,
  ];
  if (!view.paused && view.nextActionTimes.length) {
    out.push('  next fires:');
    for (const at of view.nextActionTimes.slice(0, 4))
      out.push(`    ${at.toISOString()}  (${localTime(at, view.timeZone)})`);
  }
  const last = view.recentActions.at(-1);
  if (last)
    out.push(`  last fired ${last.takenAt.toISOString()} (${last.workflowId}); ${view.actionsTaken} fire(s) in all`);
  return out;
}

const ACTIONS = ['show', 'pause', 'resume', 'trigger'] as const;
type Action = (typeof ACTIONS)[number];

async function act(temporal: TemporalAccess, db: Db, tenantId: string, action: Action): Promise<string[]> {
  const handle = temporal.client.schedule.getHandle(scheduleId(tenantId));
  switch (action) {
    case 'show':
      await ensureSchedule(temporal, db, tenantId);
      break;
    case 'pause':
      await setTenant(db, tenantId, ['schedule.enabled=false']);
      await ensureSchedule(temporal, db, tenantId);
      break;
    case 'resume': {
      await setTenant(db, tenantId, ['schedule.enabled=true']);
      const ensured = await ensureSchedule(temporal, db, tenantId);
      // Paused by someone else (Temporal Web, `temporal schedule toggle`): resuming here is explicit, so it wins.
      if (ensured.paused) await handle.unpause('resumed with qbsync schedule resume');
      break;
    }
    case 'trigger':
      await ensureSchedule(temporal, db, tenantId);
      await handle.trigger(SCHEDULE_OVERLAP);
      return [
        `triggered ${scheduleId(tenantId)}: the coordinator runs a sync now, or right after the running one; follow it with \`qbsync status ${tenantId}\``,
      ];
  }
  return formatSchedule(tenantId, await describeSchedule(temporal, tenantId));
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule <tenant> <action>')
    .description(
      'show, pause, resume or trigger a tenant\'s Temporal Schedule (times and time zone: `qbsync tenant set <tenant> schedule.times=\'["22:30","01:30"]\' schedule.timeZone=America/Chicago`)',
    )
    .addHelpText(
      'after',
      '\nActions:\n  show     times, time zone, paused or not, next fire times\n  pause    stop firing (sets schedule.enabled=false)\n  resume   fire again (sets schedule.enabled=true)\n  trigger  fire once now; like `qbsync sync`, it never overlaps a running sync',
    )
    .option('--json', 'print JSON (show)')
    .action(async (tenantId: string, action: string, options: { json?: boolean }) => {
      if (!(ACTIONS as readonly string[]).includes(action))
        throw new TenantError(`unknown schedule action "${action}": use ${ACTIONS.join(', ')}`);
      const { config } = commandContext();
      await withDatabase(async (db) => {
        await getTenant(db, tenantId);
        await withTemporal(config, async (temporal) => {
          if (options.json && action === 'show') {
            await ensureSchedule(temporal, db, tenantId);
            console.log(JSON.stringify(await describeSchedule(temporal, tenantId), null, 2));
            return;
          }
          console.log((await act(temporal, db, tenantId, action as Action)).join('\n'));
        });
      });
    });
}
