import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { BIN, runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { until } from '../helpers/until';

let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase('api_cli');
  env = {
    DATABASE_URL: database.url,
    QBSYNC_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    QBSYNC_MANAGE_SCHEDULES: 'false',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await database?.drop();
});

test('qbsync apikey create|list|revoke, and qbsync serve answers with the key until it is revoked', async () => {
  expect((await runCli(['tenant', 'add', 'acme'], env)).code).toBe(0);
  const created = await runCli(['apikey', 'create', 'billing-app', '--tenant', 'acme'], env);
  expect(created.code).toBe(0);
  const key = /qbs_[0-9a-f]{16}_\S+/.exec(created.stdout)![0];
  const id = key.split('_')[1];
  const listed = await runCli(['apikey', 'list'], env);
  expect(listed.stdout).toContain(`${id}\tbilling-app\tacme`);
  expect(listed.stdout).not.toContain(key.split('_')[2]);

  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: { ...process.env, QBSYNC_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = (await until(
      'serve listening',
      () => /qbsync API on (http:\/\/127\.0\.0\.1:\d+)/.exec(output),
      (m) => m !== null,
      { ms: 60_000, context: () => output },
    ))![1];
    expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    const get = () => fetch(`${url}/v1/tenants/acme`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get()).status).toBe(200);
    // The CLI talks to the running server through the typed client.
    await database.db.transaction().execute(async (trx) => {
      await sql`set local qbsync.origin = 'sync'`.execute(trx);
      await sql`insert into sync_runs (id, tenant_id, workflow_id, trigger, status) values ('r1', 'acme', 'w', 'api', 'failed')`.execute(
        trx,
      );
    });
    const listed = await runCli(['events', 'list', 'acme'], { ...env, QBSYNC_API_URL: url, QBSYNC_API_KEY: key });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/msg_\w+\s+sync\.failed\s+sync:acme\s+no endpoint/);
    expect((await runCli(['apikey', 'revoke', id], env)).code).toBe(0);
    const refused = await get();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toContain(key.split('_')[2]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
