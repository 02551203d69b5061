// Typed view of scripts/temporal-cli.js, which stays plain JavaScript so it can run before `npm install`.
const cli = require('../scripts/temporal-cli.js') as {
  TEMPORAL_CLI_VERSION: string;
  cacheDir(): string;
  findTemporalCli(log?: (line: string) => void): string | undefined;
  ensureTemporalCli(log?: (line: string) => void): Promise<string>;
};

export const { TEMPORAL_CLI_VERSION, findTemporalCli, ensureTemporalCli } = cli;
