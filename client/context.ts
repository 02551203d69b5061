import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb, ensureDatabase, checkDatabase, type Db } from '../schema/db';
import { dataConverterFromConfig } from '../workers/codec';
import { loadConfig, type Config } from '../workers/config';
import { temporalTls } from '../workers/temporalTls';
import { createLogger, type Logger } from '../workers/logger';

/** A failure the user can fix (unreachable service, bad address): printed as one line, without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = (e?.message ?? String(error)).split('\n')[0];
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export interface CommandContext {
  config: Config;
  logger: Logger;
}

export function commandContext(): CommandContext {
  const config = loadConfig();
  return { config, logger: createLogger(config.LOG_LEVEL) };
}

/**
 * Opens the configured database; any failure becomes one line naming DATABASE_URL. Only `migrate` and `dev` pass
 * `create: true`: a mistyped DATABASE_URL on any other command must not create (and fill) a new database.
 */
export async function openDatabase(
  databaseUrl: string,
  options: { create?: boolean; max?: number; schema?: string } = {},
): Promise<Db> {
  try {
    if (options.create === true) await ensureDatabase(databaseUrl);
    const db = createDb(databaseUrl, { max: options.max, schema: options.schema });
    await checkDatabase(db);
    return db;
  } catch (error) {
    const hint = (error as { code?: string }).code === '3D000' ? '; run `qbsync migrate` to create it' : '';
    throw new StartupError(`cannot use PostgreSQL at DATABASE_URL=${redactUrl(databaseUrl)}: ${reason(error)}${hint}`);
  }
}

export async function connectTemporalClient(
  config: Config,
  address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`,
): Promise<Client> {
  const tls = temporalTls(config);
  try {
    const connection = await Connection.connect({ address, connectTimeout: 5_000, tls });
    await connection.workflowService.getSystemInfo({});
    return new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: dataConverterFromConfig(config),
    });
  } catch (error) {
    throw new StartupError(
      `cannot reach Temporal at TEMPORAL_ADDRESS=${address}${tls ? ' over TLS' : ''}: ${reason(error)}; ${tlsHint(tls !== undefined)}`,
    );
  }
}

function tlsHint(tls: boolean): string {
  return tls
    ? 'check TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA and TEMPORAL_TLS_SERVER_NAME (the server must trust the client certificate, and its certificate must name the server)'
    : 'start it with `npm start` or point TEMPORAL_ADDRESS at a running server (set TEMPORAL_TLS_* if it requires TLS)';
}

export async function connectTemporalWorker(
  config: Config,
  address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`,
): Promise<NativeConnection> {
  const tls = temporalTls(config);
  try {
    return await NativeConnection.connect({ address, tls });
  } catch (error) {
    throw new StartupError(
      `cannot reach Temporal at TEMPORAL_ADDRESS=${address}${tls ? ' over TLS' : ''}: ${reason(error)}; ${tlsHint(tls !== undefined)}`,
    );
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
