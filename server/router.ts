import { createHash } from 'node:crypto';
import type http from 'node:http';
import { sql } from 'kysely';
import { z } from 'zod';
import { TenantError } from '../activities/connection/tenants';
import { SettingsError } from '../activities/connection/tenantSettings';
import type { Db } from '../schema/db';
import type { Logger } from '../workers/logger';
import { allowsTenant, authenticate, type ApiKey } from './apiKeys';
import { problem, ProblemError, type FieldLocation } from './problem';
import {
  audit,
  clientAddress,
  CSRF_HEADER,
  csrfMatches,
  findSession,
  sessionToken,
  type OperatorSession,
} from './session';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Ctx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The request's transaction for writes (with its Idempotency-Key row), the pool for reads. */
  db: Db;
  key: ApiKey | undefined;
  url: URL;
  /** The console session the request carries (its cookie), if any; such a request acts for all tenants. */
  operator?: OperatorSession;
  request: http.IncomingMessage;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** Non-JSON answers (the OAuth callback page). */
  html?: string;
  headers?: Record<string, string>;
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** 'none': no API key (the OpenAPI document, the OAuth callback). */
  auth?: 'key' | 'none';
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Accepts an Idempotency-Key (POST and PATCH writes). */
  idempotent?: boolean;
  /** Runs in a transaction (with the Idempotency-Key row when one is sent). */
  write?: boolean;
  response: {
    status: number;
    schema: z.ZodType;
    description: string;
    html?: boolean;
    /** The type of a non-JSON answer (default text/html). */
    contentType?: string;
  };
  handler(ctx: Ctx<P, Q, B>): Promise<Reply>;
}

export function route<P, Q, B>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

