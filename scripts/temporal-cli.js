'use strict';
/**
 * Finds or installs the pinned Temporal CLI, whose `server start-dev` is qbsync's embedded Temporal.
 * Order: $TEMPORAL_CLI → `temporal` on PATH → the cache outside the checkout → `go install` into that cache
 * → the official download (only where the machine has internet). Plain Node so it runs before `npm install`.
 */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TEMPORAL_CLI_VERSION = '1.5.1';

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'qbsync', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Returns the path of a usable CLI without installing anything, or undefined. */
function findTemporalCli(log = () => undefined) {
  if (process.env.TEMPORAL_CLI) {
    if (!isExecutable(process.env.TEMPORAL_CLI))
      throw new Error(`TEMPORAL_CLI is invalid: expected an executable file, got ${process.env.TEMPORAL_CLI}`);
    log(`Temporal CLI: using TEMPORAL_CLI=${process.env.TEMPORAL_CLI}`);
    return process.env.TEMPORAL_CLI;
  }
  const fromPath = onPath('temporal');
  if (fromPath) {
    log(`Temporal CLI: using ${fromPath} from PATH`);
    return fromPath;
  }
  const cached = path.join(cacheDir(), 'temporal');
  if (isExecutable(cached)) {
    log(`Temporal CLI: using cached ${cached}`);
    return cached;
  }
  return undefined;
}

function run(command, args, options, log, label) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
    // The first build takes minutes on 2 cores: say so every 20 s rather than going silent.
    const ticker = setInterval(
      () => log(`${label}: still working (${Math.round((Date.now() - started) / 1000)} s)…`),
      20_000,
    );
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`${label} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

async function goInstall(dir, log) {
  const go = onPath('go') || (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) return false;
  log(`Temporal CLI: building v${TEMPORAL_CLI_VERSION} with go install into ${dir} (first time only; a few minutes)…`);
  await run(
    go,
    ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
    { env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' }, cwd: os.tmpdir() },
    log,
    'go install',
  );
  return isExecutable(path.join(dir, 'temporal'));
}

async function download(dir, log) {
  const platform = process.platform === 'darwin' ? 'darwin' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${platform}&arch=${arch}`;
  log(`Temporal CLI: downloading ${url}…`);
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok) throw new Error(`download answered HTTP ${response.status}`);
  const archive = path.join(dir, 'temporal.tar.gz');
  fs.writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
  execFileSync('tar', ['-xzf', archive, '-C', dir, 'temporal']);
  fs.rmSync(archive);
  return isExecutable(path.join(dir, 'temporal'));
}

/** Finds the CLI, installing it into the cache when missing. Resolves to its path. */
async function ensureTemporalCli(log = (line) => console.error(line)) {
  const found = findTemporalCli(log);
  if (found) return found;
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const failures = [];
  try {
    if (await goInstall(dir, log)) return path.join(dir, 'temporal');
    failures.push('go is not installed');
  } catch (error) {
    failures.push(`go install: ${error.message}`);
  }
  try {
    if (await download(dir, log)) return path.join(dir, 'temporal');
  } catch (error) {
    failures.push(`download: ${error.message}`);
  }
  throw new Error(
    `could not get the Temporal CLI (${failures.join('; ')}); install it and set TEMPORAL_CLI=/path/to/temporal, or set TEMPORAL_ADDRESS to a running server`,
  );
}

module.exports = { TEMPORAL_CLI_VERSION, cacheDir, findTemporalCli, ensureTemporalCli };
