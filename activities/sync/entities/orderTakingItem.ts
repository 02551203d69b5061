import { MappingProblem, type AppRow, type EntityMapping, type QboObject } from '../mapping';
import { itemMapping, type ItemRecord } from './item';

/** In order-taking mode an item also carries its sales tax code, so the app can default the tax of a sale line. */
export interface StockItemRecord extends ItemRecord {
  taxCodeId: number | null;
}

interface QboItemTax extends QboObject {
  Name?: string;
  SalesTaxCodeRef?: { value: string };
}

/** US companies' pseudo codes on items, not tax codes of their own: the item's `taxable` flag already says it. */
const PSEUDO_CODES = new Set(['TAX', 'NON']);

/**
 * Items in order-taking mode: QuickBooks is their master (names, prices, categories, tax codes and stock), so they
 * only come into the app; app edits are consumed and reported as ignored. Tax codes are read before items in this mode
 * (orderTaking/steps.ts), so an item's code is found.
 */
export const orderTakingItemMapping: EntityMapping<StockItemRecord> = {
  ...(itemMapping as unknown as EntityMapping<StockItemRecord>),
  push: true,
  ignoreAppChanges: {
    linked: true,
    unlinked: true,
    message:
      'app changes to items are not sent in order-taking mode: QuickBooks is the master of items, prices and stock',
    action: 'make the change in QuickBooks (create new items there too); it reaches the app on the next sync',
  },

  qboRefs(raw) {
    const code = (raw as QboItemTax).SalesTaxCodeRef?.value;
    return [
      ...itemMapping.qboRefs(raw),
      ...(code && !PSEUDO_CODES.has(code) ? [{ entity: 'tax_code' as const, id: code }] : []),
    ];
  },

  fromQbo(raw, refs) {
    const base = itemMapping.fromQbo(raw, refs);
    if (base instanceof MappingProblem) return base;
    const code = (raw as QboItemTax).SalesTaxCodeRef?.value;
    const taxCodeId = code && !PSEUDO_CODES.has(code) ? refs.appId('tax_code', code) : null;
    if (taxCodeId === undefined)
      return new MappingProblem(
        `item "${base.name}" uses QuickBooks tax code ${code}, which is not in the app`,
        'run the sync again; tax codes are read at the start of the items step',
        'qbsync-missing-tax-code',
      );
    return { ...base, taxCodeId };
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
};
