import type { Config } from '../../workers/config';

// intuit-oauth ships no types; this is the part of it qbsync uses.
interface IntuitOAuthClient {
  authorizeUri(params: { scope: string[]; state: string }): string;
  createToken(uri: string): Promise<{ getJson(): TokenJson }>;
  refreshUsingToken(refreshToken: string): Promise<{ getJson(): TokenJson }>;
  revoke(params: { refresh_token?: string; access_token?: string }): Promise<unknown>;
  setAuthorizeURLs(params: {
    authorizeEndpoint: string;
    tokenEndpoint: string;
    revokeEndpoint: string;
    userInfoEndpoint: string;
  }): void;
}
type IntuitOAuthClass = {
  new (config: {
    clientId: string;
    clientSecret: string;
    environment: string;
    redirectUri: string;
    logging: boolean;
    includeRefreshTokenHardExpiresIn?: boolean;
  }): IntuitOAuthClient;
  scopes: { Accounting: string };
};
const OAuthClient = require('intuit-oauth') as IntuitOAuthClass;

export interface TokenJson {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in?: number;
  realmId?: string;
}

export type QboEnvironment = 'emulator' | 'sandbox' | 'production';

export interface OAuthSettings {
  environment: QboEnvironment;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizeEndpoint: string;
  tokenEndpoint: string;
  revokeEndpoint: string;
  apiBaseUrl: string;
}

export const SCOPE = 'com.intuit.quickbooks.accounting';

/** Where the emulator's demo app sends users back to (`qbsync connect` listens there). */
export const DEV_REDIRECT_URI = 'http://127.0.0.1:8911/callback';

/** Intuit's endpoints, or the emulator's on the same paths: only base URLs differ. */
export function oauthSettings(config: Config): OAuthSettings {
  const env = config.QBO_ENV;
  if (env === 'emulator') {
    const base = (config.QBO_OAUTH_BASE_URL ?? `http://127.0.0.1:${config.EMULATOR_PORT}`).replace(/\/$/, '');
    return {
      environment: env,
      clientId: config.QBO_CLIENT_ID ?? 'qbsync-dev',
      clientSecret: config.QBO_CLIENT_SECRET ?? 'qbsync-dev-secret',
      redirectUri: config.QBO_REDIRECT_URI ?? DEV_REDIRECT_URI,
      authorizeEndpoint: `${base}/connect/oauth2`,
      tokenEndpoint: `${base}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${base}/v2/oauth2/tokens/revoke`,
      apiBaseUrl: (config.QBO_API_BASE_URL ?? base).replace(/\/$/, ''),
    };
  }
  for (const name of ['QBO_CLIENT_ID', 'QBO_CLIENT_SECRET', 'QBO_REDIRECT_URI'] as const) {
    if (!config[name])
      throw new OAuthConfigError(
        `${name} is missing: QBO_ENV=${env} needs your Intuit app's client id, client secret and redirect URI`,
      );
  }
  return {
    environment: env,
    clientId: config.QBO_CLIENT_ID!,
    clientSecret: config.QBO_CLIENT_SECRET!,
    redirectUri: config.QBO_REDIRECT_URI!,
    authorizeEndpoint: config.QBO_OAUTH_BASE_URL
      ? `${config.QBO_OAUTH_BASE_URL}/connect/oauth2`
      : 'https://appcenter.intuit.com/connect/oauth2',
    tokenEndpoint: config.QBO_OAUTH_BASE_URL
      ? `${config.QBO_OAUTH_BASE_URL}/oauth2/v1/tokens/bearer`
      : 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    revokeEndpoint: config.QBO_OAUTH_BASE_URL
      ? `${config.QBO_OAUTH_BASE_URL}/v2/oauth2/tokens/revoke`
      : 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
    apiBaseUrl:
      config.QBO_API_BASE_URL ??
      (env === 'production' ? 'https://quickbooks.api.intuit.com' : 'https://sandbox-quickbooks.api.intuit.com'),
  };
}

export class OAuthConfigError extends Error {
  override name = 'OAuthConfigError';
}

/** An OAuth failure reduced to what is safe to show: Intuit's error code, description and transaction id — never the request. */
export class OAuthGrantError extends Error {
  override name = 'OAuthGrantError';
  constructor(
    readonly error: string,
    readonly description: string,
    readonly intuitTid?: string,
  ) {
    super(
      `Intuit's OAuth server answered ${error}${description ? `: ${description}` : ''}${intuitTid ? ` [intuit_tid ${intuitTid}]` : ''}`,
    );
  }
}

function clean(error: unknown): OAuthGrantError {
  const e = error as { error?: unknown; error_description?: unknown; intuit_tid?: unknown; message?: unknown };
  const code =
    typeof e?.error === 'string' && e.error ? e.error : typeof e?.message === 'string' ? e.message : 'unknown_error';
  return new OAuthGrantError(
    code.slice(0, 200),
    typeof e?.error_description === 'string' ? e.error_description.slice(0, 200) : '',
    typeof e?.intuit_tid === 'string' ? e.intuit_tid : undefined,
  );
}

/** Intuit's OAuth 2.0 through intuit-oauth, with its logging off (it would write the client secret to ./logs). */
export class IntuitOAuth {
  constructor(readonly settings: OAuthSettings) {}

  private client(): IntuitOAuthClient {
    const client = new OAuthClient({
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
      environment: this.settings.environment === 'production' ? 'production' : 'sandbox',
      redirectUri: this.settings.redirectUri,
      logging: false,
      includeRefreshTokenHardExpiresIn: true,
    });
    // intuit-oauth keeps its endpoints on the class, shared by the process; set them before every use.
    client.setAuthorizeURLs({
      authorizeEndpoint: this.settings.authorizeEndpoint,
      tokenEndpoint: this.settings.tokenEndpoint,
      revokeEndpoint: this.settings.revokeEndpoint,
      userInfoEndpoint: 'https://accounts.platform.intuit.com/v1/openid_connect/userinfo',
    });
    return client;
  }

  authorizeUrl(state: string): string {
    return this.client().authorizeUri({ scope: [SCOPE], state });
  }

  async exchangeCode(callbackUrl: string): Promise<TokenJson> {
    try {
      return (await this.client().createToken(callbackUrl)).getJson();
    } catch (error) {
      throw clean(error);
    }
  }

  async refresh(refreshToken: string): Promise<TokenJson> {
    try {
      return (await this.client().refreshUsingToken(refreshToken)).getJson();
    } catch (error) {
      throw clean(error);
    }
  }

  async revoke(refreshToken: string): Promise<void> {
    try {
      await this.client().revoke({ refresh_token: refreshToken });
    } catch (error) {
      throw clean(error);
    }
  }
}
