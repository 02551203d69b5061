import {
  actionFor,
  QboReconnectRequiredError,
  QboStaleObjectError,
  QboThrottledError,
  QboTransientError,
  QboValidationError,
  reconnectAction,
  type QboError,
  type QboErrorFields,
} from './errors';

/** The first error of a QuickBooks fault, whichever of its shapes it came in. */
export interface ParsedFault {
  code?: string;
  message?: string;
  detail?: string;
  element?: string;
  /** ValidationFault, AUTHENTICATION, SERVICE, SystemFault, … */
  type?: string;
}

interface FaultErrorShape {
  Message?: unknown;
  message?: unknown;
  Detail?: unknown;
  detail?: unknown;
  code?: unknown;
  element?: unknown;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** `{"Fault":{"Error":[…],"type"}}`, the 401's `{"fault":{"error":[…]}}`, or a Fault object from a batch item. */
export function parseFaultJson(body: unknown): ParsedFault | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as {
    Fault?: { Error?: FaultErrorShape[]; type?: unknown };
    fault?: { error?: FaultErrorShape[]; type?: unknown };
  };
  const fault = b.Fault
    ? { errors: b.Fault.Error, type: b.Fault.type }
    : b.fault
      ? { errors: b.fault.error, type: b.fault.type }
      : undefined;
  if (!fault) return undefined;
  const e = Array.isArray(fault.errors) ? fault.errors[0] : undefined;
  return {
    code: str(e?.code),
    message: str(e?.Message ?? e?.message),
    detail: str(e?.Detail ?? e?.detail),
    element: str(e?.element),
    type: str(fault.type),
  };
}

const decodeXml = (s: string | undefined) =>
  s
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** QuickBooks' throttling answer is XML even when JSON was asked for: `<Fault type="SERVICE"><Error code="3001"><Message>…`. */
export function parseFaultXml(text: string): ParsedFault | undefined {
  if (!/<Fault\b/i.test(text)) return undefined;
  return {
    code: /<Error\b[^>]*\bcode="([^"]*)"/i.exec(text)?.[1],
    message: decodeXml(/<Message>([\s\S]*?)<\/Message>/i.exec(text)?.[1]),
    detail: decodeXml(/<Detail>([\s\S]*?)<\/Detail>/i.exec(text)?.[1]),
    element: /<Error\b[^>]*\belement="([^"]*)"/i.exec(text)?.[1],
    type: /<Fault\b[^>]*\btype="([^"]*)"/i.exec(text)?.[1],
  };
}

/** Seconds (or an HTTP date) from Retry-After; QuickBooks documents none, and says to wait 60 s. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return 60_000;
}

export interface FaultContext extends Omit<
  QboErrorFields,
  'userAction' | 'code' | 'qboMessage' | 'detail' | 'element'
> {
  /** Retry-After header of a 429. */
  retryAfter?: string | null;
}

const AUTH_RECONNECT_CODES = new Set(['3100', '120', 'invalid_grant']);
const TRANSIENT_CODES = new Set(['10000']);

/**
 * One QuickBooks failure as one error of the taxonomy. The HTTP status decides first (a 429 or 503 is transient
 * whatever the body says), then QuickBooks' code. A 401 with 3200 only reaches here when the one refresh did not help.
 */
export function errorFromFault(fault: ParsedFault | undefined, ctx: FaultContext): QboError {
  const { retryAfter, ...where } = ctx;
  const code = fault?.code;
  const f = { ...where, code, qboMessage: fault?.message, detail: fault?.detail, element: fault?.element };
  const status = ctx.status;

  if (status === 429 || code === '3001') {
    return new QboThrottledError('QuickBooks throttled the request (per-company request limit)', {
      ...f,
      retryAfterMs: retryAfterMs(retryAfter),
      userAction: 'nothing: qbsync waits and retries; if it happens often, lower the sync concurrency',
    });
  }
  if (
    (code && AUTH_RECONNECT_CODES.has(code)) ||
    status === 401 ||
    status === 403 ||
    fault?.type === 'AUTHENTICATION' ||
    code === '3200'
  ) {
    return new QboReconnectRequiredError('QuickBooks refused the credentials', {
      ...f,
      userAction: reconnectAction(ctx.tenantId),
    });
  }
  if (code === '5010')
    return new QboStaleObjectError('the record changed in QuickBooks since qbsync read it', {
      ...f,
      userAction: actionFor('5010'),
    });
  if (status === 400 && code === '500')
    return new QboValidationError('QuickBooks does not support this operation', { ...f, userAction: actionFor('500') });
  // A 500 (SystemFault, code 10000) is QuickBooks failing, not the request: Intuit asks for one prompt resubmission,
  // not a loop, so it is retried with growing delays (the step's retry policy: 2 s, 4 s, … 2 min) however often it
  // repeats. One that outlasts the step's attempts fails the run with this message.
  if ((status !== undefined && status >= 500) || (code && TRANSIENT_CODES.has(code)) || fault?.type === 'SystemFault') {
    return new QboTransientError(`QuickBooks is failing or unavailable`, {
      ...f,
      userAction:
        `nothing while qbsync retries with growing delays; if the sync failed with this error, QuickBooks kept ` +
        `failing: check status.developer.intuit.com, contact Intuit support with the intuit_tid if it shows no ` +
        `incident, then run the sync again (\`qbsync sync ${ctx.tenantId ?? '<tenant>'}\`)`,
    });
  }
  return new QboValidationError(
    status === undefined ? 'QuickBooks rejected the record' : 'QuickBooks rejected the request',
    { ...f, userAction: actionFor(code) },
  );
}
