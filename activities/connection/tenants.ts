import type { Db } from '../../schema/db';
import {
  applySettingPairs,
  legacySecretRefMessage,
  parseSettings,
  SettingsError,
  type TenantSettings,
} from './tenantSettings';

export interface Tenant {
  id: string;
  name: string;
  mode: 'billing' | 'order-taking';
  settings: TenantSettings;
}

export class TenantError extends Error {
  override name = 'TenantError';
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export async function addTenant(
  db: Db,
  input: {
    id: string;
    name?: string;
    mode?: 'billing' | 'order-taking';
    settings?: unknown;
    backend?: 'quickbooks-online' | 'quickbooks-desktop';
  },
): Promise<Tenant> {
  if (!ID.test(input.id))
    throw new TenantError(`tenant id "${input.id}" is invalid: use lowercase letters, digits and dashes (at most 63)`);
  if (input.mode && input.mode !== 'billing' && input.mode !== 'order-taking')
    throw new TenantError(`mode "${String(input.mode)}" is invalid: billing or order-taking`);
  if (input.backend === 'quickbooks-desktop' && input.mode !== 'order-taking')
    throw new TenantError(
      `tenant ${input.id}: billing mode is not available on QuickBooks Desktop / Reckon yet; add the tenant with --mode order-taking`,
    );
  const settings = parseSettings(input.settings ?? {});
  if (settings.notifications.webhookSecretRef !== undefined) throw new SettingsError(legacySecretRefMessage(input.id));
  const inserted = await db
    .insertInto('tenants')
    .values({
      id: input.id,
      name: input.name ?? input.id,
      mode: input.mode ?? 'billing',
      backend: input.backend ?? 'quickbooks-online',
      settings: JSON.stringify(settings),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) throw new TenantError(`tenant ${input.id} already exists`);
  return { id: inserted.id, name: inserted.name, mode: inserted.mode, settings };
}

export async function getTenant(db: Db, id: string): Promise<Tenant> {
  const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new TenantError(`tenant ${id} does not exist: add it with \`qbsync tenant add ${id}\``);
  return { id: row.id, name: row.name, mode: row.mode, settings: parseSettings(row.settings) };
}

export async function listTenants(db: Db): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, mode: r.mode, settings: parseSettings(r.settings) }));
}

/** `key=value` pairs: `name`, `mode`, or settings by dotted path (e.g. `schedule.times=["23:00"]`). */
export async function setTenant(
  db: Db,
  id: string,
  pairs: string[],
  options: { dropLegacySecretRef?: boolean } = {},
): Promise<Tenant> {
  const tenant = await getTenant(db, id);
  const own = pairs.filter((p) => /^(name|mode)=/.test(p));
  const rest = pairs.filter((p) => !/^(name|mode)=/.test(p));
  let name = tenant.name;
  let mode = tenant.mode;
  for (const p of own) {
    const value = p.slice(p.indexOf('=') + 1);
    if (p.startsWith('name=')) name = value;
    else if (value === 'billing' || value === 'order-taking') mode = value;
    else throw new SettingsError(`mode "${value}" is invalid: billing or order-taking`);
  }
  const settings = applySettingPairs(tenant.settings, rest, { tenantId: id, ...options });
  if (mode === 'billing') {
    const row = await db.selectFrom('tenants').select('backend').where('id', '=', id).executeTakeFirst();
    if (row?.backend === 'quickbooks-desktop')
      throw new TenantError(
        `tenant ${id}: billing mode is not available on QuickBooks Desktop / Reckon yet; keep mode=order-taking`,
      );
  }
  await db
    .updateTable('tenants')
    .set({ name, mode, settings: JSON.stringify(settings), updated_at: new Date() })
    .where('id', '=', id)
    .execute();
  return { id, name, mode, settings };
}
