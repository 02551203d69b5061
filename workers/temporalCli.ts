import fs from 'node:fs';
import path from 'node:path';

/**
 * The checkout's (or image's) root: the folder holding package.json, found upwards from here, so the same code works
 * from sources (workers/) and from the build (dist/workers/), where a relative `../scripts` would miss.
 */
function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'scripts'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json with scripts/ above ${from}`);
  }
}

// Typed view of scripts/temporal-cli.js, which stays plain JavaScript so it can run before `npm install`.
const cli = require(path.join(packageRoot(), 'scripts', 'temporal-cli.js')) as {
  TEMPORAL_CLI_VERSION: string;
  cacheDir(): string;
  findTemporalCli(log?: (line: string) => void): string | undefined;
  ensureTemporalCli(log?: (line: string) => void): Promise<string>;
};

export const { TEMPORAL_CLI_VERSION, findTemporalCli, ensureTemporalCli } = cli;
