import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { apiListen } from '../../server/serve';
import { ConfigError, loadConfig } from '../../workers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { BIN, type CliResult } from '../helpers/cli';

const VARIABLES = [
  'DATABASE_URL',
  'QBSYNC_DB_SCHEMA',
  'QBSYNC_API_HOST',
  'QBSYNC_API_PORT',
  'QBSYNC_API_URL',
  'QBSYNC_API_KEY',
];

function dirWithEnv(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-dotenv-'));
  fs.writeFileSync(path.join(dir, '.env'), `${lines.join('\n')}\n`);
  return dir;
}

/** The real binary, run in `cwd` (where its .env is), with none of these variables in its environment. */
function cliIn(cwd: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, QBSYNC_FROM_SOURCE: '1' };
  for (const name of VARIABLES) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('QBSYNC_DB_SCHEMA and QBSYNC_API_* are read from .env like every other setting; the real environment wins', () => {
  const dir = dirWithEnv([
    'QBSYNC_DB_SCHEMA=app_sync',
    'QBSYNC_API_HOST=0.0.0.0',
    'QBSYNC_API_PORT=9123',
    'QBSYNC_API_URL=http://api.internal:9123',
    'QBSYNC_API_KEY=qbk_x_y',
  ]);
  const config = loadConfig({}, dir);
  expect(config).toMatchObject({
    dbSchema: 'app_sync',
    QBSYNC_API_URL: 'http://api.internal:9123',
    QBSYNC_API_KEY: 'qbk_x_y',
  });
  expect(apiListen(config)).toEqual({ host: '0.0.0.0', port: 9123 });
  expect(loadConfig({ QBSYNC_DB_SCHEMA: 'from_env', QBSYNC_API_PORT: '0' }, dir)).toMatchObject({
    dbSchema: 'from_env',
    QBSYNC_API_PORT: 0,
  });
  expect(apiListen(loadConfig({}, os.tmpdir()))).toEqual({ host: '127.0.0.1', port: 8920 });
  expect(loadConfig({}, os.tmpdir()).dbSchema).toBe('qbsync');
});

test.each([
  ['QBSYNC_DB_SCHEMA=Bad-Name', /^QBSYNC_DB_SCHEMA is invalid: expected a lower-case PostgreSQL identifier/],
  ['QBSYNC_DB_SCHEMA=pg_catalog', /^QBSYNC_DB_SCHEMA is invalid/],
  ['QBSYNC_API_PORT=99999', /^QBSYNC_API_PORT is invalid: expected a port number from 0 to 65535/],
  ['QBSYNC_API_URL=api', /^QBSYNC_API_URL is invalid: expected an http\(s\) URL/],
])('a bad %s in .env stops with one line naming it', (line, expected) => {
  const dir = dirWithEnv([line]);
  expect(() => loadConfig({}, dir)).toThrow(ConfigError);
  expect(() => loadConfig({}, dir)).toThrow(expected);
});

describe('the CLI', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('dotenv', { migrate: false });
  });
  afterAll(async () => database?.drop());

  test('qbsync migrate puts the tables in the schema .env names', async () => {
    const dir = dirWithEnv([`DATABASE_URL=${database.url}`, 'QBSYNC_DB_SCHEMA=from_dotenv']);
    const r = await cliIn(dir, ['migrate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tables = await sql<{ schema: string }>`
      select distinct table_schema as schema from information_schema.tables where table_name = 'sync_conflicts'`.execute(
      database.db,
    );
    expect(tables.rows.map((t) => t.schema)).toEqual(['from_dotenv']);
  });

  test('qbsync events list talks to the QBSYNC_API_URL .env names, with its QBSYNC_API_KEY', async () => {
    const dir = dirWithEnv(['QBSYNC_API_URL=http://127.0.0.1:1', 'QBSYNC_API_KEY=qbk_a_b']);
    const r = await cliIn(dir, ['events', 'list', 'acme']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no qbsync API answers at QBSYNC_API_URL=http://127.0.0.1:1');
    expect(r.stderr).not.toContain('QBSYNC_API_KEY is missing');
  });
});
