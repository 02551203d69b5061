import { sql } from 'kysely';
import type { ItemType } from '../../../schema/tables/app';
import type { AppEntity, AppRow } from '../entity';
import { allocateIds, decimal, insertRows, text, updateRows } from './common';

export interface ItemRecord {
  type: ItemType;
  name: string;
  sku: string | null;
  description: string | null;
  unitPrice: string | null;
  /**
   * The item's income account in QuickBooks by name (or full name, or account number; a QuickBooks Id still works);
   * null: the tenant's `accounts.income`. QuickBooks' answer brings the account's name back.
   */
  incomeAccount: string | null;
  taxable: boolean;
  parentId: number | null;
  /** Inventory only; QuickBooks is its master (changed there by purchases, sales and adjustments). */
  quantityOnHand: string | null;
  active: boolean;
}

export const itemMapping: AppEntity<ItemRecord> = {
  entity: 'item',
  step: 'items',
  pull: true,
  push: true,
  label: (c) => (c ? `item "${c.name}"` : 'item'),

  appRefs: (c) => (c.parentId ? [{ entity: 'item', id: c.parentId }] : []),

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('items')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r): [number, AppRow<ItemRecord>] => [
        r.id,
        {
          canonical: {
            type: r.type,
            name: r.name.trim(),
            sku: text(r.sku),
            description: text(r.description),
            unitPrice: r.type === 'Category' ? null : decimal(r.unit_price ?? '0'),
            incomeAccount: text(r.income_account),
            taxable: r.taxable,
            parentId: r.parent_id,
            quantityOnHand: r.type === 'Inventory' ? decimal(r.quantity_on_hand ?? '0') : null,
            active: r.active,
          },
          removed: r.status === 'deleted' ? 'deleted' : r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  async matchApp(db, tenantId, records) {
    if (records.length === 0) return [];
    const names = [...new Set(records.map((r) => r.name.toLowerCase()))];
    const skus = [...new Set(records.map((r) => r.sku).filter((s): s is string => !!s))];
    const rows = await db
      .selectFrom('items as i')
      .select(['i.id', 'i.name', 'i.sku'])
      .where('i.tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb(sql`lower(i.name)`, 'in', names), ...(skus.length ? [eb('i.sku', 'in', skus)] : [])]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_links as l')
              .select('l.app_id')
              .whereRef('l.app_id', '=', 'i.id')
              .where('l.entity', '=', 'item')
              .where('l.tenant_id', '=', tenantId),
          ),
        ),
      )
      .orderBy('i.id')
      .execute();
    const taken = new Set<number>();
    return records.map((r) => {
      const hit =
        rows.find((x) => !taken.has(x.id) && x.name.trim().toLowerCase() === r.name.toLowerCase()) ??
        (r.sku ? rows.find((x) => !taken.has(x.id) && x.sku === r.sku) : undefined);
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = itemValues(c);
    if (appId === undefined) {
      const row = await trx
        .insertInto('items')
        .values({ tenant_id: tenantId, ...values })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    await trx.updateTable('items').set(values).where('tenant_id', '=', tenantId).where('id', '=', appId).execute();
    return appId;
  },

  async updateApp(trx, tenantId, rows) {
    const values = rows.map(({ appId, c }) => ({ id: appId, values: itemValues(c) }));
    await updateRows(trx, 'items', tenantId, ITEM_TYPES, values);
  },

  async createApp(trx, tenantId, cs) {
    const ids = await allocateIds(trx, 'items', cs.length);
    const rows = cs.map((c, i) => ({ id: ids[i], tenant_id: tenantId, ...itemValues(c) }));
    await insertRows(trx, 'items', rows);
    return ids;
  },

  async removeApp(trx, tenantId, appId, how) {
    await trx
      .updateTable('items')
      .set({ active: false, status: how === 'inactive' ? 'inactive' : 'deleted' })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};

/** The SQL types of itemValues' columns. */
const ITEM_TYPES = {
  type: 'text',
  name: 'text',
  sku: 'text',
  description: 'text',
  unit_price: 'numeric',
  income_account: 'text',
  taxable: 'boolean',
  parent_id: 'bigint',
  quantity_on_hand: 'numeric',
  active: 'boolean',
  status: 'text',
};

function itemValues(c: ItemRecord) {
  return {
    type: c.type,
    name: c.name,
    sku: c.sku,
    description: c.description,
    unit_price: c.unitPrice,
    income_account: c.incomeAccount,
    taxable: c.taxable,
    parent_id: c.parentId,
    quantity_on_hand: c.quantityOnHand,
    active: c.active,
    status: c.active ? ('active' as const) : ('inactive' as const),
  };
}
