import type { Command } from 'commander';
import { migrateToLatest } from '../../schema/migrate';
import { apiListen, startServing } from '../../server/serve';
import { commandContext, connectTemporalClient, openDatabase, StartupError, untilSignal } from '../context';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'the REST API (with /openapi.json and the OAuth callback) and the event dispatcher, until SIGINT/SIGTERM',
    )
    .option('--host <host>', 'address to listen on (QBSYNC_API_HOST; default 127.0.0.1: this machine only)')
    .option('--port <port>', 'port (QBSYNC_API_PORT; default 8920; 0: any free port)')
    .action(async (opts: { host?: string; port?: string }) => {
      const { config, logger } = commandContext();
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!/^\d{1,5}$/.test(opts.port!) || port > 65535))
        throw new StartupError(`--port must be a port number from 0 to 65535, not ${opts.port}`);
      const listen = apiListen({
        QBSYNC_API_HOST: opts.host ?? config.QBSYNC_API_HOST,
        QBSYNC_API_PORT: port ?? config.QBSYNC_API_PORT,
      });
      // Room for concurrent API requests beside the event dispatcher.
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, max: 20 });
      await migrateToLatest(db);
      const serving = await startServing(config, db, logger, {
        ...listen,
        temporal: () => connectTemporalClient(config),
      });
      logger.info(
        { url: serving.api.url },
        `API listening on ${serving.api.url} (OpenAPI: ${serving.api.url}/openapi.json)`,
      );
      console.log(`qbsync API on ${serving.api.url}; console on ${serving.api.url}/console/`);
      await untilSignal();
      await serving.stop();
      await db.destroy();
    });
}
