import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ENCRYPTED_ENCODING, PayloadCipher, payloadCipherFromConfig } from '../../workers/codec';
import { startCodecServer } from '../../workers/codecServer';
import { syncTenant } from '../../workflows/syncTenant';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';
import { testCodec } from '../helpers/temporal';

/** Every string in a value, with bytes (payload data) decoded as UTF-8, so encoded payloads are searched too. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

const plain = (text: string): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(text)),
});
const key = () => randomBytes(32);

describe('the payload codec', () => {
  it('encrypts with the current key, names it in metadata, and decrypts with old keys after a rotation', async () => {
    const [a, b] = [key(), key()];
    const before = new PayloadCipher(a);
    const [encoded] = await before.encode([plain('Acme Widgets Ltd')]);
    expect(Buffer.from(encoded.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encoded.metadata!['encryption-key-id']!).toString()).toBe(before.keyId);
    expect(strings(encoded).join('\n')).not.toContain('Acme');
    expect(strings(encoded).join('\n')).not.toContain(a.toString('base64'));

    const rotated = new PayloadCipher(b, [a]);
    const [decoded] = await rotated.decode([encoded]);
    expect(Buffer.from(decoded.data!).toString()).toBe('"Acme Widgets Ltd"');
    expect(Buffer.from(decoded.metadata!.encoding!).toString()).toBe('json/plain');
    // New payloads use the new key.
    const [again] = await rotated.encode([plain('x')]);
    expect(Buffer.from(again.metadata!['encryption-key-id']!).toString()).toBe(rotated.keyId);
  });

  it('refuses a payload of an unconfigured key with what to do, and a tampered one', async () => {
    const [encoded] = await new PayloadCipher(key()).encode([plain('x')]);
    await expect(new PayloadCipher(key()).decode([encoded])).rejects.toThrow(/QBSYNC_PAYLOAD_KEYS_OLD/);
    const c = new PayloadCipher(key());
    const [mine] = await c.encode([plain('x')]);
    mine.data![20] ^= 1;
    await expect(c.decode([mine])).rejects.toThrow(/does not decrypt/);
  });

  it('passes payloads without its encoding through unchanged (histories recorded before it still replay)', async () => {
    const p = plain('unchanged');
    expect(await new PayloadCipher(key()).decode([p])).toEqual([p]);
  });

  it('derives its key from QBSYNC_ENCRYPTION_KEY unless QBSYNC_PAYLOAD_KEY is set, which still reads derived payloads', async () => {
    const tokenKey = key().toString('base64');
    const derived = payloadCipherFromConfig({ QBSYNC_ENCRYPTION_KEY: tokenKey, NODE_ENV: 'production', dataDir: '/x' });
    expect(derived.keyId).toBe(testCodec(tokenKey).keyId);
    const [old] = await derived.encode([plain('before')]);
    const dedicated = payloadCipherFromConfig({
      QBSYNC_ENCRYPTION_KEY: tokenKey,
      QBSYNC_PAYLOAD_KEY: key().toString('base64'),
      NODE_ENV: 'production',
      dataDir: '/x',
    });
    expect(dedicated.keyId).not.toBe(derived.keyId);
    expect(Buffer.from((await dedicated.decode([old]))[0].data!).toString()).toBe('"before"');
    expect(() =>
      payloadCipherFromConfig({ QBSYNC_PAYLOAD_KEY: 'short', NODE_ENV: 'production', dataDir: '/x' }),
    ).toThrow(/QBSYNC_PAYLOAD_KEY is invalid/);
  });
});

describe('the codec server', () => {
  it('decodes and encodes per the codec server protocol, with CORS for Temporal Web only', async () => {
    const codec = new PayloadCipher(key());
    const server = await startCodecServer({ codec, origins: ['http://localhost:8233'] });
    try {
      const [encoded] = await codec.encode([plain('Acme Widgets Ltd')]);
      const asJson = {
        metadata: Object.fromEntries(
          Object.entries(encoded.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
        ),
        data: Buffer.from(encoded.data!).toString('base64'),
      };
      const preflight = await fetch(`${server.url}/default/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/x-namespace/);

      const decode = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: 'http://evil.example' },
        body: JSON.stringify({ payloads: [asJson] }),
      });
      expect(decode.status).toBe(200);
      expect(decode.headers.get('access-control-allow-origin')).toBeNull();
      const decoded = (await decode.json()) as { payloads: Array<{ data: string; metadata: Record<string, string> }> };
      expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toBe('"Acme Widgets Ltd"');

      const encode = await fetch(`${server.url}/encode`, {
        method: 'POST',
        body: JSON.stringify({ payloads: decoded.payloads }),
      });
      const reencoded = (await encode.json()) as { payloads: Array<{ metadata: Record<string, string> }> };
      expect(Buffer.from(reencoded.payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);

      expect((await fetch(`${server.url}/decode`, { method: 'POST', body: '{' })).status).toBe(400);
      expect((await fetch(`${server.url}/decode`)).status).toBe(405);
      expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('a real run with the codec', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await createStack('codec');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('works, and its history holds no customer or record name unless decoded with the key; it replays', async () => {
    const { tenantId } = await stack.addTenant({ seed: 'demo' });
    const workflowId = `codec-${randomBytes(3).toString('hex')}`;
    const run = (id: string) =>
      stack.temporal.client.workflow.execute(syncTenant, {
        taskQueue: stack.temporal.taskQueue,
        workflowId: id,
        args: [{ tenantId, trigger: 'codec' }],
      });
    expect((await run(`${workflowId}-ok`)).status).toBe('succeeded');
    const customer = await stack.database.db
      .selectFrom('customers')
      .select('display_name')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    // A record QuickBooks rejects: its name travels in the activity's and the workflow's failure messages.
    await stack.database.db
      .insertInto('items')
      .values({ tenant_id: tenantId, type: 'Service', name: 'Secret: Widget', unit_price: '1', income_account: '1' })
      .execute();
    const failure = (await run(`${workflowId}-fail`).catch((e: Error) => e)) as Error & { cause?: Error };
    // Decoded by the client (it has the key): the failure reads as ever.
    expect(failure.cause?.message).toMatch(/failed in step items/);

    const raw: string[] = [];
    for (const id of [`${workflowId}-ok`, `${workflowId}-fail`]) {
      const history = await stack.temporal.client.workflow.getHandle(id).fetchHistory();
      raw.push(...strings(history));
      if (id.endsWith('-fail')) fs.writeFileSync(path.join(os.tmpdir(), `${id}.json`), historyToJSON(history));
    }
    const all = raw.join('\n');
    expect(all).toContain(ENCRYPTED_ENCODING);
    expect(all).not.toContain(customer.display_name);
    expect(all).not.toContain('Secret: Widget');
    expect(all).not.toMatch(/failed in step items/);

    // The encrypted history replays with the key (the codec decodes it), as plain recorded ones do without it.
    const file = path.join(os.tmpdir(), `${workflowId}-fail.json`);
    const replay = await runCli(['replay', file], { QBSYNC_ENCRYPTION_KEY: stack.env.QBSYNC_ENCRYPTION_KEY }, 120_000);
    expect(replay.stdout).toContain(`ok   ${path.basename(file)}`);
    expect(replay.code).toBe(0);
  });
});
