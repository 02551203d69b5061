import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseQwc, startDesktopEmulator, type SeedName } from '../../emulator/desktop';
import { untilSignal } from '../context';

interface Options {
  qwc?: string;
  url?: string;
  user?: string;
  password?: string;
  seed: string;
  every?: string;
  timeScale: string;
  state?: string;
  port: string;
  host: string;
  latency: string;
}

export function registerDesktopEmulator(program: Command): void {
  program
    .command('desktop-emulator')
    .description(
      'run a QuickBooks Desktop/Reckon company and a Web Connector simulator that calls your QBWC web service, until Ctrl-C',
    )
    .option('--qwc <file>', 'the .qwc file to add to the Web Connector (AppURL, UserName, Scheduler)')
    .option('--url <url>', "the web service's URL (instead of --qwc)")
    .option('--user <user>', 'the user name the Web Connector authenticates with (instead of --qwc)')
    .option(
      '--password <password>',
      'the password the Web Connector sends (QBWC_PASSWORD in the environment also works)',
    )
    .option('--seed <seed>', 'salesin (US), reckon (AU, GST) or empty', 'salesin')
    .option('--every <minutes>', "minutes between Web Connector runs (default: the .qwc's RunEveryNMinutes, else 1)")
    .option('--time-scale <k>', 'divide every wait (latency, NoOp pauses, the schedule) by k', '1')
    .option('--state <file>', 'load the company from this JSON file at start and save it there at exit')
    .option('--port <port>', 'port for the admin API (/_emulator); 0 = any free port', '0')
    .option('--host <host>', 'address for the admin API', '127.0.0.1')
    .option('--latency <model>', "realistic (QuickBooks' own pace) or none", 'realistic')
    .action(async (options: Options) => {
      const seed = options.seed as SeedName;
      if (!['salesin', 'reckon', 'empty'].includes(seed))
        throw new Error(`--seed must be salesin, reckon or empty, not ${seed}`);
      if (options.latency !== 'realistic' && options.latency !== 'none')
        throw new Error(`--latency must be realistic or none, not ${options.latency}`);
      const timeScale = Number(options.timeScale);
      if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, not ${options.timeScale}`);
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be a port number, not ${options.port}`);
      const every = options.every === undefined ? undefined : Number(options.every);
      if (every !== undefined && !(every > 0))
        throw new Error(`--every must be a positive number of minutes, not ${options.every}`);
      if (options.qwc && options.url) throw new Error('give either --qwc or --url, not both');
      const qwc = options.qwc ? parseQwc(fs.readFileSync(path.resolve(options.qwc), 'utf8')) : undefined;
      if (options.url && !options.user) throw new Error('--url needs --user');
      const password = options.password ?? process.env.QBWC_PASSWORD;
      const connect = qwc || options.url;
      if (connect && password === undefined) throw new Error('the Web Connector needs --password (or QBWC_PASSWORD)');
      const running = await startDesktopEmulator({
        port,
        host: options.host,
        seed,
        statePath: options.state ? path.resolve(options.state) : undefined,
        timeScale,
        latency: options.latency as 'realistic' | 'none',
        webConnector: connect
          ? { qwc, url: options.url, user: options.user, password: password!, everyMinutes: every }
          : undefined,
      });
      const info = running.company.data.info;
      console.log(
        `QuickBooks Desktop emulator admin API at ${running.url}/_emulator (${info.companyName}, qbXML ${info.maxVersion})`,
      );
      if (running.connector) {
        const c = running.connector;
        console.log(
          `Web Connector calling ${c.url} as ${c.user} every ${c.everyMinutes} min${timeScale !== 1 ? ` (time scale ${timeScale})` : ''}`,
        );
        c.options.onRun = (t) =>
          console.log(
            `run ${t.run}: ${t.outcome}, ${t.documents} request(s)${t.shown.length ? ` — ${t.shown.join(' / ')}` : ''}`,
          );
        c.start();
      } else console.log('no --qwc or --url: the company answers qbXML at POST /_emulator/qbxml only');
      await untilSignal();
      await running.close();
      if (options.state) console.log(`state saved to ${path.resolve(options.state)}`);
    });
}
