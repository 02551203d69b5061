import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator, sql, type MigrationResultSet } from 'kysely';
import { quoteIdentifier, schemaOf, type Db } from './db';

export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

/** The migrator; its own bookkeeping tables (kysely_migration, kysely_migration_lock) live in qbsync's schema too. */
export function createMigrator(db: Db, options: { schema?: string | null } = {}): Migrator {
  const schema = options.schema === undefined ? schemaOf(db) : options.schema;
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }),
    ...(schema === null ? {} : { migrationTableSchema: schema }),
  });
}

/**
 * Creates qbsync's schema, and adopts an installation made before tables had a schema of their own: its migration
 * bookkeeping moves from `public` into the schema, so the migrator sees 0001–0007 applied and 0008 moves the tables.
 */
export async function prepareSchema(db: Db, schema = schemaOf(db)): Promise<void> {
  await sql.raw(`create schema if not exists ${quoteIdentifier(schema)}`).execute(db);
  if (schema === 'public') return;
  await db.transaction().execute(async (trx) => {
    for (const table of ['kysely_migration', 'kysely_migration_lock']) {
      const { rows } = await sql<{ legacy: string | null; current: string | null }>`
        select to_regclass(${`public.${table}`})::text as legacy,
               to_regclass(${`${quoteIdentifier(schema)}.${table}`})::text as current`.execute(trx);
      if (rows[0].legacy && !rows[0].current)
        await sql.raw(`alter table public.${table} set schema ${quoteIdentifier(schema)}`).execute(trx);
    }
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function unwrap(result: MigrationResultSet): string[] {
  const applied = (result.results ?? [])
    .filter((r) => r.status === 'Success')
    .map((r) => `${r.direction === 'Up' ? 'up' : 'down'} ${r.migrationName}`);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return applied;
}

/** Applies every pending migration; returns what it applied ("up 0001_installation", …). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  await prepareSchema(db);
  return unwrap(await createMigrator(db).migrateToLatest());
}

/** Rolls back every migration, newest first. */
export async function migrateDownAll(db: Db): Promise<string[]> {
  const migrator = createMigrator(db);
  const applied: string[] = [];
  for (;;) {
    const done = unwrap(await migrator.migrateDown());
    if (done.length === 0) return applied;
    applied.push(...done);
  }
}
