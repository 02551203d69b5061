import type { Logger } from '../../workers/logger';
import type { z } from 'zod';
import {
  QboError,
  QboMalformedAnswerError,
  QboReconnectRequiredError,
  QboThrottledError,
  QboTransientError,
  QboValidationError,
  reconnectAction,
} from './errors';
import { errorFromFault, parseFaultJson, parseFaultXml, retryAfterMs } from './faults';
import { entityName, QueryBuilder, select } from './query';
import { RealmRateLimiter, type RequestLimiter } from './rateLimiter';
import { batchChunkRequestId, MAX_BATCH_REQUEST_ID, MAX_REQUEST_ID } from './requestId';
import {
  BatchEnvelopeSchema,
  CdcEnvelopeSchema,
  CountEnvelopeSchema,
  DeletedSchema,
  entityEnvelopeSchema,
  QueryEnvelopeSchema,
  schemaFor,
  type EntityOf,
  type QboCompanyInfo,
  type QboDeleted,
  type QboObject,
  type QboPreferences,
} from './schemas';
import type { TokenSource } from './tokenSource';
import { cdcOnce, changeDataCapture, type CdcOptions, type CdcResult } from './cdc';

export interface QboClientOptions {
  /** https://quickbooks.api.intuit.com, the sandbox's, or the emulator's. */
  baseUrl: string;
  realmId: string;
  tenantId: string;
  tokens: TokenSource;
  /** The realm's limiter (shared by every worker, or the process's); a private one otherwise. */
  limiter?: RequestLimiter;
  /** Per HTTP request; QuickBooks itself gives up after 120 s. Default 60 s. */
  timeoutMs?: number;
  /** Default 75 (what QuickBooks runs since 2025-08-01 whatever is sent). */
  minorVersion?: number;
  fetchImpl?: typeof fetch;
  logger?: Logger;
  /** How long a token read serves later requests too (default TOKEN_REUSE_MS; 0: each request reads). */
  tokenReuseMs?: number;
  /** The waits before each resend of a transiently failed request (default RESEND_DELAYS_MS; []: never resent). */
  resendDelaysMs?: readonly number[];
}

/** A transiently failed request is sent again twice, after 0.25 s and 1 s, before its page fails. */
export const RESEND_DELAYS_MS: readonly number[] = [250, 1_000];

/**
 * A token read serves the requests of the next second: a disconnection is seen within a second, and a page's requests
 * do not each read and decrypt it.
 */
export const TOKEN_REUSE_MS = 1_000;

/** The `where` of a query: a builder (its conditions and ORDERBY are used) or trusted condition text without WHERE. */
export type Where = QueryBuilder | string | undefined;

export interface WriteOptions {
  /** QuickBooks' idempotency key (≤ 50 characters): see deterministicRequestId. Required on every write. */
  requestId: string;
  /** The app's record id, named in errors when QuickBooks has no Id yet. */
  recordId?: string;
}

export interface RawCall {
  method: 'GET' | 'POST';
  /** Under /v3/company/{realmId}/. */
  path: string;
  params?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  requestId?: string;
  entity?: string;
  recordId?: string;
  batch?: boolean;
  /**
   * What a 2xx answer must look like, and how to name what is missing ("a QueryResponse"). An answer that does not
   * match is a QboMalformedAnswerError (retried), never read as empty.
   */
  expect?: { schema: z.ZodType; what: string };
}

export type BatchRequestItem =
  | { operation: 'create' | 'update' | 'delete'; entity: string; body: Record<string, unknown>; recordId?: string }
  | { query: string };

export type BatchItemResult =
  | { ok: true; entity?: QboObject | QboDeleted; queryResponse?: Record<string, unknown> }
  | { ok: false; error: QboError };

export const BATCH_MAX_ITEMS = 30;

interface Answer {
  status: number;
  text: string;
  intuitTid?: string;
  retryAfter?: string | null;
}

/**
 * QuickBooks Online's Accounting API v3 for one realm: typed calls validated with zod, one error taxonomy, the realm's
 * limits kept, tokens never exposed. Beyond the one token refresh after a 401 it only resends a transient failure
 * twice under the same requestid (call); anything longer is Temporal's retry.
 */
