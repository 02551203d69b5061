/**
 * API latency and event delivery throughput, against `qbsync serve` in its own OS process:
 *  - p50/p99 of an upsert (POST a customer with an Idempotency-Key) and of a status read, 50 concurrent clients;
 *  - events delivered per second from commit to a local receiver's 2xx (signed, one endpoint, in order per record).
 * Run: npx tsx bench/api.ts   (REQUESTS=2000 CLIENTS=50 EVENTS=2000 to change the load)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { TokenCipher } from '../activities/connection/crypto';
import { addTenant } from '../activities/connection/tenants';
import { addEndpoint } from '../activities/events/endpoints';
import { verifyEvent } from '../activities/events/signing';
import { createApiKey } from '../server/apiKeys';
import { freshDatabase } from './harness';

const CLIENTS = Number(process.env.CLIENTS ?? 50);
const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const EVENTS = Number(process.env.EVENTS ?? 2000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function load(name: string, request: (i: number) => Promise<Response>): Promise<Record<string, number | string>> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const t0 = performance.now();
        const r = await request(i);
        await r.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (!r.ok) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    clients: CLIENTS,
    failures,
    p50_ms: Number(percentile(latencies, 50).toFixed(1)),
    p99_ms: Number(percentile(latencies, 99).toFixed(1)),
    per_second: Math.round(latencies.length / seconds),
  };
}

async function main(): Promise<void> {
  const database = await freshDatabase('qbsync_bench_api');
  const encryptionKey = randomBytes(32).toString('base64');
  await addTenant(database.db, { id: 'bench', name: 'Bench' });
  const { key } = await createApiKey(database.db, { name: 'bench', tenants: ['bench'] });
  const customer = await database.db
    .insertInto('customers')
    .values({ tenant_id: 'bench', display_name: 'Bench customer' })
    .returning('id')
    .executeTakeFirstOrThrow();

  const server = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'qbsync.js'), 'serve', '--port', '0'], {
    env: {
      ...process.env,
      QBSYNC_FROM_SOURCE: '1',
      DATABASE_URL: database.url,
      QBSYNC_ENCRYPTION_KEY: encryptionKey,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /qbsync API on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`qbsync serve exited ${code}: ${out}`)));
  });
  const auth = { authorization: `Bearer ${key}` };
  try {
    // Warm-up: connections, the pool, JIT.
    for (let i = 0; i < 50; i++) await (await fetch(`${url}/v1/tenants/bench/status`, { headers: auth })).arrayBuffer();

    const upsert = await load('upsert: POST /v1/tenants/{tenant}/customers with Idempotency-Key', (i) =>
      fetch(`${url}/v1/tenants/bench/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `bench-${i}` },
        body: JSON.stringify({
          display_name: `Customer ${i}`,
          email: `c${i}@bench.example`,
          billing_address: { city: 'Chicago' },
        }),
      }),
    );
    const status = await load('status: GET /v1/tenants/{tenant}/status', () =>
      fetch(`${url}/v1/tenants/bench/status`, { headers: auth }),
    );

    // Event delivery: EVENTS events committed at once, delivered by the server's dispatcher to a local receiver.
    let received = 0;
    let bad = 0;
    let secret = '';
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const seen = new Set<string>();
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (!verifyEvent(secret, req.headers as Record<string, string>, body)) bad++;
        const id = String(req.headers['webhook-id']);
        if (!seen.has(id)) {
          seen.add(id);
          if (++received === EVENTS) done();
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    ({ secret } = await addEndpoint(database.db, new TokenCipher(encryptionKey), {
      tenantId: 'bench',
      url: `http://127.0.0.1:${port}/hook`,
    }));
    const t0 = performance.now();
    await database.db.transaction().execute(async (trx) => {
      await sql`set local qbsync.origin = 'sync'`.execute(trx);
      await sql`insert into invoices (tenant_id, customer_id, txn_date, origin, total_cents)
                select 'bench', ${customer.id}, '2026-11-27', 'quickbooks', g * 100 from generate_series(1, ${EVENTS}) g`.execute(
        trx,
      );
    });
    await all;
    const seconds = (performance.now() - t0) / 1000;
    receiver.close();
    const events = {
      name: 'events: invoice.received, commit → receiver 2xx (signed, one endpoint)',
      events: EVENTS,
      bad_signatures: bad,
      seconds: Number(seconds.toFixed(2)),
      per_second: Math.round(EVENTS / seconds),
    };
    const results = {
      at: new Date().toISOString(),
      cpus: (await import('node:os')).cpus().length,
      upsert,
      status,
      events,
    };
    console.log(JSON.stringify(results, null, 2));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await database.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
