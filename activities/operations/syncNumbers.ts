import { sql } from 'kysely';
import type { Db } from '../../schema/db';

/**
 * The highest run number among the tenant's coordinator-started runs (`qbsync:<tenant>:sync:<n>`), so a coordinator
 * started afresh (after being terminated) goes on counting instead of reusing the ids of earlier runs.
 */
export async function lastSyncNumber(db: Db, tenantId: string): Promise<number> {
  const prefix = `qbsync:${tenantId}:sync:`;
  const { rows } = await sql<{ n: number | null }>`
    select max(substring(workflow_id from ${prefix.length + 1})::bigint) as n
    from sync_runs
    where tenant_id = ${tenantId} and starts_with(workflow_id, ${prefix}) and substring(workflow_id from ${prefix.length + 1}) ~ '^[0-9]{1,15}$'`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}
