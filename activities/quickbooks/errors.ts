import { ApplicationFailure } from '@temporalio/common';

export type QboErrorKind = 'transient' | 'throttled' | 'reconnect' | 'validation' | 'stale';

export interface QboErrorFields {
  /** HTTP status of the answer; absent for a batch item's fault or when no answer came. */
  status?: number;
  /** QuickBooks' code ("6240", "3200", …), or a qbsync code ("qbsync-query") for what was refused before sending. */
  code?: string;
  qboMessage?: string;
  detail?: string;
  element?: string;
  /** Intuit's transaction id (`intuit_tid` header): what Intuit support asks for. */
  intuitTid?: string;
  tenantId?: string;
  realmId?: string;
  entity?: string;
  /** The QuickBooks Id, or the app's record id for a create. */
  recordId?: string;
  /** What the user should do about it, in words. */
  userAction: string;
}

// QuickBooks echoes the start of a rejected token in 401 details ("Token expired: at3f…"); nothing of a token may
// reach an error, a log or a Temporal payload, so such fragments are cut before they are stored.
const TOKEN_FRAGMENT = /(token[^:]{0,20}:)\s*\S+/gi;
const BEARER = /bearer\s+\S+/gi;

export function scrubSecrets(text: string | undefined): string | undefined {
  return text?.replace(TOKEN_FRAGMENT, '$1 [redacted]').replace(BEARER, 'Bearer [redacted]');
}

/**
 * Every QuickBooks failure qbsync meets, as one of a few kinds; the class name is the Temporal failure type.
 * Messages name the tenant, entity, record, QuickBooks' code and message, and what to do — never a token.
 */
export abstract class QboError extends Error implements QboErrorFields {
  abstract readonly kind: QboErrorKind;
  abstract readonly retryable: boolean;
  status?: number;
  code?: string;
  qboMessage?: string;
  detail?: string;
  element?: string;
  intuitTid?: string;
  tenantId?: string;
  realmId?: string;
  entity?: string;
  recordId?: string;
  userAction: string;

  constructor(summary: string, fields: QboErrorFields) {
    const clean = { ...fields, qboMessage: scrubSecrets(fields.qboMessage), detail: scrubSecrets(fields.detail) };
    super(QboError.compose(summary, clean));
    this.status = clean.status;
    this.code = clean.code;
    this.qboMessage = clean.qboMessage;
    this.detail = clean.detail;
    this.element = clean.element;
    this.intuitTid = clean.intuitTid;
    this.tenantId = clean.tenantId;
    this.realmId = clean.realmId;
    this.entity = clean.entity;
    this.recordId = clean.recordId;
    this.userAction = clean.userAction;
  }

  static compose(summary: string, f: QboErrorFields): string {
    const record = f.entity
      ? `${f.entity}${f.recordId ? ` ${f.recordId}` : ''}`
      : f.recordId
        ? `record ${f.recordId}`
        : undefined;
    const who = [f.tenantId && `tenant ${f.tenantId}`, record].filter(Boolean).join(', ');
    const qbo =
      f.code || f.qboMessage
        ? ` — QuickBooks ${f.code ? `code ${f.code}` : ''}${f.qboMessage ? `: ${f.qboMessage}` : ''}${f.detail ? ` (${f.detail})` : ''}`
        : '';
    const http = f.status ? ` [HTTP ${f.status}]` : '';
    const tid = f.intuitTid ? ` [intuit_tid ${f.intuitTid}]` : '';
    return `${who ? `${who}: ` : ''}${summary}${qbo}${http}${tid}. What to do: ${f.userAction}`;
  }

  /** A plain JSON object for Temporal failure details: no prototype, no token. */
  details(): Record<string, unknown> {
    const d: Record<string, unknown> = {
      kind: this.kind,
      code: this.code,
      message: this.qboMessage,
      detail: this.detail,
      element: this.element,
      entity: this.entity,
      recordId: this.recordId,
      intuitTid: this.intuitTid,
      status: this.status,
      tenantId: this.tenantId,
      realmId: this.realmId,
      userAction: this.userAction,
    };
    for (const k of Object.keys(d)) if (d[k] === undefined) delete d[k];
    return d;
  }
}

