import type { Command } from 'commander';
import {
  connectNonInteractive,
  disconnect,
  runCallbackServer,
  startConnect,
  ConnectError,
  type ConnectDeps,
} from '../../activities/connection/connect';
import { cipherFromConfig } from '../../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../../activities/connection/oauth';
import { systemClock } from '../../workers/clock';
import type { Config } from '../../workers/config';
import { commandContext } from '../context';
import { ensureScheduleFromCli } from '../ensureSchedule';
import { withDatabase } from './tenant';

function connectDeps(config: Config, db: ConnectDeps['db']): ConnectDeps {
  return { db, oauth: new IntuitOAuth(oauthSettings(config)), cipher: cipherFromConfig(config), clock: systemClock };
}

/** A connected tenant syncs on its schedule from now on. */
async function printSchedule(config: Config, db: ConnectDeps['db'], tenantId: string): Promise<void> {
  const line = await ensureScheduleFromCli(config, db, tenantId);
  if (line) console.log(line);
}

/** How long `qbsync connect` waits for the browser: as long as the state is valid. */
const WAIT_MS = 10 * 60 * 1000;

export function registerConnect(program: Command): void {
  program
    .command('connect <tenant>')
    .description("link a tenant to a QuickBooks company: prints Intuit's authorize URL and waits for the callback")
    .option('--non-interactive', 'emulator only: consent without a browser (tests, npm start)')
    .option('--realm <realmId>', 'emulator only: which company to consent for')
    .option('--port <port>', "port for the local callback server (default: the redirect URI's)")
    .action(async (tenantId: string, options: { nonInteractive?: boolean; realm?: string; port?: string }) => {
      const { config } = commandContext();
      await withDatabase(async (db) => {
        const deps = connectDeps(config, db);
        const { environment, redirectUri } = deps.oauth.settings;
        if (options.nonInteractive) {
          if (environment !== 'emulator')
            throw new ConnectError(
              '--non-interactive works with the emulator only (QBO_ENV=emulator); Intuit needs a person to consent in a browser',
            );
          const { realmId } = await connectNonInteractive(deps, tenantId, { realmId: options.realm });
          console.log(`connected tenant ${tenantId} to QuickBooks company ${realmId} (${environment})`);
          await printSchedule(config, db, tenantId);
          return;
        }
        const redirect = new URL(redirectUri);
        const port = Number(options.port ?? (redirect.port || 80));
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          throw new ConnectError(`--port must be a port number, not ${options.port}`);
        const { url, state } = await startConnect(deps, tenantId);
        // Only the callback carrying this state settles the wait; any other request to the port is ignored.
        const server = await runCallbackServer(deps, { port, path: redirect.pathname, expectedState: state });
        try {
          const authorize = new URL(url);
          if (options.realm && environment === 'emulator') authorize.searchParams.set('realmId', options.realm);
          console.log(
            `Open this URL in a browser and approve access for tenant ${tenantId}:\n\n  ${authorize.toString()}\n`,
          );
          console.log(`waiting for QuickBooks to send the browser back to ${server.url} (state ${state.slice(0, 6)}…)`);
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new ConnectError('no callback within 10 minutes; run `qbsync connect` again')),
              WAIT_MS,
            );
          });
          try {
            const { realmId } = await Promise.race([server.done, timeout]);
            console.log(`connected tenant ${tenantId} to QuickBooks company ${realmId} (${environment})`);
            await printSchedule(config, db, tenantId);
          } finally {
            clearTimeout(timer);
          }
        } finally {
          await server.close();
        }
      });
    });

  program
    .command('disconnect <tenant>')
    .description("revoke the tenant's QuickBooks authorisation and forget its tokens")
    .action(async (tenantId: string) => {
      const { config } = commandContext();
      const { revoked } = await withDatabase((db) => disconnect(connectDeps(config, db), tenantId));
      console.log(
        `disconnected tenant ${tenantId}${revoked ? '' : ' (Intuit did not confirm the revocation; the tokens are forgotten anyway)'}`,
      );
    });
}
