import type { Command } from 'commander';
import { migrateToLatest } from '../../schema/migrate';
import { apiListen, startServing } from '../../server/serve';
import { commandContext, connectTemporalClient, openDatabase, untilSignal } from '../context';

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
      const listen = apiListen({
        ...process.env,
        ...(opts.host ? { QBSYNC_API_HOST: opts.host } : {}),
        ...(opts.port ? { QBSYNC_API_PORT: opts.port } : {}),
      });
      // Room for concurrent API requests beside the event dispatcher.
      const db = await openDatabase(config.DATABASE_URL, { max: 20 });
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