export class QboClient {
  readonly realmId: string;
  readonly tenantId: string;
  readonly limiter: RequestLimiter;
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  /** Requests sent, by kind (for benchmarks and tests). */
  readonly requests = { single: 0, batch: 0, query: 0, cdc: 0, refreshes: 0, resends: 0 };

  constructor(private readonly options: QboClientOptions) {
    this.realmId = options.realmId;
    this.tenantId = options.tenantId;
    this.limiter = options.limiter ?? new RealmRateLimiter();
    this.fetch = options.fetchImpl ?? fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  // ——— transport ———

  /**
   * One API call; its answer body as JSON, or the taxonomy's error. A transient failure (5xx, no answer in time, an
   * unreadable answer) is sent again after a short wait under the same requestid — Intuit's advice is to resubmit —
   * before it is handed to the activity's retry, which resends the whole page: at a fault rate p a page of n requests
   * goes through with (1 − p^(resends+1))^n, not (1 − p)^n. A 429 is never resent here (the realm's limiter waits it).
   */
  async call<T = Record<string, unknown>>(c: RawCall): Promise<T> {
    const delays = this.options.resendDelaysMs ?? RESEND_DELAYS_MS;
    for (let resend = 0; ; resend++) {
      try {
        return await this.callOnce<T>(c);
      } catch (error) {
        if (resend >= delays.length || !(error instanceof QboTransientError) || error instanceof QboThrottledError)
          throw error;
        this.requests.resends++;
        await new Promise((resolve) => setTimeout(resolve, delays[resend]));
      }
    }
  }

  /** One API call with the one-refresh rule. */
  private async callOnce<T>(c: RawCall): Promise<T> {
    const url = new URL(`${this.baseUrl}/v3/company/${encodeURIComponent(this.realmId)}/${c.path}`);
    for (const [k, v] of Object.entries(c.params ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    url.searchParams.set('minorversion', String(this.options.minorVersion ?? 75));
    if (c.requestId !== undefined) url.searchParams.set('requestid', c.requestId);
    const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);

    let token = await this.accessToken();
    let answer = await this.limiter.run(c.batch === true, () => this.send(c, url, body, token));
    if (answer.status === 401) {
      const fault = this.parseFault(answer.text);
      // 3200 (or a 401 without a readable code) is an expired or revoked access token: refresh once and retry once.
      if (!fault?.code || fault.code === '3200') {
        this.requests.refreshes++;
        this.tokenRead = undefined;
        token = await this.options.tokens.refreshAfterUnauthorized(token);
        answer = await this.limiter.run(c.batch === true, () => this.send(c, url, body, token));
        if (answer.status === 401) {
          const again = this.parseFault(answer.text);
          throw new QboReconnectRequiredError(
            'QuickBooks refused a freshly refreshed access token',
            this.fields(c, answer, {
              code: again?.code ?? fault?.code,
              qboMessage: again?.message,
              detail: again?.detail,
              userAction: reconnectAction(this.tenantId),
            }),
          );
        }
      }
    }
    // Every worker of the realm waits QuickBooks' delay out once (the limiter keeps the block).
    if (answer.status === 429) await this.limiter.throttled(retryAfterMs(answer.retryAfter));
    return this.interpret<T>(c, answer);
  }

  private tokenRead?: { token: Promise<string>; until: number };

  /**
   * Requests started together (a page's batches and single writes) share one read of the token source, and so do
   * requests within `tokenReuseMs` after it (a push page is a few requests every ~100 ms: one PostgreSQL read and
   * decryption per second instead of per request). The token is at least 5 minutes from expiry when read (the
   * source refreshes it otherwise); one QuickBooks refuses is refreshed and never reused.
   */
  private accessToken(): Promise<string> {
    const now = Date.now();
    if (this.tokenRead && this.tokenRead.until > now) return this.tokenRead.token;
    const read = { token: this.options.tokens.accessToken(), until: Number.POSITIVE_INFINITY };
    this.tokenRead = read;
    read.token.then(
      () => (read.until = Date.now() + (this.options.tokenReuseMs ?? TOKEN_REUSE_MS)),
      () => (read.until = 0),
    );
    return read.token;
  }

  private fields(c: RawCall, answer: Answer | undefined, extra: Partial<QboError> & { userAction: string }) {
    return {
      tenantId: this.tenantId,
      realmId: this.realmId,
      entity: c.entity,
      recordId: c.recordId,
      status: answer?.status,
      intuitTid: answer?.intuitTid,
      ...extra,
    };
  }

  private async send(c: RawCall, url: URL, body: string | undefined, token: string): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    const started = Date.now();
    try {
      const response = await this.fetch(url, {
        method: c.method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      const answer = {
        status: response.status,
        text,
        intuitTid: headerCaseless(response.headers, 'intuit_tid', 'intuit-tid'),
        retryAfter: response.headers.get('retry-after'),
      };
      this.options.logger?.debug(
        {
          realmId: this.realmId,
          method: c.method,
          path: url.pathname,
          entity: c.entity,
          status: answer.status,
          ms: Date.now() - started,
          intuitTid: answer.intuitTid,
        },
        'quickbooks call',
      );
      return answer;
    } catch (error) {
      const e = error as { name?: string; cause?: { code?: string; name?: string }; message?: string };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError';
      const what = timedOut
        ? `QuickBooks gave no answer within ${Math.round(this.timeoutMs / 100) / 10} s`
        : `the connection to QuickBooks failed (${e.cause?.code ?? e.message ?? 'unknown'})`;
      this.options.logger?.warn(
        {
          realmId: this.realmId,
          method: c.method,
          path: url.pathname,
          entity: c.entity,
          ms: Date.now() - started,
          timedOut,
        },
        'quickbooks call failed',
      );
      throw new QboTransientError(
        what,
        this.fields(c, undefined, {
          code: timedOut ? 'qbsync-timeout' : 'qbsync-connection',
          userAction:
            'nothing: the request is retried (writes replay by requestid); if it keeps failing, check the network to QuickBooks',
        }),
      );
    }
  }

  private parseFault(text: string) {
    try {
      return parseFaultJson(JSON.parse(text)) ?? parseFaultXml(text);
    } catch {
      return parseFaultXml(text);
    }
  }

  private interpret<T>(c: RawCall, answer: Answer): T {
    let json: unknown;
    let readable = true;
    try {
      json = answer.text ? JSON.parse(answer.text) : undefined;
    } catch {
      readable = false;
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (!readable || json === undefined || typeof json !== 'object' || json === null) {
        throw new QboTransientError(
          'QuickBooks answered with unreadable JSON',
          this.fields(c, answer, { userAction: 'nothing: the request is retried (writes replay by requestid)' }),
        );
      }
      // QuickBooks can answer 200 with a Fault (batch-level, some validation answers).
      const fault = parseFaultJson(json);
      if (fault) throw errorFromFault(fault, this.faultContext(c, answer));
      if (c.expect) {
        const parsed = c.expect.schema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new QboMalformedAnswerError(
            `QuickBooks answered ${answer.status} without ${c.expect.what}`,
            this.fields(c, answer, {
              code: 'qbsync-malformed-answer',
              detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
              userAction:
                'nothing: the request is retried (writes replay by requestid); if it keeps happening, report it to Intuit with the intuit_tid',
            }),
          );
        }
      }
      return json as T;
    }
    const fault = (readable ? parseFaultJson(json) : undefined) ?? parseFaultXml(answer.text);
    throw errorFromFault(fault, this.faultContext(c, answer));
  }

  private faultContext(c: RawCall, answer: Answer) {
    return {
      tenantId: this.tenantId,
      realmId: this.realmId,
      entity: c.entity,
      recordId: c.recordId,
      status: answer.status,
      intuitTid: answer.intuitTid,
      retryAfter: answer.retryAfter,
    };
  }

  private entityAnswer(entity: string): RawCall['expect'] {
    return { schema: entityEnvelopeSchema(entity), what: `a ${entity}` };
  }

  private checkRequestId(requestId: string | undefined, max: number, entity?: string): string {
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > max) {
      throw new QboValidationError(`every QuickBooks write needs a requestid of 1 to ${max} characters`, {
        tenantId: this.tenantId,
        realmId: this.realmId,
        entity,
        code: 'qbsync-requestid',
        userAction: 'report this as a qbsync bug',
      });
    }
    return requestId;
  }

  private parseEntity<E extends string>(entity: E, value: unknown, recordId?: string): EntityOf<E> {
    const parsed = schemaFor(entity).safeParse(value);
    if (parsed.success) return parsed.data as EntityOf<E>;
    const issue = parsed.error.issues[0];
    throw new QboValidationError(`QuickBooks returned a ${entity} qbsync cannot read`, {
      tenantId: this.tenantId,
      realmId: this.realmId,
      entity,
      recordId: recordId ?? (value as { Id?: string } | undefined)?.Id,
      code: 'qbsync-schema',
      detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      userAction: 'report this as a qbsync bug, with the intuit_tid if there is one',
    });
  }

  // ——— queries ———

  /** One query exactly as written (the caller adds STARTPOSITION/MAXRESULTS), as QuickBooks answers it. */
  async rawQuery(query: string, entity?: string): Promise<{ QueryResponse: Record<string, unknown>; time?: string }> {
    this.requests.query++;
    const counting = /^\s*select\s+count\s*\(\s*\*\s*\)/i.test(query);
    const answer = await this.call<{ QueryResponse: Record<string, unknown>; time?: string }>({
      method: 'POST',
      path: 'query',
      body: query,
      contentType: 'application/text',
      entity: entity ?? /\bfrom\s+(\w+)/i.exec(query)?.[1],
      expect: counting
        ? { schema: CountEnvelopeSchema, what: 'a QueryResponse with a totalCount' }
        : { schema: QueryEnvelopeSchema, what: 'a QueryResponse' },
    });
    return { QueryResponse: answer.QueryResponse, time: answer.time };
  }

  /** `SELECT … FROM entity [WHERE …] [ORDERBY …]` from a builder or trusted condition text. */
  private queryText(entity: string, where: Where, what: '*' | 'COUNT(*)', orderBy?: string): string {
    entityName(entity);
    let conditions: string;
    if (where instanceof QueryBuilder) {
      if (where.entity !== entity)
        throw new QboValidationError(`a query built for ${where.entity} was used for ${entity}`, {
          code: 'qbsync-query',
          userAction: 'report this as a qbsync bug',
        });
      conditions = where.conditions();
    } else {
      conditions = (where ?? '').trim().replace(/^where\s+/i, '');
      if (/\b(STARTPOSITION|MAXRESULTS|ORDERBY)\b/i.test(conditions))
        throw new QboValidationError('the where text must not page or order; use the options', {
          code: 'qbsync-query',
          userAction: 'report this as a qbsync bug',
        });
    }
    let order = '';
    if (what === '*' && orderBy) {
      const [name, direction = 'ASC'] = orderBy.trim().split(/\s+/);
      order = ` ORDERBY ${select(entity)
        .orderBy(name, direction.toUpperCase() === 'DESC' ? 'DESC' : 'ASC')
        .ordering()}`;
    }
    return `SELECT ${what} FROM ${entity}${conditions ? ` WHERE ${conditions}` : ''}${order}`;
  }

  /** The ORDERBY of a query: the option, else the builder's, else Id (stable under updates, so paging is safe). */
  private static order(where: Where, orderBy: string | undefined): string {
    return orderBy ?? (where instanceof QueryBuilder ? where.ordering() : undefined) ?? 'Id ASC';
  }

  /** One page: records `startPosition` … `startPosition + maxResults - 1` (1-based; at most 1000 a page). */
  async queryPage<E extends string>(
    entity: E,
    where?: Where,
    options: { startPosition?: number; maxResults?: number; orderBy?: string } = {},
  ): Promise<{ items: EntityOf<E>[]; startPosition: number; time?: string }> {
    const startPosition = options.startPosition ?? 1;
    const maxResults = options.maxResults ?? 1000;
    if (
      !Number.isInteger(startPosition) ||
      startPosition < 1 ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > 1000
    ) {
      throw new QboValidationError('STARTPOSITION must be ≥ 1 and MAXRESULTS 1 to 1000', {
        code: 'qbsync-query',
        entity,
        userAction: 'report this as a qbsync bug',
      });
    }
    const text = `${this.queryText(entity, where, '*', QboClient.order(where, options.orderBy))} STARTPOSITION ${startPosition} MAXRESULTS ${maxResults}`;
    const { QueryResponse, time } = await this.rawQuery(text, entity);
    // Validated by rawQuery: a list when present; absent means zero rows (QuickBooks' `"QueryResponse":{}`).
    const raw = (QueryResponse[entity] as unknown[] | undefined) ?? [];
    const items = raw.map((o) => this.parseEntity(entity, o));
    return { items, startPosition, time };
  }

  /**
   * Every matching record, a page at a time (STARTPOSITION paging until a short page). Ordered by Id unless told
   * otherwise: an update does not move a record in that order, so paging neither skips nor repeats it.
   */
  async *query<E extends string>(
    entity: E,
    where?: Where,
    options: { pageSize?: number; orderBy?: string } = {},
  ): AsyncGenerator<EntityOf<E>[]> {
    const pageSize = options.pageSize ?? 1000;
    const orderBy = QboClient.order(where, options.orderBy);
    for (let start = 1; ; start += pageSize) {
      const { items } = await this.queryPage(entity, where, { startPosition: start, maxResults: pageSize, orderBy });
      if (items.length) yield items;
      if (items.length < pageSize) return;
    }
  }

  /** Everything `query` yields, in one array (for small result sets). */
  async queryAll<E extends string>(
    entity: E,
    where?: Where,
    options: { pageSize?: number; orderBy?: string } = {},
  ): Promise<EntityOf<E>[]> {
    const all: EntityOf<E>[] = [];
    for await (const page of this.query(entity, where, options)) all.push(...page);
    return all;
  }

  async count(entity: string, where?: Where): Promise<number> {
    const { QueryResponse } = await this.rawQuery(this.queryText(entity, where, 'COUNT(*)'), entity);
    return QueryResponse.totalCount as number;
  }

  // ——— single records ———

  async read<E extends string>(entity: E, id: string): Promise<EntityOf<E>> {
    this.requests.single++;
    const body = await this.call<Record<string, unknown>>({
      method: 'GET',
      path: `${entityName(entity).toLowerCase()}/${encodeURIComponent(id)}`,
      entity,
      recordId: id,
      expect: this.entityAnswer(entity),
    });
    return this.parseEntity(entity, body[entity], id);
  }

  async create<E extends string>(
    entity: E,
    body: Record<string, unknown>,
    options: WriteOptions,
  ): Promise<EntityOf<E>> {
    this.requests.single++;
    const requestId = this.checkRequestId(options.requestId, MAX_REQUEST_ID, entity);
    const answer = await this.call<Record<string, unknown>>({
      method: 'POST',
      path: entityName(entity).toLowerCase(),
      body,
      requestId,
      entity,
      recordId: options.recordId,
      expect: this.entityAnswer(entity),
    });
    return this.parseEntity(entity, answer[entity]);
  }

  /** A sparse update by default: only the fields sent change (a full update would null every field left out). */
  async update<E extends string>(
    entity: E,
    body: Record<string, unknown> & { Id: string; SyncToken: string },
    options: WriteOptions & { sparse?: boolean },
  ): Promise<EntityOf<E>> {
    this.requests.single++;
    const requestId = this.checkRequestId(options.requestId, MAX_REQUEST_ID, entity);
    const answer = await this.call<Record<string, unknown>>({
      method: 'POST',
      path: entityName(entity).toLowerCase(),
      body: { ...body, sparse: options.sparse ?? true },
      requestId,
      entity,
      recordId: body.Id,
      expect: this.entityAnswer(entity),
    });
    return this.parseEntity(entity, answer[entity], body.Id);
  }

  /** Deletes a transaction (customers and items cannot be deleted: see deactivate). */
  async delete(entity: string, ref: { Id: string; SyncToken: string }, options: WriteOptions): Promise<QboDeleted> {
    this.requests.single++;
    const requestId = this.checkRequestId(options.requestId, MAX_REQUEST_ID, entity);
    const answer = await this.call<Record<string, unknown>>({
      method: 'POST',
      path: entityName(entity).toLowerCase(),
      params: { operation: 'delete' },
      body: { Id: ref.Id, SyncToken: ref.SyncToken },
      requestId,
      entity,
      recordId: ref.Id,
      expect: this.entityAnswer(entity),
    });
    const parsed = DeletedSchema.safeParse(answer[entity]);
    return parsed.success ? parsed.data : { Id: ref.Id, status: 'Deleted' }; // an entity came back: it was deleted
  }

  /** Voids a transaction: it stays, with zero amounts (`?operation=void`, as for invoices). */
  async void<E extends string>(
    entity: E,
    ref: { Id: string; SyncToken: string },
    options: WriteOptions,
  ): Promise<EntityOf<E>> {
    this.requests.single++;
    const requestId = this.checkRequestId(options.requestId, MAX_REQUEST_ID, entity);
    const answer = await this.call<Record<string, unknown>>({
      method: 'POST',
      path: entityName(entity).toLowerCase(),
      params: { operation: 'void' },
      body: { Id: ref.Id, SyncToken: ref.SyncToken },
      requestId,
      entity,
      recordId: ref.Id,
      expect: this.entityAnswer(entity),
    });
    return this.parseEntity(entity, answer[entity], ref.Id);
  }

  /** Customers and items are never deleted in QuickBooks, only made inactive (a sparse `Active: false`). */
  async deactivate<E extends string>(
    entity: E,
    ref: { Id: string; SyncToken: string },
    options: WriteOptions,
  ): Promise<EntityOf<E>> {
    return this.update(entity, { Id: ref.Id, SyncToken: ref.SyncToken, Active: false }, { ...options, sparse: true });
  }

  async companyInfo(): Promise<QboCompanyInfo> {
    this.requests.single++;
    const body = await this.call<Record<string, unknown>>({
      method: 'GET',
      path: `companyinfo/${encodeURIComponent(this.realmId)}`,
      entity: 'CompanyInfo',
      expect: this.entityAnswer('CompanyInfo'),
    });
    return this.parseEntity('CompanyInfo', body.CompanyInfo);
  }

  async preferences(): Promise<QboPreferences> {
    this.requests.single++;
    const body = await this.call<Record<string, unknown>>({
      method: 'GET',
      path: 'preferences',
      entity: 'Preferences',
      expect: this.entityAnswer('Preferences'),
    });
    return this.parseEntity('Preferences', body.Preferences);
  }

  // ——— change data capture ———

  /** Changes since `changedSince`, with the 30-day and 1000-object limits handled: see cdc.ts. */
  async cdc(entities: string[], changedSince: Date, options: CdcOptions = {}): Promise<CdcResult> {
    return changeDataCapture(this, entities, changedSince, options);
  }

  /** Exactly one CDC call, no fallback: for callers that keep their own windows and cursors. */
  async cdcOnce(
    entities: string[],
    changedSince: Date,
  ): Promise<{ changes: Record<string, Array<QboObject | QboDeleted>>; total: number; time?: string }> {
    return cdcOnce(this, entities, changedSince);
  }

  /** One `/cdc` call, as QuickBooks answers it. */
  async rawCdc(
    entities: string[],
    changedSince: Date,
  ): Promise<{ CDCResponse?: Array<{ QueryResponse?: Array<Record<string, unknown>> }>; time?: string }> {
    this.requests.cdc++;
    entities.forEach(entityName);
    return this.call({
      method: 'GET',
      path: 'cdc',
      params: { entities: entities.join(','), changedSince: changedSince.toISOString().replace(/\.\d{3}Z$/, '+00:00') },
      entity: entities.join(','),
      expect: { schema: CdcEnvelopeSchema, what: 'a CDCResponse' },
    });
  }

  /** For cdc.ts: an entity as the schemas read it. */
  readEntity<E extends string>(entity: E, value: unknown): EntityOf<E> | QboDeleted {
    if ((value as { status?: string } | undefined)?.status === 'Deleted') {
      const deleted = DeletedSchema.safeParse(value);
      if (deleted.success) return deleted.data;
    }
    return this.parseEntity(entity, value);
  }

  // ——— batch ———

  /**
   * Many operations in as few requests as QuickBooks allows (30 items each). Answers come back in input order, each
   * the entity or its own error; a fault of a whole batch request throws. Items run independently and in no set order,
   * so an item must not depend on another of the same call. Chunk i carries the requestid `<requestId>-<i>` (≤ 36).
   */
  async batch(items: BatchRequestItem[], options: { requestId: string }): Promise<BatchItemResult[]> {
    this.checkRequestId(options.requestId, MAX_REQUEST_ID);
    const results: BatchItemResult[] = [];
    for (let start = 0, chunk = 0; start < items.length; start += BATCH_MAX_ITEMS, chunk++) {
      const part = items.slice(start, start + BATCH_MAX_ITEMS);
      const request = part.map((item, i) => {
        const bId = `b${i}`; // ≤ 10 characters, as QuickBooks requires when a requestid is sent
        if ('query' in item) return { bId, Query: item.query };
        if (!['create', 'update', 'delete'].includes(item.operation))
          throw new QboValidationError(`"${item.operation}" is not a batch operation`, {
            code: 'qbsync-batch',
            entity: item.entity,
            userAction: 'report this as a qbsync bug',
          });
        return { bId, operation: item.operation, [entityName(item.entity)]: item.body };
      });
      const requestId = this.checkRequestId(batchChunkRequestId(options.requestId, chunk), MAX_BATCH_REQUEST_ID);
      this.requests.batch++;
      const answer = await this.call<{ BatchItemResponse: Array<Record<string, unknown>> }>({
        method: 'POST',
        path: 'batch',
        body: { BatchItemRequest: request },
        requestId,
        batch: true,
        entity: 'batch',
        expect: { schema: BatchEnvelopeSchema, what: 'a BatchItemResponse' },
      });
      const byId = new Map(answer.BatchItemResponse.map((r) => [String(r.bId), r]));
      part.forEach((item, i) => results.push(this.batchItemResult(item, byId.get(`b${i}`))));
    }
    return results;
  }

  private batchItemResult(item: BatchRequestItem, answer: Record<string, unknown> | undefined): BatchItemResult {
    const entity = 'query' in item ? /\bfrom\s+(\w+)/i.exec(item.query)?.[1] : item.entity;
    const recordId = 'query' in item ? undefined : ((item.body.Id as string | undefined) ?? item.recordId);
    const where = { tenantId: this.tenantId, realmId: this.realmId, entity, recordId };
    if (!answer)
      return {
        ok: false,
        error: new QboTransientError('QuickBooks did not answer this batch item', {
          ...where,
          userAction: 'nothing: the item is retried',
        }),
      };
    const fault = parseFaultJson({ Fault: answer.Fault });
    if (answer.Fault && fault) return { ok: false, error: errorFromFault(fault, where) };
    try {
      if ('query' in item)
        return { ok: true, queryResponse: (answer.QueryResponse as Record<string, unknown> | undefined) ?? {} };
      return { ok: true, entity: this.readEntity(item.entity, answer[item.entity]) };
    } catch (error) {
      if (error instanceof QboError) return { ok: false, error };
      throw error;
    }
  }
}

function headerCaseless(headers: Headers, ...names: string[]): string | undefined {
  // Headers.get is case-insensitive already; the underscore and hyphen spellings are different names.
  for (const n of names) {
    const v = headers.get(n);
    if (v) return v;
  }
  return undefined;
}
