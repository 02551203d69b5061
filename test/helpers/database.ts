import { randomBytes } from 'node:crypto';
import { createDb, dropDatabase, ensureDatabase, type Db } from '../../schema/db';
import { migrateToLatest } from '../../schema/migrate';

const SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  url: string;
  db: Db;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database per test file, migrated to the latest schema (or left empty with `migrate: false`). */
export async function createTestDatabase(area: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `qbsync_test_${area.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = `${SERVER_URL}/${name}`;
  await ensureDatabase(url);
  const db = createDb(url);
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(url);
    },
  };
}
