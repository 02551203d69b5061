import { randomBytes } from 'node:crypto';
import { EmulatorAdmin, startEmulator, type RunningEmulator } from '../../emulator';

/**
 * Where a contract test runs: the emulator (always) or Intuit's sandbox (only when QBO_SANDBOX_REALM_ID and
 * QBO_SANDBOX_ACCESS_TOKEN are set). The same test cases run against both; emulator-only cases (admin, clock,
 * injected faults, fresh companies with chosen preferences) are skipped against the sandbox.
 */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // QuickBooks JSON is loosely typed; tests navigate it freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface Realm {
  realmId: string;
  accessToken: string;
  refreshToken?: string;
  /** Absolute URL of an Accounting API path under /v3/company/{realmId}/. */
  url(path: string): string;
  call(
    method: string,
    path: string,
    body?: unknown,
    init?: { contentType?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  query(text: string, method?: 'GET' | 'POST'): Promise<ApiResponse>;
}

export interface Target {
  kind: 'emulator' | 'sandbox';
  isEmulator: boolean;
  /** OAuth base URL (token and revoke paths hang off it). */
  oauthBaseUrl: string;
  tokenPath: string;
  revokePath: string;
  clientId?: string;
  clientSecret?: string;
  /** Emulator only. */
  admin?: EmulatorAdmin;
  emulator?: RunningEmulator;
  /** A company to work in: a fresh one on the emulator, the configured one on the sandbox. */
  realm(options?: { seed?: 'demo' | 'empty'; customTxnNumbers?: boolean }): Promise<Realm>;
  close(): Promise<void>;
}

export const sandboxConfigured = Boolean(process.env.QBO_SANDBOX_REALM_ID && process.env.QBO_SANDBOX_ACCESS_TOKEN);

/** A name no earlier run used, so tests can create records in a shared sandbox company. */
export function unique(prefix: string): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

function makeRealm(apiBase: string, realmId: string, accessToken: string, refreshToken?: string): Realm {
  const url = (path: string) =>
    `${apiBase}/v3/company/${realmId}/${path}${path.includes('?') ? '&' : '?'}minorversion=75`;
  const call: Realm['call'] = async (method, path, body, init = {}) => {
    const contentType = init.contentType ?? 'application/json';
    const response = await fetch(url(path), {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...init.headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return {
    realmId,
    accessToken,
    refreshToken,
    url,
    call,
    query: (text, method = 'GET') =>
      method === 'GET'
        ? call('GET', `query?query=${encodeURIComponent(text)}`)
        : call('POST', 'query', text, { contentType: 'application/text' }),
  };
}

export async function emulatorTarget(
  options: { limits?: 'production' | 'off'; timeScale?: number } = {},
): Promise<Target> {
  const emulator = await startEmulator({
    port: 0,
    limits: options.limits ?? 'production',
    timeScale: options.timeScale,
  });
  const admin = new EmulatorAdmin(emulator.url);
  const app = await admin.registerApp({ redirectUris: ['http://127.0.0.1:1/callback'] });
  return {
    kind: 'emulator',
    isEmulator: true,
    oauthBaseUrl: emulator.url,
    tokenPath: '/oauth2/v1/tokens/bearer',
    revokePath: '/v2/oauth2/tokens/revoke',
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    admin,
    emulator,
    async realm(realmOptions = {}) {
      const { realmId } = await admin.createCompany({
        seed: realmOptions.seed ?? 'empty',
        customTxnNumbers: realmOptions.customTxnNumbers ?? false,
      });
      const tokens = await admin.issueTokens({ realmId, clientId: app.clientId });
      return makeRealm(emulator.url, realmId, tokens.access_token, tokens.refresh_token);
    },
    close: () => emulator.close(),
  };
}

export function sandboxTarget(): Target {
  const env = process.env;
  const realm = makeRealm(
    env.QBO_SANDBOX_API_BASE_URL ?? 'https://sandbox-quickbooks.api.intuit.com',
    env.QBO_SANDBOX_REALM_ID!,
    env.QBO_SANDBOX_ACCESS_TOKEN!,
    env.QBO_SANDBOX_REFRESH_TOKEN,
  );
  return {
    kind: 'sandbox',
    isEmulator: false,
    oauthBaseUrl: 'https://oauth.platform.intuit.com',
    tokenPath: '/oauth2/v1/tokens/bearer',
    revokePath: '/v2/oauth2/tokens/revoke',
    clientId: env.QBO_SANDBOX_CLIENT_ID,
    clientSecret: env.QBO_SANDBOX_CLIENT_SECRET,
    realm: () => Promise.resolve(realm),
    close: () => Promise.resolve(),
  };
}

export interface ContractContext {
  target(): Target;
  /** `it` on the emulator; skipped on the sandbox (needs admin, the clock, injected faults or chosen preferences). */
  emulatorOnly: jest.It;
}

/**
 * Declares a contract suite twice: against the emulator, and against Intuit's sandbox when credentials are set
 * (skipped otherwise). Tests read the target lazily, inside `it`.
 */
export function contract(
  name: string,
  body: (ctx: ContractContext) => void,
  options: { limits?: 'production' | 'off'; timeScale?: number } = {},
): void {
  describe(`${name} — emulator`, () => {
    let target: Target;
    beforeAll(async () => {
      target = await emulatorTarget(options);
    });
    afterAll(async () => {
      await target?.close();
    });
    body({ target: () => target, emulatorOnly: it });
  });
  (sandboxConfigured ? describe : describe.skip)(`${name} — Intuit sandbox`, () => {
    const target = sandboxTarget();
    body({ target: () => target, emulatorOnly: it.skip });
  });
}
