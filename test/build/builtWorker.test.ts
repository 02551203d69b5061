import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStack, type Stack } from '../helpers/stack';
import { until } from '../helpers/until';

/**
 * Issue 14 item 9: `npm run build` works on a copy of the checkout as the image gets it (`COPY . .`, minus
 * .dockerignore), and the worker started from that build (dist/, prebuilt workflow bundle, no tsx) syncs a tenant
 * against the emulator. node_modules is linked, not reinstalled (installing is ensure.mjs's, covered by CI).
 */
const root = path.join(__dirname, '..', '..');
let stack: Stack;
let dir: string;
let worker: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-build-'));
  const ignored = fs
    .readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && !ignored.some((i) => f === i || f.startsWith(`${i}/`)) && fs.existsSync(path.join(root, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  stack = await createStack('built', { inProcessWorker: false });
}, 60_000);
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await stack?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('npm run build succeeds on the copy, and its worker (from dist/) runs a sync', async () => {
  const build = spawn('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  build.stdout.on('data', (c) => (log += c));
  build.stderr.on('data', (c) => (log += c));
  const code = await new Promise<number | null>((resolve) => build.on('exit', resolve));
  expect(code === 0 ? 'ok' : log).toBe('ok');
  expect(fs.existsSync(path.join(dir, 'dist', 'client', 'cli.js'))).toBe(true);
  expect(fs.existsSync(path.join(dir, 'dist', 'workflow-bundle.js'))).toBe(true);

  // What the image's runtime stage keeps: dist, bin, scripts, node_modules, package.json. Without the sources, nothing
  // can fall back to tsx or bundle workflows from TypeScript.
  const kept = new Set(['dist', 'bin', 'scripts', 'node_modules', 'package.json']);
  for (const entry of fs.readdirSync(dir)) if (!kept.has(entry)) fs.rmSync(path.join(dir, entry), { recursive: true });

  // As the image runs it: node bin/qbsync.js worker, NODE_ENV=production, from the build (QBSYNC_FROM_SOURCE unset).
  const env: NodeJS.ProcessEnv = { ...process.env, ...stack.env, NODE_ENV: 'production' };
  delete env.QBSYNC_FROM_SOURCE;
  worker = spawn(process.execPath, ['bin/qbsync.js', 'worker'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (c) => (output += c));
  worker.stderr!.on('data', (c) => (output += c));
  await until(
    'the built worker starts',
    () => output,
    (o) => /worker started/.test(o) || worker!.exitCode !== null,
    {
      ms: 90_000,
    },
  );
  expect(worker.exitCode === null ? 'running' : output).toBe('running');

  const { tenantId } = await stack.addTenant({ seed: 'demo' });
  const result = await stack.sync(tenantId, 'build-test');
  expect(result.status).toBe('succeeded');
  const customers = await stack.database.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(customers.n)).toBeGreaterThan(0);
}, 600_000);
