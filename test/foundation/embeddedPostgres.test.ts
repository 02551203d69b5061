import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDb } from '../../schema/db';
import { migrateDownAll, migrateToLatest } from '../../schema/migrate';
import { startCli } from '../helpers/cli';

/** Runs `qbsync embedded-postgres` (PGlite cannot load inside jest's VM; users run it as its own process anyway). */
async function serve(dir: string) {
  const cli = startCli(['embedded-postgres', '--port', '0', '--data', dir]);
  await cli.waitFor(/DATABASE_URL=(\S+)/, 60_000);
  const url = /DATABASE_URL=(\S+)/.exec(cli.output())![1];
  return {
    url,
    async stop() {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    },
  };
}

// The fallback `npm start` uses when no PostgreSQL answers: the whole schema must work on it, and survive a restart.
test('the schema migrates up and down on the embedded PostgreSQL, and its data survives a restart', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-pglite-')), 'pg');
  let pg = await serve(dir);
  let db = createDb(pg.url, { max: 2 });
  try {
    const applied = await migrateToLatest(db);
    expect(applied.length).toBeGreaterThan(0);
    await db.insertInto('installation').values({ key: 'k', value: 'v' }).execute();
  } finally {
    await db.destroy();
    await pg.stop();
  }
  pg = await serve(dir);
  db = createDb(pg.url, { max: 2 });
  try {
    const row = await db.selectFrom('installation').select('value').where('key', '=', 'k').executeTakeFirst();
    expect(row?.value).toBe('v');
    expect(await migrateToLatest(db)).toEqual([]);
    await migrateDownAll(db);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name not like 'kysely_%'`.execute(
      db,
    );
    expect(rows[0].n).toBe(0);
  } finally {
    await db.destroy();
    await pg.stop();
  }
});
