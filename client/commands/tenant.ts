import type { Command } from 'commander';
import { addTenant, getTenant, listTenants, setTenant, TenantError } from '../../activities/connection/tenants';
import { cipherFromConfig } from '../../activities/connection/crypto';
import {
  checkWebhookSecret,
  clearWebhookSecret,
  hasWebhookSecret,
  storeWebhookSecret,
} from '../../activities/connection/tenantSecrets';
import { describeConnection, type ConnectionHealth } from '../../activities/connection/tokenStore';
import { checkWebhookUrl, parseAllowHosts } from '../../activities/notifications/webhookPolicy';
import { legacySecretRefMessage, SettingsError } from '../../activities/connection/tenantSettings';
import { readSecret } from '../secretInput';
import { quoteIdentifier, schemaOf, type Db } from '../../schema/db';
import type { Config } from '../../workers/config';
import { migrateToLatest } from '../../schema/migrate';
import { sql } from 'kysely';
import { commandContext, openDatabase, redactUrl, StartupError } from '../context';
import { ensureScheduleFromCli } from '../ensureSchedule';
import { addDesktopConnection, setDesktopPassword } from '../../activities/backends/quickbooks-desktop/connection';
import { readPassword } from '../password';

/**
 * Opens the configured database, brings a qbsync schema up to date, runs `work`, and closes it. A database without
 * qbsync's schema (a mistyped DATABASE_URL naming some other database) is refused, never initialised: that is
 * `qbsync migrate`'s job.
 */
export async function withDatabase<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const { config } = commandContext();
  const db = await openDatabase(config.DATABASE_URL, { schema: config.dbSchema });
  try {
    const { rows } = await sql<{
      found: string | null;
    }>`select coalesce(to_regclass(${`${quoteIdentifier(schemaOf(db))}.kysely_migration`}), to_regclass('public.kysely_migration'))::text as found`.execute(
      db,
    );
    if (!rows[0]?.found)
      throw new StartupError(
        `the database at DATABASE_URL=${redactUrl(config.DATABASE_URL)} has no qbsync schema: check DATABASE_URL, or run \`qbsync migrate\` to set this database up`,
      );
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** The id of the configured encryption key, when one is configured (it is not needed to list tenants). */
export function currentKeyVersion(config: Config): string | undefined {
  try {
    return cipherFromConfig(config).keyVersion;
  } catch {
    return undefined;
  }
}

export async function health(db: Db, tenantId: string, keyVersion?: string): Promise<ConnectionHealth> {
  const row = await db.selectFrom('qbo_connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row)
    return {
      tenantId,
      status: 'not-connected',
      warnings: [`not connected to QuickBooks: run \`qbsync connect ${tenantId}\``],
    };
  return describeConnection(row, new Date(), keyVersion);
}

const date = (d: Date | null | undefined) => (d ? d.toISOString() : '-');

/** A webhook URL being set must pass the policy the worker applies (https, or http to an allowed host). */
export function checkWebhookTarget(pairs: string[], allowHosts: string | undefined): void {
  for (const pair of pairs) {
    if (!pair.startsWith('notifications.webhookUrl=')) continue;
    let value: unknown = pair.slice(pair.indexOf('=') + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      // a bare URL
    }
    if (typeof value !== 'string') continue; // the settings' own validation names it
    try {
      checkWebhookUrl(value, parseAllowHosts(allowHosts));
    } catch (error) {
      throw new SettingsError(`setting notifications.webhookUrl is invalid: ${(error as Error).message}`);
    }
  }
}

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
      const key = currentKeyVersion(commandContext().config);
      const rows = await withDatabase(async (db) =>
        Promise.all((await listTenants(db)).map(async (t) => ({ ...t, connection: await health(db, t.id, key) }))),
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
      for (const t of rows) {
        console.log(
          `${t.id}\t${t.name}\t${t.mode}\t${t.connection.status}${t.connection.realmId ? `\trealm ${t.connection.realmId}` : ''}${t.connection.warnings.length ? '\t(!)' : ''}`,
        );
        for (const warning of t.connection.warnings) console.log(`  warning: ${warning}`);
      }
    });

  tenant
    .command('show <id>')
    .description('show a tenant, its settings and its connection (never its tokens)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const shown = await withDatabase(async (db) => ({
        ...(await getTenant(db, id)),
        connection: await health(db, id, currentKeyVersion(commandContext().config)),
        webhookSecret: await hasWebhookSecret(db, id),
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
      if (shown.settings.notifications.webhookUrl || shown.webhookSecret)
        console.log(
          `webhook secret: ${shown.webhookSecret ? 'stored (encrypted)' : 'none: webhook posts fail until one is stored'}`,
        );
      if (shown.settings.notifications.webhookSecretRef !== undefined)
        console.log(`warning: ${legacySecretRefMessage(shown.id)}`);
      console.log('settings:');
      console.log(JSON.stringify(shown.settings, null, 2).replace(/^/gm, '  '));
    });

  tenant
    .command('set <id> [pairs...]')
    .description(
      'change name, mode or settings: key=value pairs, dotted keys, JSON values (e.g. schedule.times=\'["23:00"]\')',
    )
    .option('--webhook-secret', 'store the webhook signing secret, read from stdin (typed without echo), encrypted')
    .option('--clear-webhook-secret', 'forget the stored webhook signing secret (webhook posts then stop)')
    .action(async (id: string, pairs: string[], options: { webhookSecret?: boolean; clearWebhookSecret?: boolean }) => {
      const { config } = commandContext();
      if (options.webhookSecret && options.clearWebhookSecret)
        throw new TenantError('--webhook-secret and --clear-webhook-secret exclude each other');
      if (pairs.length === 0 && !options.webhookSecret && !options.clearWebhookSecret)
        throw new TenantError('nothing to set: give key=value pairs, --webhook-secret or --clear-webhook-secret');
      const secret = options.webhookSecret
        ? checkWebhookSecret(await readSecret(`webhook secret for tenant ${id} (not echoed): `))
        : undefined;
      const cipher = secret !== undefined ? cipherFromConfig(config) : undefined;
      checkWebhookTarget(pairs, config.QBSYNC_WEBHOOK_ALLOW_HOSTS);
      await withDatabase(async (db) => {
        // The secret replaces the legacy environment-variable reference, in one step.
        const dropLegacySecretRef = Boolean(options.webhookSecret || options.clearWebhookSecret);
        const updated = await setTenant(db, id, pairs, { dropLegacySecretRef });
        if (secret !== undefined) await storeWebhookSecret(db, cipher!, id, secret);
        if (options.clearWebhookSecret) await clearWebhookSecret(db, id);
        const changed = pairs.map((p) => p.slice(0, p.indexOf('=') > 0 ? p.indexOf('=') : undefined));
        if (secret !== undefined) changed.push('webhook secret (stored encrypted)');
        if (options.clearWebhookSecret) changed.push('webhook secret (removed)');
        console.log(`updated tenant ${updated.id}: ${changed.join(', ')}`);
        // Times, time zone and on/off live in the tenant's settings; its Temporal Schedule follows them.
        if (pairs.some((p) => p.startsWith('schedule'))) {
          const schedule = await ensureScheduleFromCli(config, db, updated.id);
          if (schedule) console.log(schedule);
        }
      });
    });
}
