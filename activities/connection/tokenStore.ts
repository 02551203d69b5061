import type { Db } from '../../schema/db';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import type { TokenSource } from '../quickbooks/tokenSource';
import { DecryptionError, type TokenCipher } from './crypto';
import { ReconnectRequiredError, tokenKeyFailure, UnknownConnectionError } from './errors';
import { OAuthGrantError, type IntuitOAuth, type TokenJson } from './oauth';

export { UnknownConnectionError } from './errors';

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** Warn this long before the refresh token (rolling or 5-year hard limit) runs out. */
export const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;

/** @deprecated use `new ReconnectRequiredError(tenantId, reason)`. */
export function reconnectError(tenantId: string, reason: string): ReconnectRequiredError {
  return new ReconnectRequiredError(tenantId, reason);
}

/** Writes a token response into a connection row's columns (encrypted with the current key, with expiries). */
export function tokenColumns(cipher: TokenCipher, realmId: string, tokens: TokenJson, now: Date) {
  return {
    access_token_enc: cipher.encrypt(tokens.access_token, realmId, 'access_token'),
    access_token_expires_at: new Date(now.getTime() + tokens.expires_in * 1000),
    refresh_token_enc: cipher.encrypt(tokens.refresh_token, realmId, 'refresh_token'),
    refresh_token_expires_at: new Date(now.getTime() + tokens.x_refresh_token_expires_in * 1000),
    // Intuit sends the hard expiry only when asked; keep the one we have when an answer lacks it.
    ...(tokens.x_refresh_token_hard_expires_in
      ? { refresh_token_hard_expires_at: new Date(now.getTime() + tokens.x_refresh_token_hard_expires_in * 1000) }
      : {}),
    key_version: cipher.keyVersion,
  };
}

export interface ConnectionHealth {
  tenantId: string;
  status: 'connected' | 'needs-reconnect' | 'disconnected' | 'not-connected';
  realmId?: string;
  environment?: string;
  accessTokenExpiresAt?: Date | null;
  refreshTokenExpiresAt?: Date | null;
  refreshTokenHardExpiresAt?: Date | null;
  connectedAt?: Date;
  lastRefreshedAt?: Date | null;
  lastError?: string | null;
  /** Human sentences: what will stop working, and when; empty when all is well. */
  warnings: string[];
}

/**
 * Access tokens for every tenant, from PostgreSQL. A refresh locks the connection row (`SELECT … FOR UPDATE`), so
 * across all workers and processes one refresh token is spent once; the rotated refresh token is committed before the
 * new access token is returned. Within a process, concurrent callers for a tenant share one refresh.
 */
export class TokenStore {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly db: Db,
    private readonly cipher: TokenCipher,
    private readonly oauth: IntuitOAuth,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /** Where this process sends a tenant's tokens: configuration (QBO_ENV, QBO_API_BASE_URL), never a database row. */
  get apiBaseUrl(): string {
    return this.oauth.settings.apiBaseUrl;
  }

  get environment(): string {
    return this.oauth.settings.environment;
  }

  private decrypt(
    tenantId: string,
    row: {
      realm_id: string;
      key_version: string | null;
      access_token_enc: string | null;
      refresh_token_enc: string | null;
    },
    column: 'access_token' | 'refresh_token',
  ): string {
    try {
      return this.cipher.decrypt(row[`${column}_enc`]!, row.realm_id, column);
    } catch (error) {
      if (error instanceof DecryptionError) {
        this.logger?.error({ tenantId, realmId: row.realm_id, keyVersion: row.key_version }, error.message);
        throw tokenKeyFailure(tenantId, row.key_version);
      }
      throw error;
    }
  }

  forTenant(tenantId: string): TokenSource {
    return {
      accessToken: () => this.accessToken(tenantId),
      refreshAfterUnauthorized: (rejected) => this.refresh(tenantId, rejected),
    };
  }

