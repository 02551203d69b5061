import type { Trx } from '../backend';
import type { AppEntity, AppRow } from '../entity';
import { updateRows } from './common';
import { itemMapping, type ItemRecord } from './item';

/** In order-taking mode an item also carries its sales tax code, so the app can default the tax of a sale line. */
export interface StockItemRecord extends ItemRecord {
  taxCodeId: number | null;
}

/**
 * Items in order-taking mode: QuickBooks is their master (names, prices, categories, tax codes and stock), so they
 * only come into the app; app edits are consumed and reported as ignored. Tax codes are read before items in this mode
 * (orderTaking/steps.ts), so an item's code is found.
 */
export const orderTakingItemMapping: AppEntity<StockItemRecord> = {
  ...(itemMapping as unknown as AppEntity<StockItemRecord>),
  push: true,
  ignoreAppChanges: {
    linked: true,
    unlinked: true,
    message:
      'app changes to items are not sent in order-taking mode: QuickBooks is the master of items, prices and stock',
    action: 'make the change in QuickBooks (create new items there too); it reaches the app on the next sync',
  },

  async loadApp(db, tenantId, ids) {
    const base = await itemMapping.loadApp(db, tenantId, ids);
    if (base.size === 0) return new Map();
    const codes = await db
      .selectFrom('items')
      .select(['id', 'tax_code_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', [...base.keys()])
      .execute();
    const codeOf = new Map(codes.map((c) => [c.id, c.tax_code_id]));
    return new Map(
      [...base].map(([id, row]): [number, AppRow<StockItemRecord>] => [
        id,
        { ...row, canonical: { ...row.canonical, taxCodeId: codeOf.get(id) ?? null } },
      ]),
    );
  },

  async writeApp(trx, tenantId, appId, c) {
    const id = await itemMapping.writeApp(trx, tenantId, appId, c);
    await trx
      .updateTable('items')
      .set({ tax_code_id: c.taxCodeId })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
    return id;
  },

  // The bulk writes of items, with the tax code as writeApp adds it (spread from itemMapping, they would leave it out).
  async createApp(trx, tenantId, cs) {
    const ids = await itemMapping.createApp!(trx, tenantId, cs);
    await setTaxCodes(
      trx,
      tenantId,
      ids.map((appId, i) => ({ appId, c: cs[i] })),
    );
    return ids;
  },

  async updateApp(trx, tenantId, rows) {
    await itemMapping.updateApp!(trx, tenantId, rows);
    await setTaxCodes(trx, tenantId, rows);
  },
};

function setTaxCodes(trx: Trx, tenantId: string, rows: Array<{ appId: number; c: StockItemRecord }>) {
  const values = rows.map(({ appId, c }) => ({ id: appId, values: { tax_code_id: c.taxCodeId } }));
  return updateRows(trx, 'items', tenantId, { tax_code_id: 'bigint' }, values);
}
