import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { coordinatorId } from '../../common/ids';
import { webConnectorArrived } from '../../common/messages';
import { startEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { migrateToLatest } from '../../schema/migrate';
import type { Config } from '../../workers/config';
import type { Logger } from '../../workers/logger';
import type { Db } from '../../schema/db';
import { commandContext, connectTemporalClient, openDatabase, untilSignal } from '../context';
import { webConnectorUrl } from './qwc';

/**
 * The endpoint's `onArrival`: signals the tenant's coordinator that its Web Connector logged in (ids only). A tenant
 * without a coordinator yet has no run to wake.
 */
export function signalArrival(client: Client) {
  return async (tenantId: string, at: Date): Promise<void> => {
    try {
      await client.workflow
        .getHandle(coordinatorId(tenantId))
        .signal(webConnectorArrived, { tenantId, at: at.toISOString() });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  };
}

/** Starts the Web Connector endpoint from the configuration (also used by `qbsync dev`). */
export async function startWebConnectorEndpoint(
  config: Config,
  db: Db,
  logger: Logger,
  databaseUrl: string,
  temporal?: Client,
) {
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
    onArrival: temporal ? signalArrival(temporal) : undefined,
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
      // The arrival of a company's Web Connector is signalled to its tenant's coordinator.
      const temporal = await connectTemporalClient(config);
      const endpoint = await startWebConnectorEndpoint(config, db, logger, config.DATABASE_URL, temporal);
      logger.info({ url: endpoint.url, qwcUrl: webConnectorUrl(config) }, 'Web Connector endpoint listening');
      await untilSignal();
      await endpoint.close();
      await temporal.connection.close();
      await db.destroy();
    });
}
