import { EmulatorAdmin, startEmulator, type RunningEmulator } from '../../emulator';
import { QboClient, RealmRateLimiter, type QboClientOptions, type TokenSource } from '../../activities/quickbooks';

/**
 * A TokenSource held in memory: tokens from the emulator's admin API, refreshed at the emulator's real token
 * endpoint (one refresh at a time). The production one lives in activities/connection/tokenStore.ts.
 */
export class MemoryTokens implements TokenSource {
  refreshes = 0;
  /** Every token this source ever held. */
  readonly issued: string[];
  private inFlight?: Promise<string>;

  constructor(
    private readonly oauthBaseUrl: string,
    private readonly app: { clientId: string; clientSecret: string },
    public access: string,
    public refresh: string,
  ) {
    this.issued = [access, refresh];
  }

  async accessToken(): Promise<string> {
    return this.access;
  }

  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    if (rejected !== this.access) return this.access;
    this.inFlight ??= this.doRefresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async doRefresh(): Promise<string> {
    const response = await fetch(`${this.oauthBaseUrl}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${this.app.clientId}:${this.app.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refresh }).toString(),
    });
    if (!response.ok) throw new Error(`refresh failed: HTTP ${response.status}`);
    const body = (await response.json()) as { access_token: string; refresh_token: string };
    this.refreshes++;
    this.access = body.access_token;
    this.refresh = body.refresh_token;
    this.issued.push(body.access_token, body.refresh_token);
    return this.access;
  }
}

export interface TestRealm {
  realmId: string;
  tenantId: string;
  tokens: MemoryTokens;
  client: QboClient;
  /** Every token this realm was ever given, for "no token in errors" checks. */
  tokenStrings(): string[];
}

export interface Harness {
  emulator: RunningEmulator;
  admin: EmulatorAdmin;
  realm(options?: { seed?: 'demo' | 'empty'; client?: Partial<QboClientOptions> }): Promise<TestRealm>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { limits?: 'production' | 'off'; timeScale?: number } = {},
): Promise<Harness> {
  const emulator = await startEmulator({
    port: 0,
    limits: options.limits ?? 'off',
    timeScale: options.timeScale,
    quiet: true,
  });
  const admin = new EmulatorAdmin(emulator.url);
  const app = await admin.registerApp({ redirectUris: ['http://127.0.0.1:1/callback'] });
  let n = 0;
  return {
    emulator,
    admin,
    async realm(opts = {}) {
      const { realmId } = await admin.createCompany({ seed: opts.seed ?? 'demo' });
      const issued = await admin.issueTokens({ realmId, clientId: app.clientId });
      const tokens = new MemoryTokens(emulator.url, app, issued.access_token, issued.refresh_token);
      const tenantId = `tenant-${++n}`;
      const client = new QboClient({
        baseUrl: emulator.url,
        realmId,
        tenantId,
        tokens,
        limiter: new RealmRateLimiter(),
        // Each fault surfaces as it is answered (the client's own resends are tested on their own): opts.client to resend.
        resendDelaysMs: [],
        ...opts.client,
      });
      return {
        realmId,
        tenantId,
        tokens,
        client,
        tokenStrings: () => [...tokens.issued],
      };
    },
    close: () => emulator.close(),
  };
}

/** The rejection of a promise, for assertions on its fields. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, got a result');
}