/** 429, 500 (however often it repeats), 502/503/504, timeouts, dropped connections, code 10000, unreadable answers: Temporal retries. */
export class QboTransientError extends QboError {
  override name: string = 'QboTransientError';
  readonly kind: QboErrorKind = 'transient';
  readonly retryable = true;
  /** How long to wait before the next attempt; set for throttling, otherwise the retry policy decides. */
  retryAfterMs?: number;
}

/**
 * QuickBooks answered 2xx with a body that is not what it sends (`{}`, `[]`, no QueryResponse, CDCResponse, entity or
 * BatchItemResponse): never read as "nothing changed". Retried like any transient fault (writes replay by requestid).
 */
export class QboMalformedAnswerError extends QboTransientError {
  override name = 'QboMalformedAnswerError';
}

/** 429 / code 3001: QuickBooks' per-realm limits were hit. Retried after `retryAfterMs` (60 s unless Retry-After says otherwise). */
export class QboThrottledError extends QboTransientError {
  override name = 'QboThrottledError';
  override readonly kind: QboErrorKind = 'throttled';
  override retryAfterMs: number;

  constructor(summary: string, fields: QboErrorFields & { retryAfterMs: number }) {
    super(summary, fields);
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/** The connection must be re-authorised by a person: 3100, 120, invalid_grant, a second 401. */
export class QboReconnectRequiredError extends QboError {
  override name = 'QboReconnectRequiredError';
  readonly kind: QboErrorKind = 'reconnect';
  readonly retryable = false;
}

/** QuickBooks refused the request as invalid (6240, 6140, 6000, 610, 2010, 4000, …), or qbsync refused to send it: retrying cannot help. */
export class QboValidationError extends QboError {
  override name = 'QboValidationError';
  readonly kind: QboErrorKind = 'validation';
  readonly retryable = false;
}

/** 5010: the record changed in QuickBooks since it was read. Its own type so the sync can re-read and re-apply. */
export class QboStaleObjectError extends QboError {
  override name = 'QboStaleObjectError';
  readonly kind: QboErrorKind = 'stale';
  readonly retryable = false;
}

/** For workflows' retry policies (`nonRetryableErrorTypes`). */
export const NON_RETRYABLE_QBO_ERROR_TYPES: string[] = [
  'QboReconnectRequiredError',
  'QboValidationError',
  'QboStaleObjectError',
];

/** What Temporal should see: the type, whether to retry, for throttling the wait, and the facts as plain JSON. */
export function toActivityFailure(error: QboError): ApplicationFailure {
  return ApplicationFailure.create({
    message: error.message,
    type: error.name,
    nonRetryable: !error.retryable,
    nextRetryDelay: error instanceof QboTransientError && error.retryAfterMs ? error.retryAfterMs : undefined,
    details: [error.details()],
  });
}

const ACTIONS: Record<string, string> = {
  '5010': 'nothing: the sync re-reads the record from QuickBooks and applies the change again',
  '6240':
    'another QuickBooks customer, vendor or employee already has this name: rename one of them, or link the app record to the existing one',
  '6140': 'QuickBooks already has a transaction with this number: change the number in the app',
  '6000': 'correct the value QuickBooks names in the detail, then sync again',
  '610': 'the record refers to something QuickBooks does not have or that is inactive: fix or reactivate the reference',
  '2010': 'a field QuickBooks does not know was sent: report this as a qbsync bug',
  '2020': 'QuickBooks needs a value that was not sent (the detail names it): fill it in the app or the tenant settings',
  '2030': 'an id QuickBooks cannot read was sent (not a missing record): report this as a qbsync bug',
  '4000': 'the query could not be parsed: report this as a qbsync bug',
  '4001': 'the query asked for something out of range: report this as a qbsync bug',
  '6190': "the QuickBooks company's subscription has ended: renew it in QuickBooks, then sync again",
  '500': 'QuickBooks does not support this operation on this record: report this as a qbsync bug',
};

export function actionFor(code: string | undefined): string {
  return (code && ACTIONS[code]) ?? 'correct the record and run the sync again';
}

export function reconnectAction(tenantId: string | undefined): string {
  return `reconnect the QuickBooks company: run \`qbsync connect ${tenantId ?? '<tenant>'}\` and approve access`;
}
