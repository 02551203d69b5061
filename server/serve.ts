import { parseAllowHosts } from '../activities/notifications/webhookPolicy';
import type { Client } from '@temporalio/client';
import { cipherFromConfig } from '../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../activities/connection/oauth';
import { EventDispatcher, retryDelaysFromEnv, timeoutFromEnv } from '../activities/events';
import type { Db } from '../schema/db';
import { systemClock } from '../workers/clock';
import type { Config } from '../workers/config';
import type { Logger } from '../workers/logger';
import { startApiServer, type RunningApi } from './index';
import { webConnectorUrl } from '../client/commands/qwc';

export const DEFAULT_API_PORT = 8920;

/** `QBSYNC_API_HOST` (default 127.0.0.1: localhost only) and `QBSYNC_API_PORT` (default 8920), from the environment or `.env`. */
export function apiListen(config: Pick<Config, 'QBSYNC_API_HOST' | 'QBSYNC_API_PORT'>): { host: string; port: number } {
  return { host: config.QBSYNC_API_HOST ?? '127.0.0.1', port: config.QBSYNC_API_PORT ?? DEFAULT_API_PORT };
}

export interface Serving {
  api: RunningApi;
  dispatcher: EventDispatcher;
  stop(): Promise<void>;
}

/**
 * The REST API and the event dispatcher, as `qbsync serve` and `npm start` run them. Temporal is connected on the
 * first Synchronize All (the API answers everything else without it).
 */
export async function startServing(
  config: Config,
  db: Db,
  logger: Logger,
  options: {
    host?: string;
    port?: number;
    databaseUrl?: string;
    temporal?: () => Promise<Client>;
    /** Whether stop() closes the Temporal client (not when the caller lent its own). */
    closeTemporal?: boolean;
    /** Temporal Web, for the console's links to runs (default QBSYNC_TEMPORAL_WEB_URL). */
    temporalWebUrl?: string;
  },
): Promise<Serving> {
  const cipher = cipherFromConfig(config);
  let connect: { oauth: IntuitOAuth; cipher: typeof cipher; clock: typeof systemClock; logger: Logger } | undefined;
  try {
    connect = { oauth: new IntuitOAuth(oauthSettings(config)), cipher, clock: systemClock, logger };
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'API: "Connect to QuickBooks" is off');
  }
  let client: Promise<Client> | undefined;
  const temporalWebUrl = options.temporalWebUrl ?? process.env.QBSYNC_TEMPORAL_WEB_URL?.trim();
  const start = (port: number | undefined) =>
    startApiServer({
      db,
      logger,
      cipher,
      connect,
      temporal: options.temporal
        ? async () => {
            client ??= options.temporal!();
            return { client: await client, taskQueue: config.TEMPORAL_TASK_QUEUE };
          }
        : undefined,
      host: options.host,
      port,
      temporalWeb: temporalWebUrl ? { url: temporalWebUrl, namespace: config.TEMPORAL_NAMESPACE } : undefined,
      manageSchedules: config.QBSYNC_MANAGE_SCHEDULES === 'true',
      qwcUrl: webConnectorUrl(config),
    });
  // A busy port (another qbsync, a second `npm start`) need not stop everything: any free port will do, and is said.
  const api = await start(options.port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' || !options.port) throw error;
    logger.warn({ port: options.port }, `API: port ${options.port} is in use; listening on a free port instead`);
    return start(0);
  });
  const dispatcher = new EventDispatcher({
    db,
    databaseUrl: options.databaseUrl ?? config.DATABASE_URL,
    cipher,
    logger,
    retryDelaysMs: retryDelaysFromEnv(),
    timeoutMs: timeoutFromEnv(),
    allowHosts: parseAllowHosts(config.QBSYNC_WEBHOOK_ALLOW_HOSTS),
  });
  await dispatcher.start();
  return {
    api,
    dispatcher,
    async stop() {
      await api.close();
      await dispatcher.stop();
      if (client && options.closeTemporal !== false) await (await client.catch(() => undefined))?.connection.close();
    },
  };
}
