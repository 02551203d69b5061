/**
 * Read throughput of the QuickBooks emulator with limits off: single-entity reads (GET /customer/{id}, /invoice/{id})
 * with bounded concurrency. The emulator runs in a child process so the load generator does not share its event loop.
 *
 *   npx tsx bench/emulator-reads.ts [--concurrency 16] [--seconds 10] [--requests 40000] [--in-process]
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { EmulatorAdmin, startEmulator } from '../emulator';

interface Args {
  concurrency: number;
  seconds: number;
  requests: number;
  inProcess: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return {
    concurrency: value('concurrency', 16),
    seconds: value('seconds', 10),
    requests: value('requests', 40_000),
    inProcess: argv.includes('--in-process'),
  };
}

/** Child role: run the emulator and report its URL to the parent. */
async function serve(): Promise<void> {
  const running = await startEmulator({ port: 0, limits: 'off', quiet: true });
  process.send?.({ url: running.url });
  process.on('disconnect', () => void running.close().then(() => process.exit(0)));
}

async function startServer(inProcess: boolean): Promise<{ url: string; stop(): Promise<void> }> {
  if (inProcess) {
    const running = await startEmulator({ port: 0, limits: 'off', quiet: true });
    return { url: running.url, stop: () => running.close() };
  }
  const child: ChildProcess = fork(__filename, ['--serve'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`emulator process exited with ${code}`)));
  });
  return {
    url,
    stop: async () => {
      child.disconnect();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

function get(agent: http.Agent, url: URL, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await startServer(args.inProcess);
  try {
    const admin = new EmulatorAdmin(server.url);
    const app = await admin.registerApp({ redirectUris: ['http://127.0.0.1:1/cb'] });
    const { realmId } = await admin.createCompany({ name: 'Bench' });
    const seedStarted = Date.now();
    const { counts } = await admin.seed(realmId, {
      kind: 'bulk',
      customers: 2500,
      items: 100,
      invoices: 10_000,
      payments: 2000,
      maxLinesPerInvoice: 10,
    });
    console.log(`seeded ${JSON.stringify(counts)} in ${Date.now() - seedStarted} ms`);
    const { access_token: token } = await admin.issueTokens({ realmId, clientId: app.clientId });
    const customers = (await admin.entities<{ Id: string }>(realmId, 'Customer')).map((c) => c.Id);
    const invoices = (await admin.entities<{ Id: string }>(realmId, 'Invoice')).map((i) => i.Id);
    const targets = [...customers.map((id) => `customer/${id}`), ...invoices.map((id) => `invoice/${id}`)];

    const agent = new http.Agent({ keepAlive: true, maxSockets: args.concurrency });
    const latencies: number[] = [];
    let issued = 0;
    let failed = 0;
    const deadline = Date.now() + args.seconds * 1000;
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (issued < args.requests && Date.now() < deadline) {
        const path = targets[issued++ % targets.length];
        const t0 = process.hrtime.bigint();
        const status = await get(agent, new URL(`${server.url}/v3/company/${realmId}/${path}?minorversion=75`), token);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (status !== 200) failed++;
      }
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2);
    const rate = Math.round(latencies.length / seconds);
    console.log(
      `${latencies.length} reads in ${seconds.toFixed(2)} s with ${args.concurrency} in flight: ${rate} reads/s (p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, ${failed} not 200)`,
    );
    if (failed > 0) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

if (process.argv.includes('--serve')) void serve();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