  async connection(tenantId: string) {
    const row = await this.db
      .selectFrom('qbo_connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row)
      throw new UnknownConnectionError(
        `tenant ${tenantId} has no QuickBooks connection: run \`qbsync connect ${tenantId}\``,
      );
    return row;
  }

  async accessToken(tenantId: string): Promise<string> {
    const row = await this.connection(tenantId);
    if (row.status !== 'connected' || !row.access_token_enc)
      throw new ReconnectRequiredError(tenantId, `the connection is ${row.status}`);
    if (
      row.access_token_expires_at &&
      row.access_token_expires_at.getTime() - this.clock.now().getTime() > REFRESH_MARGIN_MS
    ) {
      return this.decrypt(tenantId, row, 'access_token');
    }
    return this.refresh(tenantId);
  }

  /**
   * A new access token. With `rejected` (the token QuickBooks just answered 401 to): when the stored token is already
   * another one and not near expiry, someone else refreshed — that one is returned without spending the refresh token.
   */
  refresh(tenantId: string, rejected?: string): Promise<string> {
    const running = this.inflight.get(tenantId);
    if (running) return running;
    const promise = this.refreshLocked(tenantId, rejected).finally(() => this.inflight.delete(tenantId));
    this.inflight.set(tenantId, promise);
    return promise;
  }

  private async refreshLocked(tenantId: string, rejected?: string): Promise<string> {
    // Failures that must be committed (needs-reconnect) are thrown after the transaction, not inside it.
    let failure: Error | undefined;
    const token = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('qbo_connections')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .forUpdate()
        .executeTakeFirst();
      if (!row)
        throw new UnknownConnectionError(
          `tenant ${tenantId} has no QuickBooks connection: run \`qbsync connect ${tenantId}\``,
        );
      if (row.status !== 'connected' || !row.refresh_token_enc) {
        failure = new ReconnectRequiredError(tenantId, `the connection is ${row.status}`);
        return '';
      }
      const now = this.clock.now();
      if (row.access_token_enc && row.access_token_expires_at) {
        const current = this.decrypt(tenantId, row, 'access_token');
        const fresh = row.access_token_expires_at.getTime() - now.getTime() > REFRESH_MARGIN_MS;
        // Re-checked under the lock: another worker refreshed while this one waited for it.
        if (fresh && (rejected === undefined || current !== rejected)) return current;
      }
      const refreshToken = this.decrypt(tenantId, row, 'refresh_token');
      let tokens: TokenJson;
      try {
        tokens = await this.oauth.refresh(refreshToken);
      } catch (error) {
        if (error instanceof OAuthGrantError && error.error === 'invalid_grant') {
          await trx
            .updateTable('qbo_connections')
            .set({ status: 'needs-reconnect', last_error: error.message })
            .where('tenant_id', '=', tenantId)
            .execute();
          this.logger?.warn(
            { tenantId, realmId: row.realm_id, intuitTid: error.intuitTid },
            'QuickBooks refused the refresh token (invalid_grant); the connection needs to be reconnected',
          );
          failure = new ReconnectRequiredError(
            tenantId,
            'Intuit answered invalid_grant: the refresh token expired or was revoked',
          );
          return '';
        }
        if (error instanceof OAuthGrantError) {
          await trx
            .updateTable('qbo_connections')
            .set({ last_error: error.message })
            .where('tenant_id', '=', tenantId)
            .execute();
          failure = error;
          return '';
        }
        throw error;
      }
      await trx
        .updateTable('qbo_connections')
        .set({ ...tokenColumns(this.cipher, row.realm_id, tokens, now), last_refreshed_at: now, last_error: null })
        .where('tenant_id', '=', tenantId)
        .execute();
      this.logger?.info(
        {
          tenantId,
          realmId: row.realm_id,
          accessTokenExpiresIn: tokens.expires_in,
          refreshTokenExpiresIn: tokens.x_refresh_token_expires_in,
        },
        'refreshed the QuickBooks access token',
      );
      return tokens.access_token;
    });
    if (failure) throw failure;
    return token;
  }

  /** What `qbsync tenant show` reports: status, realm, expiries, and warnings weeks before the refresh token dies. */
  async connectionHealth(tenantId: string): Promise<ConnectionHealth> {
    const row = await this.db
      .selectFrom('qbo_connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row)
      return {
        tenantId,
        status: 'not-connected',
        warnings: [`not connected to QuickBooks: run \`qbsync connect ${tenantId}\``],
      };
    return { ...describeConnection(row, this.clock.now(), this.cipher.keyVersion), tenantId };
  }
}

type ConnectionRow = Awaited<ReturnType<TokenStore['connection']>>;

/**
 * Health of a connection row at `now` (exported so the CLI can report without an OAuth client). With the id of the
 * current encryption key, tokens still stored under a former key are reported too (that key must stay configured).
 */
export function describeConnection(row: ConnectionRow, now: Date, currentKeyVersion?: string): ConnectionHealth {
  const warnings: string[] = [];
  const reconnect = `run \`qbsync connect ${row.tenant_id}\``;
  if (currentKeyVersion && row.key_version && row.key_version !== currentKeyVersion && row.status === 'connected')
    warnings.push(
      `the tokens are stored under a former encryption key (${row.key_version}): keep that key in QBSYNC_ENCRYPTION_KEYS_OLD until the next sync refreshes them under the current key (${currentKeyVersion})`,
    );
  if (row.status === 'needs-reconnect')
    warnings.push(
      `QuickBooks no longer accepts this connection${row.last_error ? ` (${row.last_error})` : ''}: ${reconnect}`,
    );
  if (row.status === 'disconnected') warnings.push(`disconnected: ${reconnect} to link QuickBooks again`);
  if (row.status === 'connected') {
    const days = (at: Date) => Math.max(0, Math.floor((at.getTime() - now.getTime()) / (24 * 3600 * 1000)));
    const rolling = row.refresh_token_expires_at;
    if (rolling && rolling.getTime() - now.getTime() <= EXPIRY_WARNING_MS) {
      warnings.push(
        `the refresh token expires in ${days(rolling)} days (${rolling.toISOString()}) unless qbsync syncs before then; if it lapses, ${reconnect}`,
      );
    }
    const hard = row.refresh_token_hard_expires_at;
    if (hard && hard.getTime() - now.getTime() <= EXPIRY_WARNING_MS) {
      warnings.push(
        `Intuit's 5-year limit on this authorisation ends in ${days(hard)} days (${hard.toISOString()}): ${reconnect} before then`,
      );
    }
  }
  return {
    tenantId: row.tenant_id,
    status: row.status,
    realmId: row.realm_id,
    environment: row.environment,
    accessTokenExpiresAt: row.access_token_expires_at,
    refreshTokenExpiresAt: row.refresh_token_expires_at,
    refreshTokenHardExpiresAt: row.refresh_token_hard_expires_at,
    connectedAt: row.connected_at,
    lastRefreshedAt: row.last_refreshed_at,
    lastError: row.last_error,
    warnings,
  };
}
