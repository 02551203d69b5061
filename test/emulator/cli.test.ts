import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = path.join(__dirname, '..', '..', 'bin', 'qbsync.js');

test('qbsync emulator prints its URL and the demo realm, serves until SIGTERM, then saves state and exits 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-emulator-cli-'));
  const stateFile = path.join(dir, 'state.json');
  const child = spawn(
    process.execPath,
    [BIN, 'emulator', '--port', '0', '--seed', 'demo', '--state', stateFile, '--limits', 'off'],
    { env: { ...process.env, QBSYNC_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!/9130350000000001/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /listening at (http:\/\/\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    expect(output).toContain('qbsync-dev');
    expect(output).not.toContain('qbsync-dev-secret');
    const requests = await fetch(`${url}/_emulator/requests`);
    expect(requests.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { companies: Array<{ realmId: string }> };
    expect(state.companies.map((c) => c.realmId)).toContain('9130350000000001');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
