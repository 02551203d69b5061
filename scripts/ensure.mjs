// Runs before `npm start` and `npm test` (npm's pre-scripts): installs what a fresh clone lacks, saying what it does.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const log = (line) => console.error(`[qbsync] ${line}`);

function dependenciesCurrent() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (!fs.existsSync(marker)) return false;
  return !fs.existsSync(lock) || fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs;
}

if (!dependenciesCurrent()) {
  // Not `npm ci`: registries that serve only this platform's native binaries (as some mirrors do) leave
  // other platforms' optional packages out of the lock, and `npm ci` then refuses the lock as out of sync.
  // `npm install --no-save` installs the locked versions and leaves package-lock.json untouched.
  log('installing npm dependencies (npm install --no-save, following package-lock.json)…');
  const result = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    log(`npm install failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

// A server named by TEMPORAL_ADDRESS needs no local CLI; nor does an image build (QBSYNC_NO_TEMPORAL_CLI=1).
const wantsCli = process.env.QBSYNC_NO_TEMPORAL_CLI !== '1';
if (wantsCli && (!process.env.TEMPORAL_ADDRESS || process.env.npm_lifecycle_event === 'pretest')) {
  const { ensureTemporalCli } = createRequire(import.meta.url)('./temporal-cli.js');
  try {
    await ensureTemporalCli(log);
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
}
