import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_APP, DEMO_REALM_ID, startEmulator } from '../../emulator';
import { untilSignal } from '../context';

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description("run the QuickBooks Online + Intuit OAuth emulator (Intuit's paths and wire format) until Ctrl-C")
    .option('--port <port>', 'port to listen on', '8910')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <seed>', 'demo (a demo company and app) or empty', 'demo')
    .option('--state <file>', 'load state from this JSON file at start and save it there at exit')
    .option(
      '--limits <limits>',
      'production (500 req/min, 10 concurrent, 40 batches/min per realm) or off',
      'production',
    )
    .option('--time-scale <n>', 'divide the limits window (a minute) by this factor, for benchmarks', '1')
    .action(
      async (options: {
        port: string;
        host: string;
        seed: string;
        state?: string;
        limits: string;
        timeScale: string;
      }) => {
        if (options.seed !== 'demo' && options.seed !== 'empty')
          throw new Error(`--seed must be demo or empty, not ${options.seed}`);
        if (options.limits !== 'production' && options.limits !== 'off')
          throw new Error(`--limits must be production or off, not ${options.limits}`);
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port must be a port number, not ${options.port}`);
        const timeScale = Number(options.timeScale);
        if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, not ${options.timeScale}`);
        const running = await startEmulator({
          port,
          host: options.host,
          seed: options.seed,
          stateFile: options.state ? path.resolve(options.state) : undefined,
          limits: options.limits,
          timeScale,
        });
        console.log(
          `QuickBooks emulator listening at ${running.url} (limits ${options.limits}${timeScale !== 1 ? `, time scale ${timeScale}` : ''})`,
        );
        // The demo app's secret is a fixed development value (emulator/options.ts); it is not printed, like any secret.
        if (options.seed === 'demo')
          console.log(
            `demo company realm ${DEMO_REALM_ID}; OAuth client id ${DEMO_APP.clientId}, redirect ${DEMO_APP.redirectUris[0]}`,
          );
        await untilSignal();
        await running.close();
        if (options.state) console.log(`state saved to ${path.resolve(options.state)}`);
      },
    );
}
