import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { TokenCipher } from '../../activities/connection/crypto';
import { loadWebhookSecret } from '../../activities/connection/tenantSecrets';
import { addTenant } from '../../activities/connection/tenants';
import { postWebhook } from '../../activities/notifications/webhook';
import { checkWebhookUrl, isPublicAddress, parseAllowHosts } from '../../activities/notifications/webhookPolicy';
import { runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** Issue 16 item 4: a tenant's settings no longer reach the worker's environment or its network. */
let database: TestDatabase;
const KEY = randomBytes(32).toString('base64');
const SECRET = `whsec-${randomBytes(12).toString('hex')}`;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase('webhooks');
  env = {
    DATABASE_URL: database.url,
    QBSYNC_ENCRYPTION_KEY: KEY,
    QBSYNC_MANAGE_SCHEDULES: 'false',
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
  };
});
afterAll(async () => database?.drop());

describe('the webhook target policy', () => {
  it.each([
    ['file:///etc/passwd', /must be https, not file/],
    ['ftp://example.com/x', /must be https, not ftp/],
    ['http://example.com/hook', /http is allowed only to hosts the operator lists in QBSYNC_WEBHOOK_ALLOW_HOSTS/],
    ['https://127.0.0.1/hook', /loopback, private or link-local/],
    ['https://10.1.2.3/hook', /loopback, private or link-local/],
    ['https://169.254.169.254/latest/meta-data', /loopback, private or link-local/],
    ['https://[::1]:8443/hook', /loopback, private or link-local/],
    ['https://[fd00::1]/hook', /loopback, private or link-local/],
    ['https://[::ffff:192.168.1.1]/hook', /loopback, private or link-local/],
    ['https://user:pw@example.com/hook', /must not carry credentials/],
    ['not a url', /is not a URL/],
  ])('%s is refused', (url, why) => {
    expect(() => checkWebhookUrl(url, [])).toThrow(why);
  });

  it('https to a public host is fine; the operator may allow http and private hosts by name', () => {
    expect(checkWebhookUrl('https://hooks.example.com/qbsync', []).host).toBe('hooks.example.com');
    const allow = parseAllowHosts(' Receiver.Internal , 127.0.0.1,[::1]');
    expect(allow).toEqual(['receiver.internal', '127.0.0.1', '::1']);
    expect(checkWebhookUrl('http://receiver.internal:8080/x', allow).port).toBe('8080');
    expect(checkWebhookUrl('http://127.0.0.1:9/x', allow).hostname).toBe('127.0.0.1');
    expect(checkWebhookUrl('https://[::1]/x', allow).hostname).toBe('[::1]');
  });

  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['0.0.0.0', false],
    ['100.64.0.1', false],
    ['172.20.0.1', false],
    ['192.168.0.10', false],
    ['224.0.0.1', false],
    ['::', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:c0a8:101', false],
    ['::ffff:808:808', true],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('posting', () => {
  let connections = 0;
  let server: net.Server;
  let port: number;
  const received: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    const web = http.createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    server = web;
    web.on('connection', () => connections++);
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    port = (web.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  const options = { secret: SECRET, deliveryId: 'd1', event: 'sync.failed' };

  it('a name that resolves to loopback is refused where the socket connects: no connection is made', async () => {
    const before = connections;
    // https, so the URL check passes; "localhost" resolves to 127.0.0.1 — refused by the guarded lookup.
    await expect(postWebhook(`https://localhost:${port}/hook`, '{}', options)).rejects.toThrow(
      /webhook POST to https:\/\/localhost:\d+\/hook failed: refused: the webhook host localhost resolves to (127\.0\.0\.1|::1)/,
    );
    await expect(postWebhook(`http://127.0.0.1:${port}/hook`, '{}', options)).rejects.toThrow(/refused: .*https/);
    expect(connections).toBe(before);
  });

  it('a host the operator allows is posted to, over http too', async () => {
    await postWebhook(`http://127.0.0.1:${port}/hook`, '{"a":1}', { ...options, allowHosts: ['127.0.0.1'] });
    expect(received.at(-1)?.['x-qbsync-delivery']).toBe('d1');
  });
});

describe('the secret lives in the encrypted store, set through the CLI', () => {
  it('is read from stdin, stored encrypted, never echoed, and shown as stored', async () => {
    expect((await runCli(['tenant', 'add', 'hooks'], env)).code).toBe(0);
    const set = await runCli(['tenant', 'set', 'hooks', '--webhook-secret'], env, 60_000, `${SECRET}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('webhook secret (stored encrypted)');
    expect(set.stdout + set.stderr).not.toContain(SECRET);
    const { rows } = await sql<{ v: string }>`select value_enc as v from tenant_secrets`.execute(database.db);
    expect(rows).toHaveLength(1);
    expect(rows[0].v).not.toContain(SECRET);
    expect(await loadWebhookSecret(database.db, new TokenCipher(KEY), 'hooks')).toBe(SECRET);
    const show = await runCli(['tenant', 'show', 'hooks'], env);
    expect(show.stdout).toContain('webhook secret: stored (encrypted)');
    expect(show.stdout).not.toContain(SECRET);
    // Another key cannot read it, and says what to check.
    await expect(
      loadWebhookSecret(database.db, new TokenCipher(randomBytes(32).toString('base64')), 'hooks'),
    ).rejects.toThrow(
      /tenant hooks: the stored webhook secret does not decrypt .*QBSYNC_ENCRYPTION_KEY and QBSYNC_ENCRYPTION_KEYS_OLD/,
    );
  });

  it.each([
    ['a short secret', 'short\n', /must be 16 to 512 characters/],
    ['a secret with a control character', `${'x'.repeat(20)}\u0007\n`, /control characters/],
  ])('%s is refused', async (_name, input, why) => {
    const r = await runCli(['tenant', 'set', 'hooks', '--webhook-secret'], env, 60_000, input);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(why);
  });

  it.each([
    ['notifications.webhookUrl=file:///etc/passwd', /setting notifications.webhookUrl is invalid: .*https/],
    ['notifications.webhookUrl=http://10.0.0.5/hook', /QBSYNC_WEBHOOK_ALLOW_HOSTS/],
    ['notifications.webhookUrl=https://169.254.169.254/x', /loopback, private or link-local/],
    ['notifications.webhookSecretRef=DATABASE_URL', /webhookSecretRef .* is no longer accepted: .*--webhook-secret/],
  ])('`tenant set hooks %s` is refused with what to do', async (pair, why) => {
    const r = await runCli(['tenant', 'set', 'hooks', pair], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(why);
  });

  it('an http target is accepted when the operator allows its host', async () => {
    const r = await runCli(['tenant', 'set', 'hooks', 'notifications.webhookUrl=http://receiver.internal/h'], {
      ...env,
      QBSYNC_WEBHOOK_ALLOW_HOSTS: 'receiver.internal',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a tenant still holding the legacy webhookSecretRef is told what to do, and --webhook-secret migrates it', async () => {
    await addTenant(database.db, { id: 'legacy' });
    await sql`update tenants set settings = jsonb_set(settings, '{notifications}', '{"on":"all","webhookUrl":"https://hooks.example.com/x","webhookSecretRef":"QBO_CLIENT_SECRET"}') where id = 'legacy'`.execute(
      database.db,
    );
    const edit = await runCli(['tenant', 'set', 'legacy', 'conflictPolicy=app-wins'], env);
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toContain('qbsync tenant set legacy --webhook-secret');
    expect((await runCli(['tenant', 'show', 'legacy'], env)).stdout).toMatch(/warning: notifications.webhookSecretRef/);
    const migrated = await runCli(['tenant', 'set', 'legacy', '--webhook-secret'], env, 60_000, SECRET);
    expect(migrated.code).toBe(0);
    const { rows } = await sql<{
      s: { notifications: Record<string, unknown> };
    }>`select settings as s from tenants where id = 'legacy'`.execute(database.db);
    expect(rows[0].s.notifications).toEqual({ on: 'all', email: [], webhookUrl: 'https://hooks.example.com/x' });
    expect((await runCli(['tenant', 'set', 'legacy', 'conflictPolicy=app-wins'], env)).code).toBe(0);
  });
});
