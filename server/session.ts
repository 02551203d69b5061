import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { sql } from 'kysely';
import { hashPassword, verifyPassword } from '../activities/backends/quickbooks-desktop/credentials';
import type { Db } from '../schema/db';

/**
 * Console operators and their sessions. Passwords are kept as the same scrypt hash the Web Connector password uses;
 * a session is a random 256-bit token in an HttpOnly cookie, stored only as its SHA-256 (as API keys are), with a
 * synchronizer CSRF token every state-changing request made with the cookie must echo in `X-CSRF-Token`.
 */
export const SESSION_COOKIE = 'qbsync_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_HOURS = 12;
/** Failed sign-ins of one name within LOCK_WINDOW_MINUTES that lock it for the rest of that window. */
export const LOCK_AFTER = 5;
export const LOCK_WINDOW_MINUTES = 15;
export const MIN_PASSWORD = 12;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
/** Compared against when the name is unknown, so an unknown name costs the same time as a wrong password. */
const ABSENT_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

export class OperatorError extends Error {
  override name = 'OperatorError';
}

export interface OperatorSession {
  operator: string;
  csrfToken: string;
  expiresAt: Date;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function addOperator(db: Db, name: string, password: string): Promise<void> {
  if (!NAME.test(name))
    throw new OperatorError(`"${name}" is not a user name: letters, digits, dot, dash, underscore or @ (at most 100)`);
  if (password.length < MIN_PASSWORD) throw new OperatorError(`the password needs at least ${MIN_PASSWORD} characters`);
  const password_hash = await hashPassword(password);
  await db
    .insertInto('operators')
    .values({ name, password_hash })
    .onConflict((oc) => oc.column('name').doUpdateSet({ password_hash, disabled_at: null }))
    .execute();
  // A new password ends the sessions the old one opened.
  await db.deleteFrom('operator_sessions').where('operator', '=', name).execute();
}

/** `npm start` on a database with no console user: one named admin with a random password, for the terminal to show. */
export async function ensureFirstOperator(db: Db): Promise<{ name: string; password: string } | undefined> {
  const any = await db.selectFrom('operators').select('name').limit(1).executeTakeFirst();
  if (any) return undefined;
  const password = randomBytes(12).toString('base64url');
  await addOperator(db, 'admin', password);
  return { name: 'admin', password };
}

export async function listOperators(db: Db) {
  return db
    .selectFrom('operators')
    .select(['name', 'created_at', 'last_login_at', 'disabled_at'])
    .orderBy('name')
    .execute();
}

export async function disableOperator(db: Db, name: string): Promise<void> {
  const r = await db
    .updateTable('operators')
    .set({ disabled_at: sql`coalesce(disabled_at, now())` })
    .where('name', '=', name)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new OperatorError(`no user ${name}: see qbsync user list`);
  await db.deleteFrom('operator_sessions').where('operator', '=', name).execute();
}

export type SignIn =
  { ok: true; token: string; session: OperatorSession } | { ok: false; reason: 'wrong' | 'locked'; lockedUntil?: Date };

/** Checks a name and password; repeated failures of a name lock it out for LOCK_WINDOW_MINUTES, known or not. */
export async function signIn(db: Db, name: string, password: string, address: string | null): Promise<SignIn> {
  const since = new Date(Date.now() - LOCK_WINDOW_MINUTES * 60_000);
  const failures = await db
    .selectFrom('login_failures')
    .select([sql<number>`count(*)::int`.as('n'), sql<Date | null>`max(at)`.as('last')])
    .where('name', '=', name)
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  if (failures.n >= LOCK_AFTER)
    return {
      ok: false,
      reason: 'locked',
      lockedUntil: new Date(failures.last!.getTime() + LOCK_WINDOW_MINUTES * 60_000),
    };
  const row = await db
    .selectFrom('operators')
    .select(['name', 'password_hash'])
    .where('name', '=', name)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  const matches = await verifyPassword(password, row?.password_hash ?? ABSENT_HASH);
  if (!row || !matches) {
    await db.insertInto('login_failures').values({ name, address }).execute();
    const locked = failures.n + 1 >= LOCK_AFTER;
    await audit(db, {
      operator: name,
      action: locked ? 'sign-in refused; locked out' : 'sign-in refused',
      status: 401,
      address,
    });
    return { ok: false, reason: 'wrong' };
  }
  await db.deleteFrom('login_failures').where('name', '=', name).execute();
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600_000);
  await db.deleteFrom('operator_sessions').where('expires_at', '<', new Date()).execute();
  await db
    .insertInto('operator_sessions')
    .values({ token_hash: sha256(token), operator: row.name, csrf_token: csrfToken, expires_at: expiresAt })
    .execute();
  await db.updateTable('operators').set({ last_login_at: new Date() }).where('name', '=', row.name).execute();
  await audit(db, { operator: row.name, action: 'signed in', status: 200, address });
  return { ok: true, token, session: { operator: row.name, csrfToken, expiresAt } };
}

export function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The live session a cookie token names (its operator not disabled), or undefined. */
export async function findSession(db: Db, token: string): Promise<OperatorSession | undefined> {
  const row = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.name', 's.operator')
    .select(['s.operator', 's.csrf_token', 's.expires_at'])
    .where('s.token_hash', '=', sha256(token))
    .where('s.expires_at', '>', new Date())
    .where('o.disabled_at', 'is', null)
    .executeTakeFirst();
  return row ? { operator: row.operator, csrfToken: row.csrf_token, expiresAt: row.expires_at } : undefined;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('operator_sessions').where('token_hash', '=', sha256(token)).execute();
}

export function csrfMatches(session: OperatorSession, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Secure when the request came over TLS, directly or through a proxy that says so. */
export function overTls(req: http.IncomingMessage): boolean {
  return Boolean((req.socket as TLSSocket).encrypted) || req.headers['x-forwarded-proto'] === 'https';
}

export function sessionCookie(token: string, secure: boolean, maxAgeSeconds = SESSION_HOURS * 3600): string {
  // Lax, not Strict: the browser comes back from Intuit's consent page (another site) with the cookie, so the OAuth
  // callback can return it to the console; every state-changing request still needs the CSRF token.
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return sessionCookie('', secure, 0);
}

export function clientAddress(req: http.IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}

export async function audit(
  db: Db,
  entry: {
    operator: string;
    action: string;
    tenantId?: string | null;
    status?: number | null;
    detail?: string | null;
    address?: string | null;
  },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      operator: entry.operator,
      action: entry.action,
      tenant_id: entry.tenantId ?? null,
      status: entry.status ?? null,
      detail: entry.detail ?? null,
      address: entry.address ?? null,
    })
    .execute();
}
