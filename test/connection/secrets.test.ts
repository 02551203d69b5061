import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess';

/**
 * Secrets never reach Temporal history, logs or stored errors: runs that succeed, refresh an expired token and fail
 * on a rejected record are searched for every token QuickBooks' OAuth server issued, the client secret and the key.
 */
let stack: Stack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  stack = await createStack('secrets', { inProcessWorker: false });
});
afterAll(async () => {
  await worker?.stop();
  await stack?.close();
});

/** Every string in a value, with bytes (payload data) decoded as UTF-8, so encoded payloads are searched too. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

test('no token, client secret or encryption key in any history, log line or stored error', async () => {
  worker = await startWorkerProcess(stack, { env: { LOG_LEVEL: 'debug' } });
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  const run = (name: string) =>
    stack.temporal.client.workflow.execute(syncTenant, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `secrets-${name}-${randomBytes(3).toString('hex')}`,
      args: [{ tenantId, trigger: name }],
    });

  expect((await run('first')).status).toBe('succeeded');
  // QuickBooks forgets the access token: the next request gets a 401, the worker refreshes and rotates the refresh token.
  await stack.admin.expireTokens(realmId);
  await stack.database.db
    .insertInto('customers')
    .values({ tenant_id: tenantId, display_name: 'Refreshed Customer' })
    .execute();
  expect((await run('refresh')).status).toBe('succeeded');
  // A record QuickBooks rejects: the failure travels through activity errors, workflow failure and sync_problems.
  await stack.database.db
    .insertInto('items')
    .values({ tenant_id: tenantId, type: 'Service', name: 'Bad: name', unit_price: '1', income_account: '1' })
    .execute();
  const failure = await run('failure').catch((e: Error) => e);
  expect((failure as Error & { cause?: Error }).cause?.message).toMatch(/failed in step items/);

  const oauth = stack.emulator.emulator.oauth.snapshot();
  const secrets = [
    ...oauth.accessTokens.map(([t]) => t),
    ...oauth.refreshTokens.map(([t]) => t),
    stack.env.QBO_CLIENT_SECRET,
    stack.env.QBSYNC_ENCRYPTION_KEY,
  ];
  expect(oauth.refreshTokens.length).toBeGreaterThanOrEqual(2); // the refresh really happened

  const corpus: string[] = [worker.output()];
  let histories = 0;
  for await (const execution of stack.temporal.client.workflow.list({
    query: `TaskQueue = '${stack.temporal.taskQueue}'`,
  })) {
    const history = await stack.temporal.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .fetchHistory();
    corpus.push(...strings(history));
    histories++;
  }
  const stored = await sql<{ text: string }>`
    select coalesce(error::text, '') as text from sync_runs
    union all select coalesce(error::text, '') from sync_step_runs
    union all select row_to_json(p)::text from sync_problems p`.execute(stack.database.db);
  corpus.push(...stored.rows.map((r) => r.text));

  // The corpus is the real thing: three runs, a debug log of the worker, the rejected record's error.
  expect(histories).toBeGreaterThanOrEqual(3);
  const all = corpus.join('\n');
  expect(all).toContain(tenantId);
  expect(all).toContain('Bad: name');
  expect(worker.output()).toMatch(/"level":20/); // debug lines were written
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(10);
    expect(all.includes(secret)).toBe(false);
  }
}, 180_000);
