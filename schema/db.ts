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

export const DEFAULT_DB_SCHEMA = 'qbsync';

/** Thrown when QBSYNC_DB_SCHEMA is not a plain PostgreSQL identifier; the message names the variable. */
export class SchemaNameError extends Error {
  override name = 'SchemaNameError';
}

/**
 * The PostgreSQL schema that holds every qbsync table, function and trigger (`QBSYNC_DB_SCHEMA`, default `qbsync`),
 * so qbsync can live inside the app's own database without touching its `public` tables.
 */
export function dbSchemaName(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.QBSYNC_DB_SCHEMA?.trim() || DEFAULT_DB_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value) || value.startsWith('pg_'))
    throw new SchemaNameError(
      `QBSYNC_DB_SCHEMA is invalid: expected a lower-case PostgreSQL identifier such as qbsync (letters, digits, _; not pg_…), got ${JSON.stringify(value)}`,
    );
  return value;
}

/** `search_path` every qbsync connection uses: its own schema only, so no name resolves to the app's tables. */
export function searchPathSql(schema: string): string {
  return `set search_path to ${quoteIdentifier(schema)}`;
}

export function createDb(databaseUrl: string, options: { max?: number; schema?: string } = {}): Db {
  const schema = options.schema ?? dbSchemaName();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  // A pool error (e.g. a terminated backend) must not crash the process; the next query gets a fresh connection.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    // The pool's own listener covers idle clients only: a client checked out (e.g. held by a transaction between
    // statements) whose backend is terminated emits 'error' with no listener, which would crash the worker. The
    // transaction still fails (its next statement cannot run) and its activity is retried.
    client.on('error', () => undefined);
    // Queued before any query of the caller (a client runs its queries in order): every statement on this connection
    // resolves unqualified names in qbsync's schema. A failure here surfaces on the caller's first query.
    client.query(searchPathSql(schema)).catch(() => undefined);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  schemas.set(db, schema);
  return db;
}

const schemas = new WeakMap<object, string>();

/** The schema a Db made by createDb works in. */
export function schemaOf(db: Db): string {
  return schemas.get(db) ?? dbSchemaName();
}

/** A single connection (e.g. for LISTEN) working in qbsync's schema, like the pool's. */
export async function connectClient(databaseUrl: string, schema = dbSchemaName()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  await client.query(searchPathSql(schema));
  return client;
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
