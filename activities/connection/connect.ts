import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../schema/db';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import { DecryptionError, type TokenCipher } from './crypto';
import { keyMismatchMessage } from './errors';
import type { IntuitOAuth } from './oauth';
import { getTenant } from './tenants';
import { tokenColumns } from './tokenStore';

export class ConnectError extends Error {
  override name = 'ConnectError';
}

export const STATE_TTL_MS = 10 * 60 * 1000;

export interface ConnectDeps {
  db: Db;
  oauth: IntuitOAuth;
  cipher: TokenCipher;
  clock: Clock;
  logger?: Logger;
}

export interface ConnectResult {
  tenantId: string;
  realmId: string;
}

/** Step 1: Intuit's authorize URL, with a random single-use state kept server-side (intuit-oauth does not check state). */
export async function startConnect(
  { db, oauth, clock }: ConnectDeps,
  tenantId: string,
): Promise<{ url: string; state: string }> {
  await getTenant(db, tenantId);
  const state = randomBytes(32).toString('base64url');
  const now = clock.now();
  // Stale states are useless; drop them as new ones are made so the table stays small.
  await db
    .deleteFrom('oauth_states')
    .where('expires_at', '<', new Date(now.getTime() - STATE_TTL_MS))
    .execute();
  await db
    .insertInto('oauth_states')
    .values({ state, tenant_id: tenantId, created_at: now, expires_at: new Date(now.getTime() + STATE_TTL_MS) })
    .execute();
  return { url: oauth.authorizeUrl(state), state };
}

function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Step 2: the callback. Verifies the state (known, unused, unexpired — and, when the caller issued it, equal to the one
 * expected, compared in constant time), refuses a realm another tenant holds before spending the code, exchanges the
 * code and stores the tokens encrypted.
 */
export async function completeConnect(
  deps: ConnectDeps,
  callbackUrl: string,
  expectedState?: string,
): Promise<ConnectResult> {
  const { db, oauth, cipher, clock } = deps;
  const url = new URL(callbackUrl, 'http://callback');
  const state = url.searchParams.get('state') ?? '';
  const realmId = url.searchParams.get('realmId') ?? '';
  const denied = url.searchParams.get('error');
  if (expectedState !== undefined && !sameState(state, expectedState))
    throw new ConnectError(
      'the OAuth state does not match the one this connect issued: start again with `qbsync connect <tenant>`',
    );
  const now = clock.now();
  // Taking the state and marking it used is one statement: a replayed callback finds it used.
  const taken = await db
    .updateTable('oauth_states')
    .set({ used_at: now })
    .where('state', '=', state)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['tenant_id', 'state'])
    .executeTakeFirst();
  if (!taken || !sameState(taken.state, state))
    throw new ConnectError(
      'the OAuth state is unknown, already used or expired: start again with `qbsync connect <tenant>`',
    );
  const tenantId = taken.tenant_id;
  if (denied) throw new ConnectError(`QuickBooks did not grant access to tenant ${tenantId}: ${denied.slice(0, 100)}`);
  if (!/^\d{1,32}$/.test(realmId)) throw new ConnectError('the callback carries no realmId');
  await refuseRealmHeldElsewhere(db, tenantId, realmId);
  const tokens = await oauth.exchangeCode(url.toString());
  const columns = {
    ...tokenColumns(cipher, realmId, tokens, now),
    realm_id: realmId,
    environment: oauth.settings.environment,
    api_base_url: oauth.settings.apiBaseUrl,
    status: 'connected' as const,
    connected_at: now,
    last_refreshed_at: now,
    last_error: null,
  };
  try {
    await db.transaction().execute(async (trx) => {
      // A tenant that disconnected no longer holds its realm: its row goes, so the realm can be linked here.
      await trx
        .deleteFrom('qbo_connections')
        .where('realm_id', '=', realmId)
        .where('tenant_id', '!=', tenantId)
        .where('status', '=', 'disconnected')
        .execute();
      await trx
        .insertInto('qbo_connections')
        .values({ tenant_id: tenantId, ...columns })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(columns))
        .execute();
    });
  } catch (error) {
    // Another tenant linked the realm between the check and the write.
    if ((error as { code?: string }).code === '23505') {
      await oauth.revoke(tokens.refresh_token).catch(() => undefined);
      await refuseRealmHeldElsewhere(db, tenantId, realmId);
      throw new ConnectError(`QuickBooks company ${realmId} is already linked to another tenant`);
    }
    throw error;
  }
  deps.logger?.info({ tenantId, realmId, environment: oauth.settings.environment }, 'connected to QuickBooks');
  return { tenantId, realmId };
}

async function refuseRealmHeldElsewhere(db: Db, tenantId: string, realmId: string): Promise<void> {
  const holder = await db
    .selectFrom('qbo_connections')
    .select('tenant_id')
    .where('realm_id', '=', realmId)
    .where('tenant_id', '!=', tenantId)
    .where('status', '!=', 'disconnected')
    .executeTakeFirst();
  if (holder) {
    throw new ConnectError(
      `QuickBooks company ${realmId} is already linked to tenant ${holder.tenant_id}; a company can belong to one tenant only (to move it, run \`qbsync disconnect ${holder.tenant_id}\` first)`,
    );
  }
}

