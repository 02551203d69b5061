import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely';
import type { Db } from './db';

export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

export function createMigrator(db: Db): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) });
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
