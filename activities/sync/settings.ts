import { sql } from 'kysely';
import type { ConflictPolicy, OnRecordError, SyncMode } from './model';
import { orderTakingSettings, type OrderTakingSettings } from './orderTaking/settings';
import type { BackendId, Db } from './backend';
import { parseSettings, SettingsError, tenantSettingsSchema, type TenantSettings } from '../connection/tenantSettings';

/** The accounts items get in QuickBooks Online unless the app names one (setting `accounts.*`). */
export type ItemAccountSettings = TenantSettings['accounts'];

/** A tenant's item account settings with their documented defaults (unset or invalid values fall back to them). */
export function itemAccountSettings(raw: unknown): ItemAccountSettings {
  const schema = tenantSettingsSchema.shape.accounts;
  const parsed = schema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : schema.parse({});
}

export interface SyncSettings {
  conflictPolicy: ConflictPolicy;
  onRecordError: OnRecordError;
  /** Runs a record may wait for a dependency (deferred) before it fails the run. */
  deferRuns: number;
  /** A linked record the backend no longer has: reported (`stop`) or created again (`recreate`). */
  onVanished: 'stop' | 'recreate';
  mode: SyncMode;
  backend: BackendId;
  orderTaking: OrderTakingSettings;
  accounts: ItemAccountSettings;
}

/**
 * The tenant's sync policies (tenant settings, with the documented defaults). With `runId`, the mode is the one that
 * run started in, so a mode changed meanwhile takes effect from the next run.
 */
export async function readSyncSettings(db: Db, tenantId: string, runId?: string): Promise<SyncSettings> {
  const row = await sql<{ settings: Record<string, unknown> | null; mode: SyncMode; backend: BackendId }>`
    select t.settings, coalesce(r.mode, t.mode) as mode, t.backend
    from tenants t left join sync_runs r on r.id = ${runId ?? ''} and r.tenant_id = t.id
    where t.id = ${tenantId}`.execute(db);
  if (row.rows.length === 0)
    throw new UnknownTenantError(`tenant ${tenantId} does not exist: add it with \`qbsync tenant add ${tenantId}\``);
  const { settings, mode, backend } = row.rows[0];
  const s = settings ?? {};
  // Settings written around the CLI and API (by SQL) are checked here too: a misspelt key or value would otherwise
  // fall back to a default silently — `conflictPolicy: "app-win"` would run as quickbooks-wins.
  try {
    parseSettings(s);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw new SettingsError(
      `tenant ${tenantId}: its stored settings are invalid: ${error.message}; correct them with \`qbsync tenant set ${tenantId} key=value\` or PATCH /v1/tenants/${tenantId}/settings (a key set to null is removed), then run the sync again`,
    );
  }
  const policy = s.conflictPolicy;
  const onError = s.onRecordError;
  return {
    // In order-taking mode QuickBooks is the master of everything that comes from it; the policy has no say.
    conflictPolicy:
      mode === 'order-taking'
        ? 'quickbooks-wins'
        : policy === 'app-wins' || policy === 'latest-wins'
          ? policy
          : 'quickbooks-wins',
    onRecordError: onError === 'skip' ? 'skip' : 'stop',
    onVanished: s.onVanished === 'recreate' ? 'recreate' : 'stop',
    deferRuns: Number.isInteger(s.deferRuns) && (s.deferRuns as number) >= 0 ? (s.deferRuns as number) : 3,
    mode,
    backend,
    orderTaking: orderTakingSettings(s.orderTaking),
    accounts: itemAccountSettings(s.accounts),
  };
}

export class UnknownTenantError extends Error {
  override name = 'UnknownTenantError';
}
