import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './tables';

// int8 (bigint, e.g. change sequences and cents sums) as string would leak into arithmetic; numeric stays a string (exact money).
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} is beyond JavaScript's safe integer range`);
  return n;
});

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  // A pool error (e.g. a terminated backend) must not crash the process; the next query gets a fresh connection.
  pool.on('error', () => undefined);
  // The pool's own listener covers idle clients only: a client checked out (e.g. held by a transaction between
  // statements) whose backend is terminated emits 'error' with no listener, which would crash the worker. The
  // transaction still fails (its next statement cannot run) and its activity is retried.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Creates the database named in the URL when it does not exist (connecting to the server's `postgres` database to do so). */
export async function ensureDatabase(databaseUrl: string): Promise<'created' | 'exists'> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return 'exists';
    await client.query(`create database ${quoteIdentifier(name)}`);
    return 'created';
  } catch (error) {
    // Two processes racing to create the same database: the loser sees 42P04 (duplicate_database).
    if ((error as { code?: string }).code === '42P04') return 'exists';
    throw error;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Resolves when the server answers, or rejects with a one-line reason. */
export async function checkDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
