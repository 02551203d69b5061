import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { derivePayloadKey } from '../../workers/codec';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

/** Every string in an error's cause chain (and its details), for assertions on what reached the workflow. */
function chain(error: unknown): string {
  const out: string[] = [];
  for (let e = error as { message?: string; cause?: unknown; details?: unknown } | undefined; e; e = e.cause as never)
    out.push(String(e.message), JSON.stringify(e.details ?? ''));
  return out.join('\n');
}

describe('the API base URL comes from configuration, not from a database row (issue 16 item 3)', () => {
  let stack: Stack;
  let recorder: http.Server;
  const authorizations: string[] = [];
  let recorderUrl: string;
  beforeAll(async () => {
    stack = await createStack('base-url');
    recorder = http.createServer((req, res) => {
      authorizations.push(String(req.headers.authorization ?? '(none)'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => recorder?.close(resolve));
    await stack?.close();
  });

  it('a changed qbo_connections.api_base_url sends no token elsewhere; the sync still talks to the configured QuickBooks', async () => {
    const { tenantId } = await stack.addTenant({ seed: 'demo' });
    await stack.database.db
      .updateTable('qbo_connections')
      .set({ api_base_url: recorderUrl })
      .where('tenant_id', '=', tenantId)
      .execute();
    const result = await stack.sync(tenantId);
    expect(result.status).toBe('succeeded');
    expect(authorizations).toEqual([]);
  });

  it('a connection made for another QuickBooks environment fails at once, saying which QBO_ENV to use', async () => {
    const { tenantId } = await stack.addTenant({ seed: 'empty' });
    await stack.database.db
      .updateTable('qbo_connections')
      .set({ environment: 'production' })
      .where('tenant_id', '=', tenantId)
      .execute();
    const failure = await stack.sync(tenantId).catch((e: unknown) => e);
    expect(chain(failure)).toMatch(
      new RegExp(
        `tenant ${tenantId} is connected to QuickBooks production but this worker is configured for QBO_ENV=emulator`,
      ),
    );
    expect(authorizations).toEqual([]);
  });
});

describe('a worker whose key cannot read the tokens (issue 16 item 5, item 8 disconnect)', () => {
  let stack: Stack;
  let worker: WorkerProcess | undefined;
  const wrongKey = randomBytes(32).toString('base64');
  beforeAll(async () => {
    stack = await createStack('wrong-key', { inProcessWorker: false });
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  it('fails the run at the first attempt, naming the tenant and the keys to check', async () => {
    const { tenantId } = await stack.addTenant({ seed: 'empty' });
    // Same payload key as the test's client (so the workflow runs), another token key.
    const payloadKey = derivePayloadKey(Buffer.from(stack.env.QBSYNC_ENCRYPTION_KEY, 'base64')).toString('base64');
    worker = await startWorkerProcess(stack, {
      env: { QBSYNC_ENCRYPTION_KEY: wrongKey, QBSYNC_PAYLOAD_KEY: payloadKey },
    });
    const started = Date.now();
    const failure = await stack.sync(tenantId).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    const steps = await sql<{ error: unknown }>`select error from sync_step_runs where error is not null`.execute(
      stack.database.db,
    );
    const text = `${chain(failure)}\n${JSON.stringify(steps.rows)}`;
    expect(text).toMatch(new RegExp(`tenant ${tenantId}: the stored QuickBooks tokens do not decrypt`));
    expect(text).toMatch(/check QBSYNC_ENCRYPTION_KEY, and put the former key in QBSYNC_ENCRYPTION_KEYS_OLD/);
    // No retries: a wrong key took ~14 minutes of backoff before (12 attempts).
    expect(elapsed).toBeLessThan(30_000);
    expect(worker.output()).not.toContain(stack.env.QBSYNC_ENCRYPTION_KEY);
  }, 120_000);

  it('`qbsync disconnect` with the wrong key revokes nothing, forgets nothing, and blames the key, not Intuit', async () => {
    const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
    const before = (await stack.admin.requests()).filter((r) => r.operation === 'revoke').length;
    const result = await runCli(['disconnect', tenantId], { ...stack.env, QBSYNC_ENCRYPTION_KEY: wrongKey });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/the stored QuickBooks tokens do not decrypt .*nothing was revoked or forgotten/);
    expect(result.stderr + result.stdout).not.toMatch(/Intuit did not confirm/);
    const row = await stack.database.db
      .selectFrom('qbo_connections')
      .select(['status', 'refresh_token_enc'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('connected');
    expect(row.refresh_token_enc).not.toBeNull();
    expect((await stack.admin.requests()).filter((r) => r.operation === 'revoke').length).toBe(before);
    expect(realmId).toBeDefined();
  });
});
