import type { AppEntity, AppRow } from '../entity';
import { decimal } from './common';

/**
 * A price level (QuickBooks Desktop): a fixed percentage over every item's price, or prices per item (a custom price,
 * or a percentage of the item's price). QuickBooks is their master: they flow into the app only.
 */
export interface PriceLevelRecord {
  name: string;
  kind: 'fixed-percentage' | 'per-item';
  /** Fixed percentage (e.g. "-10.00000" for 10% off); null for per-item levels. */
  percent: string | null;
  /** Per-item prices, by app item id ascending: a custom unit price or a percentage of the item's price. */
  items: Array<{ itemId: number; unitPrice: string | null; percent: string | null }>;
  active: boolean;
}

export const priceLevelMapping: AppEntity<PriceLevelRecord> = {
  entity: 'price_level',
  step: 'items',
  pull: true,
  push: false,
  label: (c) => (c ? `price level "${c.name}"` : 'price level'),
  appRefs: (c) => c.items.map((i) => ({ entity: 'item' as const, id: i.itemId })),

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('price_levels')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    const items = rows.length
      ? await db
          .selectFrom('price_level_items')
          .selectAll()
          .where(
            'price_level_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('item_id')
          .execute()
      : [];
    return new Map(
      rows.map((r): [number, AppRow<PriceLevelRecord>] => [
        r.id,
        {
          canonical: {
            name: r.name,
            kind: r.kind,
            percent: decimal(r.percent),
            items: items
              .filter((i) => i.price_level_id === r.id)
              .map((i) => ({ itemId: i.item_id, unitPrice: decimal(i.unit_price), percent: decimal(i.percent) })),
            active: r.active,
          },
          removed: r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  /** Names are unique per tenant: a level the app already has under the name is the same level. */
  async matchApp(db, tenantId, records) {
    if (records.length === 0) return [];
    const rows = await db
      .selectFrom('price_levels')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where(
        'name',
        'in',
        records.map((r) => r.name),
      )
      .execute();
    return records.map((r) => rows.find((x) => x.name === r.name)?.id);
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = { name: c.name, kind: c.kind, percent: c.percent, active: c.active, updated_at: new Date() };
    let id = appId;
    if (id === undefined)
      id = (
        await trx
          .insertInto('price_levels')
          .values({ tenant_id: tenantId, ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    else
      await trx
        .updateTable('price_levels')
        .set(values)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    await trx.deleteFrom('price_level_items').where('price_level_id', '=', id).execute();
    if (c.items.length)
      await trx
        .insertInto('price_level_items')
        .values(
          c.items.map((i) => ({ price_level_id: id!, item_id: i.itemId, unit_price: i.unitPrice, percent: i.percent })),
        )
        .execute();
    return id;
  },

  async removeApp(trx, tenantId, appId) {
    await trx
      .updateTable('price_levels')
      .set({ active: false })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};
