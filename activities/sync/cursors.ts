import type { Db, Trx } from './backend';
import type { EntityName } from './model';

/** The pull cursor of one entity: where reading QuickBooks' changes resumes. Committed with the page it ends. */
export async function readCursor(db: Db | Trx, tenantId: string, entity: EntityName): Promise<unknown> {
  const row = await db
    .selectFrom('sync_cursors')
    .select('state')
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .executeTakeFirst();
  return row?.state ?? null;
}

export async function writeCursor(
  trx: Trx,
  tenantId: string,
  entity: EntityName,
  state: unknown,
  at: Date,
): Promise<void> {
  const json = JSON.stringify(state);
  await trx
    .insertInto('sync_cursors')
    .values({ tenant_id: tenantId, entity, state: json, updated_at: at })
    .onConflict((oc) => oc.columns(['tenant_id', 'entity']).doUpdateSet({ state: json, updated_at: at }))
    .execute();
}
