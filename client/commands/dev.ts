import path from 'node:path';
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { requestSync } from '../../activities/operations/requestSync';
import { checkWorker } from '../../workflows';
import { migrateToLatest } from '../../schema/migrate';
import { startDevServer, type DevServer } from '../../workers/devServer';
import { preparePrivateDir, restrictFiles } from '../../workers/dataDir';
import { installRuntime } from '../../workers/runtime';
import { startWorker, type RunningWorker } from '../../workers/run';
import { ensureTemporalCli } from '../../workers/temporalCli';
import { embeddedDataDir, startEmbeddedPostgres } from '../../workers/embeddedPostgres';
import { commandContext, connectTemporalClient, connectTemporalWorker, openDatabase, untilSignal } from '../context';
import { ensureDemoTenant, startDemoEmulator, summarize, wantsEmbeddedEmulator } from '../demo';
import { follow } from '../followSync';
import { runDesktopDemo } from '../desktopDemo';
import { startWebConnectorEndpoint } from './webconnector';
import { answers } from '../net';
import { apiListen, startServing } from '../../server/serve';
import { ensureFirstOperator } from '../../server/session';
import { DEMO_APP, EmulatorAdmin } from '../../emulator';

/** Stops what `dev` started, newest first, whatever happens to any one of them. */
class Stack {
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  push(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }
  async closeAll(say: (line: string) => void): Promise<void> {
    for (const { name, close } of this.closers.reverse()) {
      try {
        await close();
        say(`stopped ${name}`);
      } catch (error) {
        say(`could not stop ${name} cleanly: ${(error as Error).message}`);
      }
    }
  }
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('run qbsync on embedded defaults: Temporal dev server, PostgreSQL, worker (what `npm start` runs)')
    .action(async () => {
      const { config, logger } = commandContext();
      const say = (line: string) => console.log(`[qbsync] ${line}`);
      const stack = new Stack();
      installRuntime(logger);
      preparePrivateDir(config.dataDir);
      const stopRequested = untilSignal();
      try {
        let temporalAddress = config.TEMPORAL_ADDRESS;
        let webUrl: string | undefined;
        if (!temporalAddress) {
          const cliPath = await ensureTemporalCli((line) => say(line));
          say(
            `starting the Temporal dev server (state in ${path.relative(process.cwd(), config.dataDir) || '.'}/temporal.db)…`,
          );
          const server: DevServer = await startDevServer({
            cliPath,
            port: config.TEMPORAL_DEV_PORT,
            uiPort: config.TEMPORAL_UI_PORT,
            dbFilename: path.join(config.dataDir, 'temporal.db'),
            logFile: path.join(config.dataDir, 'temporal.log'),
            // A worker that schedules an activity may run it at once instead of through a poll round trip:
            // a run with nothing to do completes in about half the time (bench: noop vs noop-eager).
            dynamicConfig: { 'system.enableActivityEagerExecution': true },
          });
          stack.push('Temporal dev server', () => server.stop());
          restrictFiles(config.dataDir); // temporal.db and its log, created under the process umask
          temporalAddress = server.address;
          webUrl = server.uiUrl;
          logger.debug({ pid: server.pid }, 'temporal dev server started');
          say(`Temporal dev server pid ${server.pid}`);
        }

        let databaseUrl = config.DATABASE_URL;
        if (!config.databaseUrlExplicit && !(await answers(databaseUrl))) {
          // Nothing on the default address and no DATABASE_URL: run PostgreSQL embedded (PGlite), data under .data/pg.
          const dir = embeddedDataDir(config.dataDir);
          say(
            `no PostgreSQL answers at 127.0.0.1:5432 and DATABASE_URL is unset: starting the embedded PostgreSQL (data in ${path.relative(process.cwd(), dir) || dir})`,
          );
          const embedded = await startEmbeddedPostgres(dir, 54329).catch(() => startEmbeddedPostgres(dir, 0));
          stack.push('embedded PostgreSQL', () => embedded.stop());
          databaseUrl = embedded.url;
          say(`embedded PostgreSQL ready; other qbsync commands can use it with DATABASE_URL=${databaseUrl}`);
        }
        const db = await openDatabase(databaseUrl, {
          schema: config.dbSchema,
          create: databaseUrl === config.DATABASE_URL,
        });
        stack.push('database pool', () => db.destroy());
        const applied = await migrateToLatest(db);
        say(
          applied.length
            ? `database ready: applied ${applied.length} migration(s)`
            : 'database ready: schema up to date',
        );

        // With no Intuit app configured, the emulator stands in for QuickBooks and a demo tenant is connected to it.
        let demoTenant: string | undefined;
        if (wantsEmbeddedEmulator(config)) {
          const emulator = await startDemoEmulator(config, say);
          if (emulator) stack.push('QuickBooks emulator', () => emulator.close());
          demoTenant = await ensureDemoTenant(config, db, say);
        }

        const connection = await connectTemporalWorker(config, temporalAddress);
        stack.push('Temporal connection', () => connection.close());
        const worker: RunningWorker = await startWorker(config, db, connection, logger);
        stack.push('worker', () => worker.shutdown());

        const client = await connectTemporalClient(config, temporalAddress);
        stack.push('Temporal client', () => client.connection.close());
        const probe = await client.workflow.execute(checkWorker, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: `qbsync-check-${worker.identity}`,
          args: [worker.identity],
        });

        say(
          `worker ${worker.identity} is running on task queue "${config.TEMPORAL_TASK_QUEUE}" (schema ${probe.latestMigration})`,
        );
        say(`Temporal: ${temporalAddress}${webUrl ? `   Temporal Web: ${webUrl}` : ''}`);
        // With the embedded emulator, the console's "Connect to QuickBooks" comes back to this server's callback.
        const listen = apiListen(config);
        let servingConfig = config;
        if (demoTenant !== undefined && !config.QBO_REDIRECT_URI && listen.port) {
          const callback = `http://127.0.0.1:${listen.port}/oauth/callback`;
          await new EmulatorAdmin(`http://127.0.0.1:${config.EMULATOR_PORT}`).registerApp({
            ...DEMO_APP,
            redirectUris: [...DEMO_APP.redirectUris, callback],
          });
          servingConfig = { ...config, QBO_REDIRECT_URI: callback };
        }
        const serving = await startServing(servingConfig, db, logger, {
          ...listen,
          databaseUrl,
          temporal: async () => client,
          closeTemporal: false,
          temporalWebUrl: webUrl,
        });
        stack.push('API and event dispatcher', () => serving.stop());
        if (servingConfig !== config && !serving.api.url.endsWith(`:${listen.port}`))
          say(
            `port ${listen.port} was busy: "Connect to QuickBooks" in this console returns to port ${listen.port}; set QBSYNC_API_PORT to a free port`,
          );
        const firstUser = await ensureFirstOperator(db);
        if (firstUser)
          say(
            `console user "${firstUser.name}" created with password ${firstUser.password} (shown this once; change it with \`qbsync user add ${firstUser.name}\`)`,
          );
        say(
          `Console: ${serving.api.url}/console/${webUrl ? `   Temporal Web: ${webUrl}` : ''} (sign in as a user made with \`qbsync user add <name>\`)`,
        );
        say(
          `API: ${serving.api.url} (OpenAPI ${serving.api.url}/openapi.json; keys: \`qbsync apikey create <name> --tenant <id>\`)`,
        );
        if (demoTenant) {
          // "Synchronize All" through the tenant's coordinator, as the CLI and the schedule ask for it.
          say(`synchronizing tenant "${demoTenant}" (customers, items, taxes, invoices, payments)…`);
          const temporal = { client, taskQueue: config.TEMPORAL_TASK_QUEUE };
          const requestId = randomUUID();
          await requestSync(temporal, { tenantId: demoTenant, trigger: 'npm-start', requestId });
          const run = await follow(temporal, demoTenant, requestId, () => undefined);
          say(`sync ${run.outcome}:`);
          for (const line of summarize(run.steps, run.failure)) say(line);
          say(
            `next: \`qbsync status ${demoTenant}\`, \`qbsync sync ${demoTenant} --wait\`, \`qbsync history ${demoTenant}\``,
          );
        }
        // The QuickBooks Web Connector endpoint (QuickBooks Desktop / Reckon tenants), and its demo on the Desktop emulator.
        // On a busy port (another qbsync on this machine) the demo takes a free one, as the API does.
        const endpoint = await startWebConnectorEndpoint(config, db, logger, databaseUrl, client).catch(
          (error: NodeJS.ErrnoException) => {
            if (error.code !== 'EADDRINUSE') throw error;
            say(`port ${config.QBWC_PORT} is in use: the Web Connector endpoint listens on a free port instead`);
            return startWebConnectorEndpoint({ ...config, QBWC_PORT: 0 }, db, logger, databaseUrl, client);
          },
        );
        stack.push('Web Connector endpoint', () => endpoint.close());
        say(`Web Connector endpoint: ${endpoint.url}`);
        // QBSYNC_DESKTOP_DEMO=off leaves the Desktop demo out (its Web Connector visits take QuickBooks' own time).
        if (demoTenant && process.env.QBSYNC_DESKTOP_DEMO !== 'off') {
          const temporal = { client, taskQueue: config.TEMPORAL_TASK_QUEUE };
          const desktop = await runDesktopDemo(config, db, endpoint, temporal, say);
          stack.push('Web Connector simulator', () => desktop.close());
        }
        say('press Ctrl-C to stop');
        await Promise.race([stopRequested, worker.done]);
      } finally {
        say('stopping…');
        await stack.closeAll(say);
      }
    });
}
