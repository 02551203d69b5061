import { locateRequest, type TemporalAccess } from '../activities/operations/requestSync';
import type { FinishedSync } from '../workflows/coordinator';
import { StartupError } from './context';
import { stepLine } from './commands/status';
import { coordinatorStatus } from './temporalAccess';

const POLL_MS = 500;
/** How long a request may stay unseen by the coordinator (no worker?) before --wait gives up. */
const UNSEEN_LIMIT_MS = 60_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows the run that serves `requestId` through the coordinator's status query, printing each step as it moves. */
export async function follow(
  temporal: TemporalAccess,
  tenantId: string,
  requestId: string,
  say: (line: string) => void,
): Promise<FinishedSync> {
  const printed = new Map<string, string>();
  let announced: string | undefined;
  const since = Date.now();
  for (;;) {
    const seen = locateRequest(await coordinatorStatus(temporal, tenantId), requestId);
    if (seen.phase === 'unseen' && Date.now() - since > UNSEEN_LIMIT_MS) {
      throw new StartupError(
        `the coordinator of tenant ${tenantId} has not taken the request within ${UNSEEN_LIMIT_MS / 1000} s: is \`qbsync worker\` running on task queue "${temporal.taskQueue}"?`,
      );
    }
    if (seen.phase === 'queued' && announced !== 'queued') {
      announced = 'queued';
      say(
        seen.behind
          ? `a sync is running (${seen.behind.workflowId}); this request runs right after it`
          : 'the sync is about to start',
      );
    }
    const run = seen.phase === 'running' || seen.phase === 'done' ? seen.run : undefined;
    if (run && announced !== run.workflowId) {
      announced = run.workflowId;
      say(`sync ${run.workflowId} of tenant ${tenantId} (${run.triggers.join(', ')}) started ${run.startedAt}`);
    }
    for (const step of run?.steps ?? []) {
      const line = stepLine(step);
      if (step.status !== 'pending' && printed.get(step.step) !== line) {
        printed.set(step.step, line);
        say(line);
      }
    }
    if (seen.phase === 'done') return seen.run;
    await pause(POLL_MS);
  }
}
