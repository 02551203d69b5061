import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Reply } from './faults';

export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 8_726_400; // 101 days, as Intuit reports it
export const REFRESH_GRACE_MS = 24 * 3600 * 1000;
const HARD_EXPIRY_SECONDS = 5 * 365 * 24 * 3600;

export interface App {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

interface Grant {
  id: string;
  clientId: string;
  realmId: string;
  consentedAt: number;
  revoked: boolean;
}

interface RefreshToken {
  grantId: string;
  expiresAt: number;
  /** When a newer refresh token replaced this one; it keeps working for 24 h after. */
  supersededAt?: number;
}

interface AccessToken {
  grantId: string;
  realmId: string;
  expiresAt: number;
}

export interface OAuthState {
  apps: App[];
  grants: Grant[];
  refreshTokens: Array<[string, RefreshToken]>;
  accessTokens: Array<[string, AccessToken]>;
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Intuit's OAuth 2.0 server as QuickBooks apps see it. */
export class OAuthServer {
  readonly apps = new Map<string, App>();
  private readonly grants = new Map<string, Grant>();
  private readonly codes = new Map<
    string,
    { clientId: string; realmId: string; redirectUri: string; expiresAt: number }
  >();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly accessTokens = new Map<string, AccessToken>();

  constructor(private readonly now: () => number) {}

  registerApp(app: Partial<App> & { redirectUris: string[] }): App {
    const full: App = {
      clientId: app.clientId ?? token('AB'),
      clientSecret: app.clientSecret ?? token('s'),
      redirectUris: app.redirectUris,
    };
    this.apps.set(full.clientId, full);
    return full;
  }

  /** The consent step: Intuit's page would ask the user; the emulator consents at once. */
  authorize(params: URLSearchParams, pickRealm: (requested?: string) => string): Reply {
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const app = this.apps.get(clientId);
    if (!app) return { status: 400, body: { error: 'invalid_client', error_description: 'unknown client_id' } };
    if (!app.redirectUris.includes(redirectUri))
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'redirect_uri is not registered for this app' },
      };
    if (params.get('response_type') !== 'code') return { status: 400, body: { error: 'unsupported_response_type' } };
    if (!(params.get('scope') ?? '').split(/\s+/).includes('com.intuit.quickbooks.accounting'))
      return { status: 400, body: { error: 'invalid_scope' } };
    const realmId = pickRealm(params.get('realmId') ?? undefined);
    const code = token('AB11');
    this.codes.set(code, { clientId, realmId, redirectUri, expiresAt: this.now() + 10 * 60_000 });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    location.searchParams.set('state', params.get('state') ?? '');
    location.searchParams.set('realmId', realmId);
    return { status: 302, body: '', headers: { location: location.toString() } };
  }

  private client(authorization: string | undefined, form: URLSearchParams): App | undefined {
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString();
      const colon = decoded.indexOf(':');
      id = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    }
    const app = this.apps.get(id);
    return app && safeEqual(app.clientSecret, secret) ? app : undefined;
  }

  private issue(grant: Grant, withHardExpiry: boolean): Record<string, unknown> {
    const now = this.now();
    const access = token('at');
    const refresh = token('RT1');
    this.accessTokens.set(access, {
      grantId: grant.id,
      realmId: grant.realmId,
      expiresAt: now + ACCESS_TOKEN_SECONDS * 1000,
    });
    this.refreshTokens.set(refresh, { grantId: grant.id, expiresAt: now + REFRESH_TOKEN_SECONDS * 1000 });
    const body: Record<string, unknown> = {
      token_type: 'bearer',
      access_token: access,
      expires_in: ACCESS_TOKEN_SECONDS,
      refresh_token: refresh,
      x_refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
    };
    if (withHardExpiry)
      body.x_refresh_token_hard_expires_in = Math.max(
        0,
        Math.floor((grant.consentedAt + HARD_EXPIRY_SECONDS * 1000 - now) / 1000),
      );
    return body;
  }

  token(
    authorization: string | undefined,
    form: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
  ): Reply {
    const app = this.client(authorization, form);
    if (!app) return { status: 401, body: { error: 'invalid_client' } };
    const hard = String(headers['x-include-refresh-token-hard-expires-in'] ?? '').toLowerCase() === 'true';
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (
        !code ||
        code.clientId !== app.clientId ||
        code.expiresAt < this.now() ||
        code.redirectUri !== form.get('redirect_uri')
      )
        return { status: 400, body: { error: 'invalid_grant' } };
      const grant: Grant = {
        id: token('g'),
        clientId: app.clientId,
        realmId: code.realmId,
        consentedAt: this.now(),
        revoked: false,
      };
      this.grants.set(grant.id, grant);
      return { status: 200, body: this.issue(grant, hard) };
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const record = this.refreshTokens.get(presented);
      const grant = record ? this.grants.get(record.grantId) : undefined;
      const now = this.now();
      if (
        !record ||
        !grant ||
        grant.revoked ||
        grant.clientId !== app.clientId ||
        record.expiresAt < now ||
        (record.supersededAt !== undefined && now > record.supersededAt + REFRESH_GRACE_MS)
      ) {
        return { status: 400, body: { error: 'invalid_grant' } };
      }
      const body = this.issue(grant, hard);
      // The presented token is replaced; it stays usable for 24 hours (a client that lost the answer can retry).
      if (record.supersededAt === undefined) record.supersededAt = now;
      return { status: 200, body };
    }
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }

  revoke(authorization: string | undefined, presented: string): Reply {
    const app = this.client(authorization, new URLSearchParams());
    if (!app) return { status: 401, body: { error: 'invalid_client' } };
    const grantId = this.refreshTokens.get(presented)?.grantId ?? this.accessTokens.get(presented)?.grantId;
    const grant = grantId ? this.grants.get(grantId) : undefined;
    if (grant && grant.clientId === app.clientId) grant.revoked = true;
    return { status: 200, body: '' };
  }

  /** The realm an access token opens, or why it does not. */
  check(accessToken: string | undefined): { realmId: string } | { error: string } {
    if (!accessToken) return { error: 'Token is missing' };
    const record = this.accessTokens.get(accessToken);
    if (!record) return { error: 'Token invalid' };
    const grant = this.grants.get(record.grantId);
    if (!grant || grant.revoked) return { error: 'Token revoked' };
    if (record.expiresAt <= this.now()) return { error: `Token expired: ${accessToken.slice(0, 6)}…` };
    return { realmId: record.realmId };
  }

  /** Test convenience: tokens for a realm without the browser round trip. */
  issueDirect(clientId: string, realmId: string): Record<string, unknown> {
    if (!this.apps.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const grant: Grant = { id: token('g'), clientId, realmId, consentedAt: this.now(), revoked: false };
    this.grants.set(grant.id, grant);
    return this.issue(grant, true);
  }

  /** Forgets every grant and token (apps stay registered). */
  resetGrants(): void {
    this.grants.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  expireRealm(realmId: string): void {
    for (const t of this.accessTokens.values()) if (t.realmId === realmId) t.expiresAt = 0;
  }

  snapshot(): OAuthState {
    return {
      apps: [...this.apps.values()],
      grants: [...this.grants.values()],
      refreshTokens: [...this.refreshTokens],
      accessTokens: [...this.accessTokens],
    };
  }

  restore(state: OAuthState): void {
    for (const a of state.apps) this.apps.set(a.clientId, a);
    for (const g of state.grants) this.grants.set(g.id, g);
    for (const [k, v] of state.refreshTokens) this.refreshTokens.set(k, v);
    for (const [k, v] of state.accessTokens) this.accessTokens.set(k, v);
  }
}
