import { Command, CommanderError } from 'commander';
import { ConfigError } from '../workers/config';
import { describeStartupError } from './errors';
import { StartupError } from './context';
import { registerMigrate } from './commands/migrate';
import { registerWorker } from './commands/worker';
import { registerDev } from './commands/dev';
import { registerBundle } from './commands/bundle';
import { registerHistory } from './commands/history';
import { registerEmbeddedPostgres } from './commands/embeddedPostgres';
import { registerEmulator } from './commands/emulator';
import { registerDesktopEmulator } from './commands/desktopEmulator';
import { registerTenant } from './commands/tenant';
import { registerConnect } from './commands/connect';
import { registerReplay } from './commands/replay';
import { registerSync } from './commands/sync';
import { registerStatus } from './commands/status';
import { registerSchedule } from './commands/schedule';
import { registerCodecServer } from './commands/codecServer';
import { installOutputSanitizer } from './output';
import { registerEvents } from './commands/events';
import { registerServe } from './commands/serve';
import { registerApiKey } from './commands/apikey';
import { registerQwc } from './commands/qwc';
import { registerWebConnector } from './commands/webconnector';
import { registerUser } from './commands/user';

/** Every command registers itself from its own file in client/commands/. */
export function buildProgram(): Command {
  const program = new Command('qbsync')
    .description('Keeps a business app and QuickBooks Online in sync, on Temporal.')
    .showHelpAfterError()
    .exitOverride();
  registerMigrate(program);
  registerWorker(program);
  registerDev(program);
  registerBundle(program);
  registerHistory(program);
  registerEmbeddedPostgres(program);
  registerEmulator(program);
  registerDesktopEmulator(program);
  registerTenant(program);
  registerConnect(program);
  registerReplay(program);
  registerSync(program);
  registerStatus(program);
  registerSchedule(program);
  registerCodecServer(program);
  registerEvents(program);
  registerServe(program);
  registerApiKey(program);
  registerQwc(program);
  registerWebConnector(program);
  registerUser(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  installOutputSanitizer();
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    // One clear line, no stack trace, for the errors a user can fix (configuration, unreachable services).
    const line =
      error instanceof ConfigError || error instanceof StartupError ? error.message : describeStartupError(error);
    console.error(`qbsync: ${line}`);
    if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  }
}
