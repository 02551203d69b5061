import type { Command } from 'commander';
import { renderQwc } from '../../activities/backends/quickbooks-desktop/connection';
import { commandContext } from '../context';
import { withDatabase } from './tenant';

/** The Web Connector endpoint's URL as the .qwc file names it. */
export function webConnectorUrl(config: ReturnType<typeof commandContext>['config']): string {
  if (config.QBWC_PUBLIC_URL) return config.QBWC_PUBLIC_URL;
  const scheme = config.QBWC_TLS_CERT ? 'https' : 'http';
  const host = config.QBWC_TLS_CERT ? config.QBWC_HOST : 'localhost';
  return `${scheme}://${host}:${config.QBWC_PORT}/qbwc`;
}

export function registerQwc(program: Command): void {
  program
    .command('qwc <tenant>')
    .description('print the .qwc file to add to the QuickBooks Web Connector (qbsync qwc shop > shop.qwc)')
    .option('--url <url>', 'the endpoint URL the Web Connector calls (default QBWC_PUBLIC_URL)')
    .action(async (tenant: string, options: { url?: string }) => {
      const { config } = commandContext();
      const url = options.url ?? webConnectorUrl(config);
      process.stdout.write(await withDatabase((db) => renderQwc(db, tenant, url)));
    });
}
