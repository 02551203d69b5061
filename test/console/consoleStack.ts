import { scheduleId } from '../../common/ids';
import { TokenCipher } from '../../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../../activities/connection/oauth';
import { startApiServer, type RunningApi } from '../../server';
import { addOperator } from '../../server/session';
import { systemClock } from '../../workers/clock';
import { loadConfig } from '../../workers/config';
import { freePort } from '../../workers/devServer';
import { createLogger } from '../../workers/logger';
import { createStack, type Stack } from '../helpers/stack';

export const OPERATOR = { name: 'ops', password: 'correct horse battery staple' };
/** Where the console's links to runs point (no Temporal Web runs in tests; the links are checked, not followed). */
export const TEMPORAL_WEB = { url: 'http://temporal-web.invalid', namespace: 'default' };

export interface ConsoleStack {
  stack: Stack;
  api: RunningApi;
  /** The emulator company the OAuth page picks (the first one made). */
  realmId: string;
  /** Tenants the test made: their Temporal schedules (if the console applied one) go when the stack closes. */
  tenants: string[];
  close(): Promise<void>;
}

/**
 * The real server (API and console) on a free port, over the test stack's PostgreSQL, Temporal and worker, with the
 * QuickBooks emulator's OAuth app registered for this server's /oauth/callback, and one operator.
 */
export async function startConsoleStack(area: string): Promise<ConsoleStack> {
  const stack = await createStack(area);
  // The emulator's consent page picks the first company: the demo one.
  const { realmId } = await stack.admin.createCompany({ customTxnNumbers: false, seed: 'demo' });
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/oauth/callback`;
  const app = await stack.admin.registerApp({ redirectUris: [callback] });
  const config = loadConfig(
    {
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: stack.emulator.url,
      QBO_CLIENT_ID: app.clientId,
      QBO_CLIENT_SECRET: app.clientSecret,
      QBO_REDIRECT_URI: callback,
    },
    '/nonexistent',
  );
  const cipher = new TokenCipher(stack.env.QBSYNC_ENCRYPTION_KEY);
  const api = await startApiServer({
    db: stack.database.db,
    logger: createLogger(process.env.TEST_API_LOG ?? 'silent'),
    cipher,
    connect: { oauth: new IntuitOAuth(oauthSettings(config)), cipher, clock: systemClock },
    temporal: async () => ({ client: stack.temporal.client, taskQueue: stack.temporal.taskQueue }),
    temporalWeb: TEMPORAL_WEB,
    manageSchedules: true,
    qwcUrl: 'http://localhost:8921/qbwc',
    port,
  });
  await addOperator(stack.database.db, OPERATOR.name, OPERATOR.password);
  const tenants: string[] = [];
  return {
    stack,
    api,
    realmId,
    tenants,
    async close() {
      await api.close();
      for (const t of tenants)
        await stack.temporal.client.schedule
          .getHandle(scheduleId(t))
          .delete()
          .catch(() => undefined);
      await stack.close();
    },
  };
}
