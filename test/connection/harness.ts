import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { TokenCipher } from '../../activities/connection/crypto';
import { IntuitOAuth, oauthSettings, type TokenJson } from '../../activities/connection/oauth';
import { EmulatorAdmin, startEmulator, type RunningEmulator } from '../../emulator';
import type { Clock } from '../../workers/clock';
import { loadConfig } from '../../workers/config';
import { createLogger, type Logger } from '../../workers/logger';
export { freePort } from '../../workers/devServer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** intuit-oauth with a record of every token Intuit (the emulator) handed out, so tests can search for leaks. */
export class RecordingOAuth extends IntuitOAuth {
  readonly issued: TokenJson[] = [];
  override async exchangeCode(callbackUrl: string): Promise<TokenJson> {
    const tokens = await super.exchangeCode(callbackUrl);
    this.issued.push(tokens);
    return tokens;
  }
  override async refresh(refreshToken: string): Promise<TokenJson> {
    const tokens = await super.refresh(refreshToken);
    this.issued.push(tokens);
    return tokens;
  }
  secrets(): string[] {
    return this.issued.flatMap((t) => [t.access_token, t.refresh_token]);
  }
}

/** A clock tests move forward (our side only; the emulator has its own). */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export function logBuffer(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('debug', sink), text: () => lines.join('') };
}

export interface Harness {
  database: TestDatabase;
  emulator: RunningEmulator;
  admin: EmulatorAdmin;
  app: { clientId: string; clientSecret: string };
  redirectUri: string;
  key: string;
  cipher: TokenCipher;
  oauth: RecordingOAuth;
  newOAuth(): RecordingOAuth;
  close(): Promise<void>;
}

export async function createHarness(area: string, options: { redirectUri?: string } = {}): Promise<Harness> {
  const database = await createTestDatabase(area);
  const emulator = await startEmulator({ port: 0, seed: 'empty', limits: 'off', quiet: true });
  const admin = new EmulatorAdmin(emulator.url);
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:1/callback';
  const app = await admin.registerApp({ redirectUris: [redirectUri] });
  const config = loadConfig(
    {
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: emulator.url,
      QBO_CLIENT_ID: app.clientId,
      QBO_CLIENT_SECRET: app.clientSecret,
      QBO_REDIRECT_URI: redirectUri,
    },
    '/nonexistent',
  );
  const key = randomBytes(32).toString('base64');
  const newOAuth = () => new RecordingOAuth(oauthSettings(config));
  return {
    database,
    emulator,
    admin,
    app,
    redirectUri,
    key,
    cipher: new TokenCipher(key),
    oauth: newOAuth(),
    newOAuth,
    async close() {
      await emulator.close();
      await database.drop();
    },
  };
}

/** Successful calls to Intuit's token endpoint (code exchanges and refreshes) after `sinceSeq`. */
export async function tokenGrants(admin: EmulatorAdmin, sinceSeq = 0) {
  const log = await admin.requests({ sinceSeq });
  return log.filter((e) => e.path === '/oauth2/v1/tokens/bearer' && e.status === 200);
}

export async function lastSeq(admin: EmulatorAdmin): Promise<number> {
  return (await admin.requests()).at(-1)?.seq ?? 0;
}

/** Calls the emulator's QuickBooks API as a client would, to prove a token works. */
export async function companyInfoStatus(baseUrl: string, realmId: string, accessToken: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v3/company/${realmId}/companyinfo/${realmId}?minorversion=75`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });
  await response.arrayBuffer();
  return response.status;
}