/** For the emulator (tests, `npm start`): follows the authorize redirect itself instead of a browser. */
export async function connectNonInteractive(
  deps: ConnectDeps,
  tenantId: string,
  options: { realmId?: string } = {},
): Promise<ConnectResult> {
  const { url, state } = await startConnect(deps, tenantId);
  const authorize = new URL(url);
  // An emulator extension: which company "the user" picks on the consent screen.
  if (options.realmId) authorize.searchParams.set('realmId', options.realmId);
  const response = await fetch(authorize, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status < 300 || response.status > 399 || !location) {
    throw new ConnectError(
      `the authorize endpoint answered HTTP ${response.status} without a redirect: ${(await response.text()).slice(0, 200)}`,
    );
  }
  return completeConnect(deps, new URL(location, authorize).toString(), state);
}

export interface CallbackServer {
  /** Where the server listens, e.g. http://127.0.0.1:8911/callback (the real port when 0 was asked). */
  url: string;
  /** Settles with the first callback that completes or fails the flow. */
  done: Promise<ConnectResult>;
  close(): Promise<void>;
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>qbsync: ${title}</title><h1>${title}</h1><p>${text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`;

/** A local server at the redirect URI that completes the flow when Intuit sends the browser back, and answers a small page. */
export async function runCallbackServer(
  deps: ConnectDeps,
  options: { port: number; path?: string; host?: string; expectedState?: string },
): Promise<CallbackServer> {
  const path = options.path ?? '/callback';
  const host = options.host ?? '127.0.0.1';
  let settle!: { resolve: (v: ConnectResult) => void; reject: (e: unknown) => void };
  const done = new Promise<ConnectResult>((resolve, reject) => (settle = { resolve, reject }));
  // Callers that only await close() must not see an unhandled rejection.
  done.catch(() => undefined);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    // Anyone who can reach the port can call it: a callback without the pending flow's state is answered and
    // ignored, so it cannot abort the connect; the real callback (or the timeout) still settles it.
    if (options.expectedState !== undefined && !sameState(url.searchParams.get('state') ?? '', options.expectedState)) {
      deps.logger?.warn({ path }, 'ignored an OAuth callback whose state is not the pending one');
      res
        .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
        .end(page('Not connected', 'This link does not belong to the pending qbsync connect; it was ignored.'));
      return;
    }
    completeConnect(deps, url.toString(), options.expectedState).then(
      (result) => {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            page(
              'Connected',
              `Tenant ${result.tenantId} is linked to QuickBooks company ${result.realmId}. You can close this window.`,
            ),
          );
        settle.resolve(result);
      },
      (error: Error) => {
        const known = error.name === 'ConnectError' || error.name === 'TenantError' || error.name === 'OAuthGrantError';
        res
          .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            page(
              'Not connected',
              known ? error.message : 'the connection could not be completed; see the qbsync terminal',
            ),
          );
        settle.reject(error);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConnectError(
              `port ${options.port} is in use: stop what runs there or pass --port (and register the matching redirect URI)`,
            )
          : error,
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${path}`,
    done,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Revokes the grant at Intuit (best effort: a dead token is already useless) and forgets the tokens. */
export async function disconnect(
  { db, oauth, cipher, logger }: ConnectDeps,
  tenantId: string,
): Promise<{ revoked: boolean }> {
  await getTenant(db, tenantId);
  const row = await db.selectFrom('qbo_connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) throw new ConnectError(`tenant ${tenantId} has no QuickBooks connection`);
  let revoked = false;
  if (row.refresh_token_enc) {
    let refreshToken: string;
    try {
      refreshToken = cipher.decrypt(row.refresh_token_enc, row.realm_id, 'refresh_token');
    } catch (error) {
      // Forgetting tokens that were never revoked would leave the grant alive at Intuit: refuse, and say why.
      if (error instanceof DecryptionError)
        throw new ConnectError(
          `${keyMismatchMessage(tenantId, row.key_version)}; nothing was revoked or forgotten (fix the key and run \`qbsync disconnect ${tenantId}\` again)`,
        );
      throw error;
    }
    try {
      await oauth.revoke(refreshToken);
      revoked = true;
    } catch (error) {
      logger?.warn(
        { tenantId, realmId: row.realm_id, reason: (error as Error).message },
        'revoking the QuickBooks grant failed; the tokens are forgotten anyway',
      );
    }
  }
  await db
    .updateTable('qbo_connections')
    .set({
      status: 'disconnected',
      access_token_enc: null,
      access_token_expires_at: null,
      refresh_token_enc: null,
      refresh_token_expires_at: null,
      refresh_token_hard_expires_at: null,
      key_version: null,
      last_error: null,
    })
    .where('tenant_id', '=', tenantId)
    .execute();
  return { revoked };
}
