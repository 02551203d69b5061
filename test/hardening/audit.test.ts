import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** scripts/audit.mjs: the lock-file review CI runs where the registry has no audit endpoint. */
const root = path.join(__dirname, '..', '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function review(mutate: (l: typeof lock, p: typeof pkg) => void = () => undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-audit-'));
  const [l, p] = [structuredClone(lock), structuredClone(pkg)];
  mutate(l, p);
  fs.writeFileSync(path.join(dir, 'lock.json'), JSON.stringify(l));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(p));
  const r = spawnSync(
    process.execPath,
    [
      'scripts/audit.mjs',
      '--no-audit',
      '--lock',
      path.join(dir, 'lock.json'),
      '--package',
      path.join(dir, 'package.json'),
    ],
    { cwd: root, encoding: 'utf8' },
  );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the repository lock passes', () => {
  const r = review();
  expect(r.out).toMatch(/lock file reviewed: \d+ packages/);
  expect(r.code).toBe(0);
});

test.each([
  [
    'a caret range in package.json',
    (_l: typeof lock, p: typeof pkg) => (p.dependencies.pino = '^10.4.0'),
    /dependencies.pino is "\^10.4.0": pin an exact version/,
  ],
  [
    'a git dependency',
    (l: typeof lock) => (l.packages['node_modules/pino'].version = 'git+https://example.com/pino.git'),
    /pino is "git\+https/,
  ],
  [
    'a tarball from elsewhere',
    (l: typeof lock) => (l.packages['node_modules/pino'].resolved = 'https://evil.example/pino.tgz'),
    /pino comes from https:\/\/evil.example/,
  ],
  [
    'a missing integrity',
    (l: typeof lock) => delete l.packages['node_modules/pino'].integrity,
    /pino@[\d.]+ has no sha512 integrity/,
  ],
  [
    'a new install script',
    (l: typeof lock) => (l.packages['node_modules/pino'].hasInstallScript = true),
    /pino runs an install script that was not reviewed/,
  ],
  [
    'a lock out of step with package.json',
    (_l: typeof lock, p: typeof pkg) => (p.dependencies.pino = '10.4.1'),
    /does not lock pino@10.4.1/,
  ],
])('%s fails the review, saying what to do', (_name, mutate, why) => {
  const r = review(mutate as never);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(why);
});
