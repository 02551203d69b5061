import type { Command } from 'commander';
import { addTenant, getTenant, listTenants, setTenant, TenantError } from '../../activities/connection/tenants';
import { describeConnection, type ConnectionHealth } from '../../activities/connection/tokenStore';
import type { Db } from '../../schema/db';
import { migrateToLatest } from '../../schema/migrate';
import { commandContext, openDatabase } from '../context';
import { ensureScheduleFromCli } from '../ensureSchedule';
import { addDesktopConnection, setDesktopPassword } from '../../activities/backends/quickbooks-desktop/connection';
import { readPassword } from '../password';

/** Opens the configured database at the latest schema, runs `work`, and closes it. */
export async function withDatabase<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const { config } = commandContext();
  const db = await openDatabase(config.DATABASE_URL);
  try {
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.destroy();
  }
}

async function health(db: Db, tenantId: string): Promise<ConnectionHealth> {
  const row = await db.selectFrom('qbo_connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row)
    return {
      tenantId,
      status: 'not-connected',
      warnings: [`not connected to QuickBooks: run \`qbsync connect ${tenantId}\``],
    };
  return describeConnection(row, new Date());
}

const date = (d: Date | null | undefined) => (d ? d.toISOString() : '-');

export function registerTenant(program: Command): void {
  const tenant = program
    .command('tenant')
    .description('manage tenants: app accounts, each linked to one QuickBooks company');

  tenant
    .command('add <id>')
    .description('add a tenant (id: lowercase letters, digits and dashes)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--mode <mode>', 'billing or order-taking', 'billing')
    .option(
      '--backend <backend>',
      'quickbooks-online or quickbooks-desktop (QuickBooks Desktop / Reckon)',
      'quickbooks-online',
    )
    .option('--flavour <flavour>', 'Desktop only: quickbooks or reckon', 'quickbooks')
    .option('--password-stdin', 'Desktop only: read the Web Connector password from stdin instead of asking')
    .action(
      async (
        id: string,
        options: { name?: string; mode: string; backend: string; flavour: string; passwordStdin?: boolean },
      ) => {
        if (options.mode !== 'billing' && options.mode !== 'order-taking')
          throw new TenantError(`--mode must be billing or order-taking, not ${options.mode}`);
        if (options.backend !== 'quickbooks-online' && options.backend !== 'quickbooks-desktop')
          throw new TenantError(`--backend must be quickbooks-online or quickbooks-desktop, not ${options.backend}`);
        if (options.flavour !== 'quickbooks' && options.flavour !== 'reckon')
          throw new TenantError(`--flavour must be quickbooks or reckon, not ${options.flavour}`);
        const { mode, backend, flavour } = options;
        const desktop = backend === 'quickbooks-desktop';
        // Asked before anything is written, so a cancelled prompt leaves no half-made tenant.
        const password = desktop ? await readPassword(options.passwordStdin) : undefined;
        const { config } = commandContext();
        await withDatabase(async (db) => {
          const added = await addTenant(db, { id, name: options.name, mode, backend });
          if (desktop) {
            await addDesktopConnection(db, added.id, flavour);
            await setDesktopPassword(db, added.id, password!);
            console.log(
              `added tenant ${added.id} (${added.name}, ${added.mode}, ${flavour === 'reckon' ? 'Reckon Accounts' : 'QuickBooks Desktop'}); write its Web Connector file with: qbsync qwc ${added.id} > ${added.id}.qwc`,
            );
          } else
            console.log(
              `added tenant ${added.id} (${added.name}, ${added.mode}); connect it to QuickBooks with: qbsync connect ${added.id}`,
            );
          const schedule = await ensureScheduleFromCli(config, db, added.id);
          if (schedule) console.log(schedule);
        });
      },
    );

  tenant
    .command('password <id>')
    .description('set the Web Connector password of a QuickBooks Desktop tenant (asked without echo; stored hashed)')
    .option('--stdin', 'read the password from stdin')
    .action(async (id: string, options: { stdin?: boolean }) => {
      const password = await readPassword(options.stdin);
      await withDatabase((db) => setDesktopPassword(db, id, password));
      console.log(`the Web Connector password of ${id} is set; enter the same one in the Web Connector`);
    });

  tenant
    .command('list')
    .description('list tenants with their QuickBooks connection status')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withDatabase(async (db) =>
        Promise.all((await listTenants(db)).map(async (t) => ({ ...t, connection: await health(db, t.id) }))),
      );
      if (options.json) {
        console.log(
          JSON.stringify(
            rows.map(({ settings: _settings, ...t }) => t),
            null,
            2,
          ),
        );
        return;
      }
      if (rows.length === 0) {
        console.log('no tenants yet: add one with `qbsync tenant add <id>`');
        return;
      }
      for (const t of rows)
        console.log(
          `${t.id}\t${t.name}\t${t.mode}\t${t.connection.status}${t.connection.realmId ? `\trealm ${t.connection.realmId}` : ''}${t.connection.warnings.length ? '\t(!)' : ''}`,
        );
    });

  tenant
    .command('show <id>')
    .description('show a tenant, its settings and its connection (never its tokens)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const shown = await withDatabase(async (db) => ({
        ...(await getTenant(db, id)),
        connection: await health(db, id),
      }));
      if (options.json) {
        console.log(JSON.stringify(shown, null, 2));
        return;
      }
      const c = shown.connection;
      console.log(`tenant ${shown.id}: ${shown.name} (${shown.mode})`);
      console.log(`QuickBooks: ${c.status}${c.realmId ? `, realm ${c.realmId} (${c.environment})` : ''}`);
      if (c.realmId) {
        console.log(`  connected at              ${date(c.connectedAt)}`);
        console.log(`  last refreshed at         ${date(c.lastRefreshedAt)}`);
        console.log(`  access token expires      ${date(c.accessTokenExpiresAt)}`);
        console.log(`  refresh token expires     ${date(c.refreshTokenExpiresAt)}`);
        console.log(`  authorisation ends (5 y)  ${date(c.refreshTokenHardExpiresAt)}`);
      }
      for (const warning of c.warnings) console.log(`warning: ${warning}`);
      console.log('settings:');
      console.log(JSON.stringify(shown.settings, null, 2).replace(/^/gm, '  '));
    });

  tenant
    .command('set <id> <pairs...>')
    .description(
      'change name, mode or settings: key=value pairs, dotted keys, JSON values (e.g. schedule.times=\'["23:00"]\')',
    )
    .action(async (id: string, pairs: string[]) => {
      const { config } = commandContext();
      await withDatabase(async (db) => {
        const updated = await setTenant(db, id, pairs);
        console.log(
          `updated tenant ${updated.id}: ${pairs.map((p) => p.slice(0, p.indexOf('=') > 0 ? p.indexOf('=') : undefined)).join(', ')}`,
        );
        // Times, time zone and on/off live in the tenant's settings; its Temporal Schedule follows them.
        if (pairs.some((p) => p.startsWith('schedule'))) {
          const schedule = await ensureScheduleFromCli(config, db, updated.id);
          if (schedule) console.log(schedule);
        }
      });
    });
}
