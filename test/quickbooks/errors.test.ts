import {
  errorFromFault,
  parseFaultJson,
  parseFaultXml,
  QboReconnectRequiredError,
  QboStaleObjectError,
  QboThrottledError,
  QboTransientError,
  QboValidationError,
  retryAfterMs,
  toActivityFailure,
} from '../../activities/quickbooks';

const where = { tenantId: 'acme', realmId: '123', entity: 'Invoice', recordId: '55' };

describe('fault parsing and the error taxonomy', () => {
  it('reads the PascalCase fault, the lowercase 401 fault and the XML throttling body', () => {
    expect(
      parseFaultJson({
        Fault: {
          Error: [
            { Message: 'Duplicate Document Number Error', Detail: 'TxnId=7', code: '6140', element: 'DocNumber' },
          ],
          type: 'ValidationFault',
        },
        time: 't',
      }),
    ).toEqual({
      code: '6140',
      message: 'Duplicate Document Number Error',
      detail: 'TxnId=7',
      element: 'DocNumber',
      type: 'ValidationFault',
    });
    expect(
      parseFaultJson({
        fault: {
          error: [
            {
              message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
              detail: 'Token expired: at3fQ9…',
              code: '3200',
              element: null,
            },
          ],
          type: 'AUTHENTICATION',
        },
        time: 1601391072830,
      }),
    ).toMatchObject({ code: '3200', type: 'AUTHENTICATION', element: undefined });
    const xml =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2017-06-26T02:49:04.264-07:00"><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>';
    expect(parseFaultXml(xml)).toEqual({
      code: '3001',
      message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      detail: 'The request limit was reached.  Try again later',
      element: undefined,
      type: 'SERVICE',
    });
    const e = errorFromFault(parseFaultXml(xml), { ...where, status: 429 });
    expect(e).toBeInstanceOf(QboThrottledError);
    expect((e as QboThrottledError).retryAfterMs).toBe(60_000);
  });

  it('honours Retry-After (seconds or a date) and defaults to 60 s', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(undefined)).toBe(60_000);
    expect(retryAfterMs('soon')).toBe(60_000);
    expect(retryAfterMs(new Date(10_000 + 30_000).toUTCString(), 10_000)).toBe(30_000);
    const e = errorFromFault(undefined, { ...where, status: 429, retryAfter: '12' }) as QboThrottledError;
    expect(e.retryAfterMs).toBe(12_000);
    expect(toActivityFailure(e).nextRetryDelay).toBe(12_000);
  });

  it.each([
    [503, undefined, QboTransientError],
    [502, undefined, QboTransientError],
    [504, undefined, QboTransientError],
    [500, undefined, QboTransientError],
    [400, '10000', QboTransientError],
    [403, '3100', QboReconnectRequiredError],
    [401, '120', QboReconnectRequiredError],
    [400, 'invalid_grant', QboReconnectRequiredError],
    [400, '5010', QboStaleObjectError],
    [400, '6240', QboValidationError],
    [400, '6140', QboValidationError],
    [400, '6000', QboValidationError],
    [400, '610', QboValidationError],
    [400, '2010', QboValidationError],
    [400, '4000', QboValidationError],
    [400, '4001', QboValidationError],
    [400, '6190', QboValidationError],
    [400, '500', QboValidationError],
    [404, undefined, QboValidationError],
  ])('HTTP %s code %s → %p', (status, code, type) => {
    const e = errorFromFault(code ? { code, message: 'm' } : undefined, { ...where, status });
    expect(e).toBeInstanceOf(type);
    expect(e.name).toBe(type.name);
    expect(toActivityFailure(e).nonRetryable).toBe(!e.retryable);
  });

  it('a batch item fault without an HTTP status is classified by its code', () => {
    expect(errorFromFault({ code: '5010' }, where)).toBeInstanceOf(QboStaleObjectError);
    expect(errorFromFault({ code: '10000' }, where)).toBeInstanceOf(QboTransientError);
    expect(errorFromFault({ code: '6240' }, where)).toBeInstanceOf(QboValidationError);
  });

  it('a 500 is retried however often it repeats; the message says what to do if it outlasts the retries', () => {
    const e = errorFromFault(
      {
        code: '10000',
        message: 'An application error has occurred while processing your request',
        detail: 'System Failure Error',
        type: 'SystemFault',
      },
      { ...where, status: 500, intuitTid: 'tid-2' },
    );
    expect(e).toBeInstanceOf(QboTransientError);
    expect(toActivityFailure(e).nonRetryable).toBe(false);
    expect(e.message).toBe(
      'tenant acme, Invoice 55: QuickBooks is failing or unavailable — QuickBooks code 10000: An application error has occurred while processing your request (System Failure Error) [HTTP 500] [intuit_tid tid-2]. What to do: nothing while qbsync retries with growing delays; if the sync failed with this error, QuickBooks kept failing: check status.developer.intuit.com, contact Intuit support with the intuit_tid if it shows no incident, then run the sync again (`qbsync sync acme`)',
    );
  });

  it('cuts token fragments QuickBooks echoes in faults out of messages and details', () => {
    const e = errorFromFault(
      { code: '3200', message: 'message=AuthenticationFailed', detail: 'Token expired: at3fQ9xyz…' },
      { ...where, status: 401 },
    );
    expect(e).toBeInstanceOf(QboReconnectRequiredError);
    expect(e.message).not.toContain('at3fQ9');
    expect(e.detail).toBe('Token expired: [redacted]');
    expect(JSON.stringify(toActivityFailure(e).details)).not.toContain('at3fQ9');
  });

  it('messages name tenant, entity, record, code, message, detail and the action', () => {
    const e = errorFromFault(
      { code: '6140', message: 'Duplicate Document Number Error', detail: 'TxnId=7' },
      { ...where, status: 400, intuitTid: 'tid-1' },
    );
    expect(e.message).toBe(
      'tenant acme, Invoice 55: QuickBooks rejected the request — QuickBooks code 6140: Duplicate Document Number Error (TxnId=7) [HTTP 400] [intuit_tid tid-1]. What to do: QuickBooks already has a transaction with this number: change the number in the app',
    );
  });
});
