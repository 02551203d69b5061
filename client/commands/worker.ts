import type { Command } from 'commander';
import { installRuntime } from '../../workers/runtime';
import { startWorker } from '../../workers/run';
import { commandContext, connectTemporalWorker, openDatabase, untilSignal } from '../context';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a qbsync worker against TEMPORAL_ADDRESS and DATABASE_URL until SIGINT/SIGTERM')
    .action(async () => {
      const { config, logger } = commandContext();
      installRuntime(logger);
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: false });
      const connection = await connectTemporalWorker(config);
      const running = await startWorker(config, db, connection, logger);
      const stopped = untilSignal().then(async (signal) => {
        logger.info({ signal }, 'stopping worker: finishing in-flight activities');
        await running.shutdown();
      });
      await Promise.race([running.done, stopped]);
      await running.done;
      await connection.close();
      await db.destroy();
      logger.info('worker stopped');
    });
}
