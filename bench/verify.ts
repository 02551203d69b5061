import type { Db } from '../schema/db';
import type { BenchQuickBooks } from './harness';

const ENTITIES = [
  ['customer', 'customers', 'Customer'],
  ['item', 'items', 'Item'],
  ['invoice', 'invoices', 'Invoice'],
  ['payment', 'payments', 'Payment'],
] as const;

/** A quick check that a run left one copy of everything: per entity, app rows = QuickBooks records = links. */
export async function countsAgree(
  db: Db,
  qb: BenchQuickBooks,
  tenantId: string,
  realmId: string,
): Promise<{ ok: boolean; detail: Record<string, [number, number, number]> }> {
  const detail: Record<string, [number, number, number]> = {};
  let ok = true;
  for (const [entity, table, qboEntity] of ENTITIES) {
    const app = Number(
      (
        await db
          .selectFrom(table)
          .select(db.fn.countAll().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const links = Number(
      (
        await db
          .selectFrom('sync_links')
          .select(db.fn.countAll().as('n'))
          .where('tenant_id', '=', tenantId)
          .where('entity', '=', entity)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const qbo = (await qb.admin.entities(realmId, qboEntity)).length;
    detail[entity] = [app, qbo, links];
    if (app !== qbo || qbo !== links) ok = false;
  }
  return { ok, detail };
}
