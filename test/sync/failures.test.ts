import { ApplicationFailure } from '@temporalio/common';
import { QboThrottledError, QboTransientError } from '../../activities/quickbooks/errors';
import { toFailure } from '../../activities/sync/activities';

test("a 429 reaches Temporal with QuickBooks' wait as the next retry delay; other transient faults keep the backoff", () => {
  const throttled = toFailure(
    new QboThrottledError('QuickBooks throttled the request', {
      tenantId: 'acme',
      status: 429,
      code: '3001',
      userAction: 'nothing: retried after the wait',
      retryAfterMs: 60_000,
    }),
  );
  expect(throttled).toBeInstanceOf(ApplicationFailure);
  expect(throttled).toMatchObject({ type: 'QboThrottledError', nonRetryable: false, nextRetryDelay: 60_000 });
  expect((throttled as ApplicationFailure).message).toContain('tenant acme');

  const unavailable = new QboTransientError('QuickBooks is unavailable', {
    tenantId: 'acme',
    status: 503,
    userAction: 'nothing: retried',
  });
  expect(toFailure(unavailable)).toBe(unavailable);
});
