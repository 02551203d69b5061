import { sql } from 'kysely';
import type { ConflictPolicy, OnRecordError } from './model';
import type { Db } from './side';

export interface SyncSettings {
  conflictPolicy: ConflictPolicy;
  onRecordError: OnRecordError;
}

/** The tenant's sync policies (tenant settings, with the documented defaults). */
export async function readSyncSettings(db: Db, tenantId: string): Promise<SyncSettings> {
  const row = await sql<{ settings: Record<string, unknown> | null }>`select settings from tenants where id = ${tenantId}`.execute(db);
  if (row.rows.length === 0) throw new UnknownTenantError(`tenant ${tenantId} does not exist: add it with \`qbsync tenant add ${tenantId}\``);
  const s = row.rows[0].settings ?? {};
  const policy = s.conflictPolicy;
  const onError = s.onRecordError;
  return {
    conflictPolicy: policy === 'app-wins' || policy === 'latest-wins' ? policy : 'quickbooks-wins',
    onRecordError: onError === 'skip' ? 'skip' : 'stop',
  };
}

export class UnknownTenantError extends Error {
  override name = 'UnknownTenantError';
}
