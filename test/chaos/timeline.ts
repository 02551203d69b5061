import type { WorkflowHandle } from '@temporalio/client';

/** A protobuf Timestamp (seconds may be a Long) as milliseconds since the epoch. */
type Timestamp =
  { seconds?: { toNumber(): number } | number | string | null; nanos?: number | null } | null | undefined;

function ms(t: Timestamp): number | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  const s = typeof t.seconds === 'object' ? t.seconds.toNumber() : Number(t.seconds);
  return s * 1000 + Math.round((t.nanos ?? 0) / 1e6);
}

export interface Mark {
  at: number;
  what: string;
}

/**
 * Watches a run's pending activities and workflow task (describe, every `everyMs`) and notes each change of attempt,
 * state, failure, and the back-off the server chose; with the test's own marks (kills, restarts) it gives a timeline.
 */
export function watchRun(handle: WorkflowHandle, everyMs = 200) {
  const marks: Mark[] = [];
  const seen = new Map<string, string>();
  let stopped = false;
  const mark = (what: string, at = Date.now()) => marks.push({ at, what });
  const loop = (async () => {
    while (!stopped) {
      try {
        const d = await handle.describe();
        for (const p of d.raw.pendingActivities ?? []) {
          const key = `${p.activityType?.name}#${p.activityId}`;
          const state = String(p.state);
          const sig = `${p.attempt}|${state}|${ms(p.lastStartedTime)}|${p.lastFailure?.message ?? ''}`;
          if (seen.get(key) === sig) continue;
          seen.set(key, sig);
          const failure = p.lastFailure
            ? ` lastFailure=${p.lastFailure.timeoutFailureInfo ? `timeout(${p.lastFailure.timeoutFailureInfo.timeoutType})` : (p.lastFailure.applicationFailureInfo?.type ?? p.lastFailure.message?.slice(0, 60))}`
            : '';
          const next = ms(p.nextAttemptScheduleTime);
          mark(
            `activity ${key} attempt=${p.attempt} state=${state === '1' ? 'SCHEDULED' : state === '2' ? 'STARTED' : state}` +
              ` lastStarted=${ms(p.lastStartedTime) ?? '-'} lastHeartbeat=${ms(p.lastHeartbeatTime) ?? '-'}` +
              ` nextAttempt=${next ?? '-'}${failure} worker=${p.lastWorkerIdentity ?? '-'}`,
          );
        }
        const wt = d.raw.pendingWorkflowTask;
        const wsig = wt ? `${wt.state}|${wt.attempt}|${ms(wt.scheduledTime)}` : 'none';
        if (seen.get('wt') !== wsig) {
          seen.set('wt', wsig);
          if (wt) mark(`workflow task state=${wt.state} attempt=${wt.attempt} scheduled=${ms(wt.scheduledTime)}`);
        }
        if (d.status.name !== 'RUNNING') break;
      } catch {
        // the server is busy: next round
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    marks,
    mark,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The run's history as timed lines: workflow tasks (with timeouts) and activities (scheduled, started attempt, closed). */
export async function historyLines(handle: WorkflowHandle): Promise<Mark[]> {
  const history = await handle.fetchHistory();
  const out: Mark[] = [];
  const EventType = (await import('@temporalio/proto')).temporal.api.enums.v1.EventType;
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime)!;
    const type = EventType[e.eventType as number] ?? String(e.eventType);
    let what = type.replace('EVENT_TYPE_', '');
    if (e.activityTaskScheduledEventAttributes)
      what += ` ${e.activityTaskScheduledEventAttributes.activityType?.name}#${e.activityTaskScheduledEventAttributes.activityId}`;
    if (e.activityTaskStartedEventAttributes)
      what += ` attempt=${e.activityTaskStartedEventAttributes.attempt} by=${e.activityTaskStartedEventAttributes.identity}`;
    if (e.workflowTaskTimedOutEventAttributes)
      what += ` timeoutType=${e.workflowTaskTimedOutEventAttributes.timeoutType}`;
    if (e.workflowTaskScheduledEventAttributes)
      what += ` queue=${e.workflowTaskScheduledEventAttributes.taskQueue?.name} attempt=${e.workflowTaskScheduledEventAttributes.attempt}`;
    if (e.workflowTaskStartedEventAttributes) what += ` by=${e.workflowTaskStartedEventAttributes.identity}`;
    if (e.activityTaskFailedEventAttributes)
      what += ` ${e.activityTaskFailedEventAttributes.failure?.applicationFailureInfo?.type ?? ''} ${e.activityTaskFailedEventAttributes.retryState}`;
    if (e.activityTaskTimedOutEventAttributes)
      what += ` ${e.activityTaskTimedOutEventAttributes.failure?.timeoutFailureInfo?.timeoutType}`;
    out.push({ at, what });
  }
  return out;
}

export function formatTimeline(marks: Mark[], t0: number): string {
  return [...marks]
    .sort((a, b) => a.at - b.at)
    .map((m) => `${((m.at - t0) / 1000).toFixed(1).padStart(7)} s  ${m.what}`)
    .join('\n');
}
