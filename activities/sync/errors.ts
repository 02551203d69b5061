import type { ProblemRecord } from './records';

/**
 * A record that could not be synced while the tenant's on-record-error policy is `stop`: the step fails, naming it.
 * Its name is the Temporal failure type; it is never retried (the record has to be fixed first).
 */
export class RecordRejectedError extends Error {
  override name = 'RecordRejectedError';
  constructor(
    readonly tenantId: string,
    readonly problem: ProblemRecord,
  ) {
    // qbsync's own checks (codes qbsync-…) stop a record before QuickBooks sees it; saying QuickBooks did would mislead.
    const own = problem.code?.startsWith('qbsync-') ?? false;
    const where =
      problem.direction === 'pull'
        ? 'could not take into the app'
        : own
          ? 'cannot send to QuickBooks'
          : 'QuickBooks rejected';
    const code = problem.code ? (own ? ` [${problem.code}]` : ` [QuickBooks code ${problem.code}]`) : '';
    super(
      `tenant ${tenantId}: ${where} ${problem.label}${code}: ${problem.message}${problem.detail ? ` (${problem.detail})` : ''}. What to do: ${problem.action}`,
    );
  }
}

/** A record QuickBooks could not take for a passing reason (a fault inside a batch answer): retried by Temporal. */
export class TransientRecordError extends Error {
  override name = 'TransientRecordError';
}

/**
 * The backend's agent (QuickBooks Desktop's Web Connector) has not answered within one page attempt: the page ends
 * without moving anything and the run asks for it again (a new activity, not a retry), so the wait is bounded by the
 * backend's own limit (the tenant's `desktop.waitMinutes`, then a non-retryable failure), not by the page retry policy.
 */
export class BackendWaitingError extends Error {
  override name = 'BackendWaitingError';
}
