import type { Command } from 'commander';
import { migrateToLatest, createMigrator } from '../../schema/migrate';
import { commandContext, openDatabase } from '../context';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if missing and apply every pending schema migration')
    .option('--down', 'roll back the newest migration instead')
    .action(async (options: { down?: boolean }) => {
      const { config } = commandContext();
      const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema, create: true });
      try {
        if (options.down) {
          const result = await createMigrator(db).migrateDown();
          if (result.error) throw result.error;
          console.log(
            result.results?.length
              ? `rolled back ${result.results.map((r) => r.migrationName).join(', ')}`
              : 'nothing to roll back',
          );
        } else {
          const applied = await migrateToLatest(db);
          console.log(applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'schema is up to date');
        }
      } finally {
        await db.destroy();
      }
    });
}
