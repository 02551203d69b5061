import type { StockItemRecord } from '../../../sync/entities/orderTakingItem';
import { MappingProblem } from '../../../sync/entity';
import type { QboEntity, QboObject } from '../entity';
import { item } from './item';

interface QboItemTax extends QboObject {
  Name?: string;
  SalesTaxCodeRef?: { value: string };
}

/** US companies' pseudo codes on items, not tax codes of their own: the item's `taxable` flag already says it. */
const PSEUDO_CODES = new Set(['TAX', 'NON']);

/** Items in order-taking mode also carry their sales tax code (tax codes are read before items in this mode). */
export const stockItem: QboEntity<StockItemRecord> = {
  ...(item as unknown as QboEntity<StockItemRecord>),
  qboRefs(raw) {
    const code = (raw as QboItemTax).SalesTaxCodeRef?.value;
    return [
      ...item.qboRefs(raw),
      ...(code && !PSEUDO_CODES.has(code) ? [{ entity: 'tax_code' as const, id: code }] : []),
    ];
  },

  fromQbo(raw, refs) {
    const base = item.fromQbo(raw, refs);
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
};
