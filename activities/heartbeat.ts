import { Context } from '@temporalio/activity';

/**
 * How often a running activity tells Temporal it is alive; well inside the workflows' heartbeatTimeout (a step's: 10 s),
 * and sent as called (the worker's maxHeartbeatThrottleInterval, workers/worker.ts).
 */
export const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs `work` while heartbeating on a timer, so a worker that dies mid-page is noticed within the heartbeat timeout
 * (seconds) instead of the start-to-close timeout (minutes), and the page is retried on another worker. A timer,
 * not calls sprinkled through the work: a single slow QuickBooks request must not look like a dead worker.
 * Outside an activity (activities called directly in tests) it just runs the work.
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work();
  }
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Which attempt of its activity this is (1 outside an activity, as in tests that call activities directly). */
export function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
