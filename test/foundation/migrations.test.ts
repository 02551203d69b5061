import { sql } from 'kysely';
import { createMigrator, migrateDownAll, migrateToLatest } from '../../schema/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('migrations', { migrate: false });
});

afterAll(async () => {
  await database?.drop();
});

async function userTables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_name not like 'kysely_%' order by table_name`.execute(database.db);
  return rows.map((r) => r.table_name);
}

test('migration files are zero-padded, ordered and each has up and down', async () => {
  const migrations = await createMigrator(database.db).getMigrations();
  expect(migrations.length).toBeGreaterThan(0);
  migrations.forEach((m, i) => {
    expect(m.name).toMatch(/^\d{4}_[a-z0-9_]+$/);
    expect(Number(m.name.slice(0, 4))).toBe(i + 1);
  });
});

test('every migration runs up, down to nothing, and up again', async () => {
  const up = await migrateToLatest(database.db);
  expect(up.length).toBeGreaterThan(0);
  const tables = await userTables();
  expect(tables).toContain('installation');

  const down = await migrateDownAll(database.db);
  expect(down).toHaveLength(up.length);
  expect(await userTables()).toEqual([]);

  const again = await migrateToLatest(database.db);
  expect(again).toEqual(up);
  expect(await userTables()).toEqual(tables);
  expect(await migrateToLatest(database.db)).toEqual([]);
});
