import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDesktopEmulator } from '../../emulator/desktop';
import { until } from '../helpers/until';
import { standardScript, startFakeService } from './fakeService';
import { qbxml, responses } from './qbxml';

const BIN = path.join(__dirname, '..', '..', 'bin', 'qbsync.js');

test('admin API: seed, read the company, run qbXML, faults, touch/delete records, request log, run the Web Connector', async () => {
  const service = await startFakeService(
    standardScript([qbxml('<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>')]),
  );
  const emulator = await startDesktopEmulator({
    seed: 'empty',
    latency: 'none',
    timeScale: 1000,
    webConnector: { url: service.url, user: 'u', password: 'p' },
  });
  const api = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${emulator.url}/_emulator${route}`, {
      method,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as unknown };
  };
  try {
    expect(((await api('GET', '/company')).json() as { counts: { customers: number } }).counts.customers).toBe(0);
    expect((await api('POST', '/seed', { seed: 'salesin' })).status).toBe(200);
    const customers = (await api('GET', '/company/customers')).json() as Array<{ ListID: string; Name: string }>;
    expect(customers.length).toBeGreaterThanOrEqual(40);
    const direct = await api('POST', '/qbxml', qbxml('<HostQueryRq/>'));
    expect(responses(direct.text)[0].attrs.statusCode).toBe('0');
    const rejected = (await api('POST', '/qbxml', qbxml('<HostQueryRq><Bogus/></HostQueryRq>'))).json();
    expect(rejected).toMatchObject({ hresult: '0x80040400' });
    await api('POST', '/records/touch', { id: customers[0].ListID, fields: { Phone: '555-9999' } });
    await api('POST', '/records/delete', { id: customers[1].ListID });
    expect(((await api('GET', '/company/deleted')).json() as unknown[]).length).toBe(1);
    expect((await api('POST', '/faults', { kind: 'qbNotRunning', count: 1 })).status).toBe(200);
    const failedRun = (await api('POST', '/run')).json() as { outcome: string };
    expect(failedRun.outcome).toBe('connectionError');
    const run = (await api('POST', '/run')).json() as { outcome: string; documents: number };
    expect(run).toMatchObject({ outcome: 'done', documents: 1 });
    const log = (await api('GET', '/requests')).json() as Array<{
      operation: string;
      qbxmlRequest?: string;
      qbxmlResponse?: string;
    }>;
    expect(log.filter((e) => e.operation === 'connectionError')).toHaveLength(1);
    expect(log.find((e) => e.qbxmlRequest)?.qbxmlRequest).toContain('<CustomerQueryRq>');
    expect(log.find((e) => e.qbxmlResponse)?.qbxmlResponse).toContain('<CustomerRet>');
    const since = log[log.length - 1] as unknown as { seq: number };
    expect(((await api('GET', `/requests?sinceSeq=${since.seq}`)).json() as unknown[]).length).toBe(0);
    expect((await api('GET', '/nope')).status).toBe(404);
  } finally {
    await emulator.close();
    await service.close();
  }
});

test('qbsync desktop-emulator runs the Web Connector on its schedule, serves the admin API, saves state on SIGTERM', async () => {
  const service = await startFakeService(standardScript([qbxml('<HostQueryRq/>')]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-desktop-cli-'));
  const stateFile = path.join(dir, 'company.json');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'desktop-emulator',
      '--url',
      service.url,
      '--user',
      'u',
      '--password',
      'p',
      '--seed',
      'reckon',
      '--every',
      '1',
      '--time-scale',
      '600',
      '--latency',
      'none',
      '--state',
      stateFile,
    ],
    { env: { ...process.env, QBSYNC_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    // every minute at 600× = every 100 ms: two runs show the scheduler works
    await until(
      'two scheduled runs',
      () => output,
      (o) => /run 2: /.test(o),
      { ms: 60_000, context: () => output },
    );
    const url = /admin API at (http:\/\/\S+)\/_emulator/.exec(output)?.[1];
    expect(url).toBeDefined();
    const company = (await (await fetch(`${url}/_emulator/company`)).json()) as {
      info: { flavour: string; maxVersion: string };
    };
    expect(company.info).toMatchObject({ flavour: 'reckon', maxVersion: '6.1' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { info: { flavour: string }; customers: unknown[] };
    expect(state.info.flavour).toBe('reckon');
    expect(state.customers.length).toBeGreaterThan(40);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await service.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('qbsync desktop-emulator refuses a bad seed and a .qwc with an http AppURL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-desktop-cli-'));
  const qwc = path.join(dir, 'app.qwc');
  fs.writeFileSync(
    qwc,
    '<?xml version="1.0"?><QBWCXML><AppName>x</AppName><AppURL>http://sync.example.com/qbwc</AppURL><AppSupport>https://sync.example.com/</AppSupport><UserName>u</UserName><OwnerID>{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}</OwnerID><FileID>{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}</FileID><QBType>QBFS</QBType></QBWCXML>',
  );
  const run = (args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'desktop-emulator', ...args], {
        env: { ...process.env, QBSYNC_FROM_SOURCE: '1' },
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  try {
    const badSeed = await run(['--seed', 'demo']);
    expect(badSeed.code).not.toBe(0);
    expect(badSeed.output).toContain('--seed must be salesin, reckon or empty');
    const badQwc = await run(['--qwc', qwc, '--password', 'p']);
    expect(badQwc.code).not.toBe(0);
    expect(badQwc.output).toContain('https unless it is localhost');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
