import { Writable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { createLogger } from '../../workers/logger';

interface LoggedError {
  type?: string;
  class?: string;
  message?: string;
  stack?: string;
  nonRetryable?: boolean;
  cause?: LoggedError;
}
interface LogLine {
  error: LoggedError;
  err: LoggedError;
}

/** Issue 16 item 7: the SDK's "Activity failed … error: {}" lines now say what failed. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', sink), lines: () => lines.map((l) => JSON.parse(l) as LogLine) };
}

test('an `error` field (as the Temporal SDK logs it) has message, type, stack and causes', () => {
  const { logger, lines } = capture();
  const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432');
  const failure = ApplicationFailure.create({
    type: 'QboTransientError',
    message: 'tenant acme: QuickBooks gave no answer within 60 s',
    nonRetryable: false,
    cause,
  });
  logger.warn({ activityType: 'syncPage', error: failure }, 'Activity failed');
  const [line] = lines();
  expect(line.error).toMatchObject({
    type: 'QboTransientError',
    class: 'ApplicationFailure',
    message: 'tenant acme: QuickBooks gave no answer within 60 s',
    nonRetryable: false,
    cause: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
  });
  expect(line.error.stack).toContain('logger.test.ts');
});

test('`err` too, through the SDK logger adapter as workers install it; secrets in messages are cut', () => {
  const { logger, lines } = capture();
  const sdk = new DefaultLogger('INFO', ({ message, meta }) => logger.warn(meta ?? {}, message));
  const error = new Error('QuickBooks said: Token expired: AB12cd.secret-fragment; sent Bearer eyJhbGciOi.secret');
  sdk.warn('Workflow failed', { error, err: new TypeError('x is undefined') });
  const [line] = lines();
  expect(line.error.message).toContain('Token expired: [redacted]');
  expect(line.error.message).toContain('Bearer [redacted]');
  expect(JSON.stringify(line)).not.toContain('secret-fragment');
  expect(JSON.stringify(line)).not.toContain('eyJhbGciOi');
  expect(line.err).toMatchObject({ type: 'TypeError', message: 'x is undefined' });
});

test('a cause chain that loops or runs deep is cut, not followed forever', () => {
  const { logger, lines } = capture();
  const a = new Error('a') as Error & { cause?: unknown };
  a.cause = a;
  logger.error({ err: a }, 'loop');
  let depth = 0;
  for (let e: LoggedError | undefined = lines()[0].err; e?.cause; e = e.cause) depth++;
  expect(depth).toBe(5);
});

test('an error from another realm (the workflow sandbox logs "Workflow failed" with one) is not `{}`', () => {
  const { logger, lines } = capture();
  // The workflow runs in a vm context: its Error is not an instance of this realm's Error.
  const foreign = runInNewContext(
    `const e = new Error('Activity task failed'); e.name = 'ActivityFailure'; e.cause = new Error('tenant acme: QuickBooks rejected invoice 7'); e`,
  ) as Error;
  expect(foreign instanceof Error).toBe(false);
  logger.warn({ workflowType: 'syncTenant', error: foreign }, 'Workflow failed');
  const [line] = lines();
  expect(line.error).toMatchObject({
    type: 'ActivityFailure',
    message: 'Activity task failed',
    cause: { message: 'tenant acme: QuickBooks rejected invoice 7' },
  });
});