export interface RouterOptions {
  db: Db;
  logger: Logger;
  maxBodyBytes: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Matches, authenticates, validates, runs in a transaction where asked, and answers JSON or problem+json. */
export function createHandler(routes: Route[], options: RouterOptions): http.RequestListener {
  const compiled: Compiled[] = routes.map((r) => {
    const names: string[] = [];
    const pattern = r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route: r, regex: new RegExp(`^${pattern}$`), names };
  });

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: (error as Error)?.message }, 'API: unexpected failure while answering');
      if (!res.headersSent) send(res, 500, internal().toProblem(), 'application/problem+json');
      else res.destroy();
    });
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let audited: { operator: OperatorSession; tenantId: string | null; action: string } | undefined;
    const record = (a: NonNullable<typeof audited>, status: number, detail?: string) =>
      audit(options.db, {
        operator: a.operator.operator,
        action: a.action,
        tenantId: a.tenantId,
        status,
        detail,
        address: clientAddress(req),
      });
    try {
      const candidates = compiled.filter((c) => c.regex.test(url.pathname));
      if (candidates.length === 0)
        throw problem.notFound('path', 'path', `no API operation at ${url.pathname}; see /openapi.json`);
      const match = candidates.find((c) => c.route.method === method);
      if (!match)
        throw new ProblemError(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${method} ${url.pathname} is not an operation; use ${candidates.map((c) => c.route.method).join(', ')}`,
          [{ in: 'path', field: 'method', message: `one of ${candidates.map((c) => c.route.method).join(', ')}` }],
        );
      const r = match.route;
      const rawParams: Record<string, string> = {};
      const m = match.regex.exec(url.pathname)!;
      match.names.forEach((n, i) => (rawParams[n] = decodeURIComponent(m[i + 1])));

      let key: ApiKey | undefined;
      // A console session (cookie) instead of an API key; with it, every state-changing request must carry the
      // session's CSRF token, and is written to the audit log. A request with an API key is answered as before.
      const cookieToken = header(req, 'authorization') ? undefined : sessionToken(header(req, 'cookie'));
      const operator = cookieToken ? await findSession(options.db, cookieToken) : undefined;
      if (r.auth !== 'none' && cookieToken) {
        if (!operator) throw problem.unauthenticated('the console session has ended: sign in again');
        if (method !== 'GET' && !csrfMatches(operator, header(req, CSRF_HEADER)))
          throw problem.forbidden(
            'X-CSRF-Token',
            'header',
            'a request made with the console session needs its CSRF token',
          );
        key = operatorKey(operator);
        audited = {
          operator,
          tenantId: rawParams.tenant ?? null,
          action: `${r.operationId} (${method} ${url.pathname})`,
        };
        if (method === 'GET') audited = undefined;
      } else if (r.auth !== 'none') {
        const auth = await authenticate(options.db, header(req, 'authorization'));
        if (typeof auth === 'string') throw problem.unauthenticated(auth);
        key = auth;
        if (rawParams.tenant !== undefined && !allowsTenant(key, rawParams.tenant))
          throw problem.forbidden('tenant', 'path', `this API key may not act on tenant ${rawParams.tenant}`);
      }
      const params = parse(r.params, rawParams, 'path');
      const query = parse(r.query, Object.fromEntries(url.searchParams), 'query');
      let body: unknown = undefined;
      let rawBody = '';
      if (r.body) {
        const type = header(req, 'content-type') ?? '';
        if (!/^application\/(.+\+)?json\b/i.test(type))
          throw new ProblemError(
            415,
            'unsupported-media-type',
            'Unsupported media type',
            'send the body as application/json',
            [{ in: 'header', field: 'Content-Type', message: 'application/json' }],
          );
        rawBody = await readBody(req, options.maxBodyBytes);
        let json: unknown;
        try {
          json = JSON.parse(rawBody);
        } catch (e) {
          throw new ProblemError(
            400,
            'invalid-json',
            'Body is not JSON',
            `the body is not valid JSON: ${(e as Error).message}`,
            [{ in: 'body', field: 'body', message: 'valid JSON' }],
          );
        }
        body = parse(r.body, json, 'body');
      } else {
        req.resume();
      }

      const run = (db: Db) => r.handler({ params, query, body, db, key, url, operator, request: req });
      let reply: Reply;
      const idem = header(req, 'idempotency-key');
      if (idem !== undefined && audited)
        throw problem.unprocessable(
          'Idempotency-Key',
          'header',
          'Idempotency-Key is for API keys, not console sessions',
        );
      if (idem !== undefined && !r.idempotent)
        throw problem.unprocessable(
          'Idempotency-Key',
          'header',
          `${method} ${r.path} does not take an Idempotency-Key`,
        );
      if (idem !== undefined) {
        if (!IDEMPOTENCY_KEY.test(idem))
          throw problem.invalid(
            'header',
            new z.ZodError([
              { code: 'custom', path: ['Idempotency-Key'], message: '1 to 255 visible ASCII characters', input: idem },
            ]),
          );
        reply = await idempotent(options.db, key!, idem, `${method} ${url.pathname}\n${rawBody}`, run);
      } else if (r.write) {
        reply = await options.db.transaction().execute((trx) => run(trx));
      } else {
        reply = await run(options.db);
      }
      if (audited) await record(audited, reply.status ?? r.response.status);
      if (reply.html !== undefined) {
        send(res, reply.status ?? 200, reply.html, 'text/html; charset=utf-8', reply.headers);
        return;
      }
      send(res, reply.status ?? r.response.status, reply.body, 'application/json', reply.headers);
    } catch (error) {
      const p = toProblem(error);
      if (audited) await record(audited, p.status, p.message).catch(() => undefined);
      if (p.status >= 500)
        options.logger.error({ err: (error as Error)?.message, path: url.pathname }, 'API: request failed');
      send(res, p.status, p.toProblem(), 'application/problem+json');
    }
  }
}

/** A console session acts as an operator may: on every tenant. */
function operatorKey(s: OperatorSession): ApiKey {
  return {
    id: `operator:${s.operator}`,
    name: s.operator,
    tenants: ['*'],
    createdAt: new Date(0).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
}

/** Runs `work` once per (API key, Idempotency-Key): the key's row is inserted in the work's own transaction, so a
 * concurrent repeat waits on it, then replays the stored answer; a different request under the same key is refused. */
async function idempotent(
  db: Db,
  key: ApiKey,
  idem: string,
  request: string,
  work: (db: Db) => Promise<Reply>,
): Promise<Reply> {
  const hash = createHash('sha256').update(request).digest('hex');
  for (let i = 0; i < 3; i++) {
    const outcome = await db.transaction().execute(async (trx) => {
      const claimed = await sql<{ key: string }>`
        insert into idempotency_keys (api_key_id, key, request_hash, status) values (${key.id}, ${idem}, ${hash}, 'processing')
        on conflict do nothing returning key`.execute(trx);
      if (claimed.rows.length === 0) return undefined;
      const reply = await work(trx);
      await trx
        .updateTable('idempotency_keys')
        .set({
          status: 'done',
          response_status: reply.status ?? 200,
          response_body: JSON.stringify(reply.body ?? null),
        })
        .where('api_key_id', '=', key.id)
        .where('key', '=', idem)
        .execute();
      return reply;
    });
    if (outcome) return outcome;
    const stored = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('api_key_id', '=', key.id)
      .where('key', '=', idem)
      .executeTakeFirst();
    if (!stored) continue; // the first attempt rolled back: this one may do the work
    if (stored.request_hash !== hash)
      throw problem.unprocessable(
        'Idempotency-Key',
        'header',
        `Idempotency-Key ${idem} was used for a different request; use a new key for a new request`,
      );
    return {
      status: stored.response_status ?? 200,
      body: stored.response_body,
      headers: { 'idempotent-replayed': 'true' },
    };
  }
  throw problem.conflict(
    'Idempotency-Key',
    'header',
    `Idempotency-Key ${idem} is in use by a request that keeps failing; retry later`,
  );
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: FieldLocation): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw problem.invalid(where, result.error);
  return result.data;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(problem.tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(problem.tooLarge(limit));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  type: string,
  headers: Record<string, string> = {},
): void {
  const text = type.startsWith('text/html') ? String(body) : JSON.stringify(body ?? null);
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function internal(): ProblemError {
  return new ProblemError(500, 'internal', 'Internal error', 'qbsync could not answer; the server log says why', [
    { in: 'body', field: 'request', message: 'retry later' },
  ]);
}

/** Known failures as problems naming their field; PostgreSQL's constraint errors name the column. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof TenantError) {
    const notFound = /does not exist|not found/i.test(error.message);
    return notFound
      ? problem.notFound('tenant', 'path', error.message)
      : new ProblemError(400, 'invalid-request', 'Invalid request', error.message, [
          { in: 'body', field: 'id', message: error.message },
        ]);
  }
  if (error instanceof SettingsError) {
    const field = /setting ([\w.]+)/.exec(error.message)?.[1] ?? 'settings';
    return new ProblemError(400, 'invalid-request', 'Invalid setting', error.message, [
      { in: 'body', field, message: error.message },
    ]);
  }
  const pg = error as { code?: string; detail?: string; column?: string; constraint?: string };
  const column = pg.column ?? /Key \(([^)]+)\)/.exec(pg.detail ?? '')?.[1] ?? pg.constraint ?? 'body';
  if (pg.code === '23503') return problem.unprocessable(column, 'body', `${column} names a record that does not exist`);
  if (pg.code === '23505') return problem.conflict(column, 'body', `a record with this ${column} already exists`);
  if (pg.code === '23514' || pg.code === '23502' || pg.code === '22001' || pg.code === '22003')
    return new ProblemError(400, 'invalid-request', 'Invalid request', `${column} is not acceptable here`, [
      { in: 'body', field: column, message: 'not acceptable' },
    ]);
  return internal();
}
