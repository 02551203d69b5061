import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { connectTemporalClient, connectTemporalWorker, StartupError } from '../../client/context';
import { loadConfig } from '../../workers/config';
import { createLogger } from '../../workers/logger';
import { startWorker } from '../../workers/run';
import { checkWorker } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { temporalAddress, uniqueTaskQueue } from '../helpers/temporal';

/**
 * The Temporal CLI's dev server has no TLS, so a TLS terminator that requires a client certificate signed by the CA
 * of scripts/certs.sh (as the compose file's frontend does) stands in front of it: workers and clients must do mTLS.
 */
const root = path.join(__dirname, '..', '..');
let dir: string;
let proxy: tls.Server;
let port: number;
const handshakeErrors: string[] = [];
let database: TestDatabase;

beforeAll(async () => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-tls-')), 'secrets');
  execFileSync('bash', [path.join(root, 'scripts', 'certs.sh'), dir], { stdio: 'pipe' });
  const [host, upstreamPort] = temporalAddress().split(':');
  proxy = tls.createServer(
    {
      key: fs.readFileSync(path.join(dir, 'server.key')),
      cert: fs.readFileSync(path.join(dir, 'server.pem')),
      ca: fs.readFileSync(path.join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const upstream = net.connect(Number(upstreamPort), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  proxy.on('tlsClientError', (error) => handshakeErrors.push(error.message));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  port = (proxy.address() as net.AddressInfo).port;
  database = await createTestDatabase('tls');
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await database?.drop();
});

function config(overrides: Record<string, string | undefined> = {}) {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('tls'),
    TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
    TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
    TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal',
    QBSYNC_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    QBSYNC_MANAGE_SCHEDULES: 'false',
    LOG_LEVEL: 'silent',
  };
  const merged: Record<string, string | undefined> = { ...env, ...overrides };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return loadConfig(merged, '/nonexistent');
}

test('a worker and a client with the certificates of scripts/certs.sh run a workflow over mTLS', async () => {
  const c = config();
  const connection = await connectTemporalWorker(c);
  const worker = await startWorker(c, database.db, connection, createLogger('silent'));
  const client = await connectTemporalClient(c);
  try {
    const probe = await client.workflow.execute(checkWorker, {
      taskQueue: c.TEMPORAL_TASK_QUEUE,
      workflowId: `tls-${randomBytes(3).toString('hex')}`,
      args: [worker.identity],
    });
    expect(probe.latestMigration).toMatch(/^\d{4}_/);
  } finally {
    await client.connection.close();
    await worker.shutdown();
    await connection.close();
  }
});

test.each([
  ['without a client certificate', { TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined }],
  ['with a server name the certificate does not hold', { TEMPORAL_TLS_SERVER_NAME: 'elsewhere.example' }],
  [
    'without TLS at all',
    {
      TEMPORAL_TLS_CERT: undefined,
      TEMPORAL_TLS_KEY: undefined,
      TEMPORAL_TLS_CA: undefined,
      TEMPORAL_TLS_SERVER_NAME: undefined,
    },
  ],
])('a client %s is refused, with a message naming the TLS settings', async (_name, overrides) => {
  const error = await connectTemporalClient(config(overrides)).then(
    (client) => client.connection.close().then(() => new Error('connected')),
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(StartupError);
  expect(error.message).toMatch(/cannot reach Temporal at TEMPORAL_ADDRESS=127\.0\.0\.1:\d+/);
  expect(error.message).toMatch(/TEMPORAL_TLS/);
});

test('a worker without a client certificate is refused', async () => {
  const error = await connectTemporalWorker(config({ TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined })).then(
    async (c) => {
      await c.close();
      return new Error('connected');
    },
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(StartupError);
  expect(handshakeErrors.join('\n')).toMatch(/certificate/i);
});

test('a certificate without its key, or an unreadable file, is a configuration error naming the variable', async () => {
  expect(() => config({ TEMPORAL_TLS_KEY: undefined })).toThrow(/TEMPORAL_TLS_KEY is missing/);
  await expect(connectTemporalClient(config({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }))).rejects.toThrow(
    /TEMPORAL_TLS_CA is invalid: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/,
  );
});
