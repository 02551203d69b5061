import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { QboTransientError } from '../../activities/quickbooks';
import { stepRetryDelayMs, withStepBackoff } from '../../activities/sync/activities';

/**
 * A step's retry policy waits a second (what an attempt whose worker died waits after its heartbeat timeout); a failed
 * attempt carries its own back-off, 2 s doubling per attempt failed in a row up to 2 minutes.
 */
describe('a failed step attempt says its own back-off', () => {
  it('2 s after the first attempt, doubling, at most 2 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 12].map(stepRetryDelayMs)).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000,
    ]);
  });

  it('a transient QuickBooks fault keeps its type, message and stack, with the delay of its attempt', () => {
    const fault = new QboTransientError('QuickBooks is failing or unavailable', {
      tenantId: 'acme',
      status: 500,
      userAction: 'nothing',
    });
    const failure = withStepBackoff(fault, 3) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'QboTransientError', message: fault.message, nonRetryable: false });
    expect(failure.nextRetryDelay).toBe(8_000);
    expect(failure.stack).toBe(fault.stack);
  });

  it('a retryable ApplicationFailure gets the delay; its details stay', () => {
    const failure = withStepBackoff(
      ApplicationFailure.create({ type: 'TransientRecordError', message: 'm', details: [{ a: 1 }] }),
      1,
    ) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'TransientRecordError', details: [{ a: 1 }], nextRetryDelay: 2_000 });
  });

  it("leaves a final failure, a 429's own delay and Temporal's cancellation as they are", () => {
    const final = ApplicationFailure.create({ type: 'RecordRejectedError', message: 'm', nonRetryable: true });
    const throttled = ApplicationFailure.create({ type: 'QboThrottledError', message: 'm', nextRetryDelay: 60_000 });
    const cancelled = new CancelledFailure('cancelled');
    expect(withStepBackoff(final, 2)).toBe(final);
    expect(withStepBackoff(throttled, 2)).toBe(throttled);
    expect(withStepBackoff(cancelled, 2)).toBe(cancelled);
  });
});
