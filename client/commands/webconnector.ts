import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { startEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { migrateToLatest } from '../../schema/migrate';
import type { Config } from '../../workers/config';
import type { Logger } from '../../workers/logger';
import type { Db } from '../../schema/db';
import { commandContext, openDatabase, untilSignal } from '../context';
import { webConnectorUrl } from './qwc';

/** Starts the Web Connector endpoint from the configuration (also used by `qbsync dev`). */
export async function startWebConnectorEndpoint(config: Config, db: Db, logger: Logger, databaseUrl: string) {
  const tls =
    config.QBWC_TLS_CERT && config.QBWC_TLS_KEY
      ? { cert: readFileSync(config.QBWC_TLS_CERT), key: readFileSync(config.QBWC_TLS_KEY) }
      : undefined;
  return startEndpoint({
    db,
    logger,
    waker: new ExchangeWaker(databaseUrl),
    host: config.QBWC_HOST,
    port: config.QBWC_PORT,
    tls,
  });
}

export function registerWebConnector(program: Command): void {
  program
    .command('webconnector')
    .description(
      'serve the QuickBooks Web Connector endpoint (QBWC_HOST, QBWC_PORT; https with QBWC_TLS_CERT/QBWC_TLS_KEY)',
    )
    .action(async () => {
      const { config, logger } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema });
      await migrateToLatest(db);
      const endpoint = await startWebConnectorEndpoint(config, db, logger, config.DATABASE_URL);
      logger.info({ url: endpoint.url, qwcUrl: webConnectorUrl(config) }, 'Web Connector endpoint listening');
      await untilSignal();
      await endpoint.close();
      await db.destroy();
    });
}
