import path from 'node:path';
import type { Command } from 'commander';
import { embeddedDataDir, startEmbeddedPostgres } from '../../workers/embeddedPostgres';
import { commandContext, untilSignal } from '../context';

export function registerEmbeddedPostgres(program: Command): void {
  program
    .command('embedded-postgres')
    .description(
      'serve the embedded PostgreSQL (PGlite, data in .data/pg) that `npm start` falls back to, for use by other commands',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', '54329')
    .option('--data <dir>', 'data directory (default: <QBSYNC_DATA_DIR>/pg)')
    .action(async (options: { port: string; data?: string }) => {
      const { config } = commandContext();
      const dir = options.data ? path.resolve(options.data) : embeddedDataDir(config.dataDir);
      const pg = await startEmbeddedPostgres(dir, Number(options.port));
      console.log(`embedded PostgreSQL (data in ${dir}) ready: DATABASE_URL=${pg.url}`);
      await untilSignal();
      await pg.stop();
    });
}
