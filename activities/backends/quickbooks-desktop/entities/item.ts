import type { ItemType } from '../../../../schema/tables/app';
import { decimal, text } from '../../../sync/entities/common';
import type { StockItemRecord } from '../../../sync/entities/orderTakingItem';
import { MappingProblem } from '../../../sync/entity';
import type { DesktopEntity } from '../entity';
import { textAt, type XNode } from '../qbxml';
import { isActive, refId } from './common';

/** The item types a sale line can name, as the app's types. Group, discount and sales-tax items are not app items. */
const TYPES: Record<string, ItemType> = {
  ItemInventoryRet: 'Inventory',
  ItemInventoryAssemblyRet: 'Inventory',
  ItemServiceRet: 'Service',
  ItemNonInventoryRet: 'NonInventory',
  ItemOtherChargeRet: 'NonInventory',
};

/** Item names are at most 31 characters (FullName, with its parents, 159). */
export const MAX_ITEM_NAME = 31;

function salesDesc(ret: XNode): string | undefined {
  return (
    textAt(ret, 'SalesDesc') ?? textAt(ret, 'SalesOrPurchase', 'Desc') ?? textAt(ret, 'SalesAndPurchase', 'SalesDesc')
  );
}

function salesPrice(ret: XNode): string | undefined {
  return (
    textAt(ret, 'SalesPrice') ??
    textAt(ret, 'SalesOrPurchase', 'Price') ??
    textAt(ret, 'SalesAndPurchase', 'SalesPrice')
  );
}

/**
 * Items, QuickBooks → app (order-taking): sellable types with their category (the parent item, ParentRef), sales tax
 * code, SalesPrice and, for inventory, QuantityOnHand. QuickBooks is their master; app edits are ignored by the core.
 */
export const item: DesktopEntity<StockItemRecord> = {
  entity: 'item',
  query: 'ItemQueryRq',
  capture: 'modified-since',
  // Invoices move QuantityOnHand without touching the item's EditSequence or TimeModified.
  unversioned: 'QuantityOnHand',
  deletedTypes: ['ItemInventory', 'ItemInventoryAssembly', 'ItemService', 'ItemNonInventory', 'ItemOtherCharge'],
  accepts: (ret) => ret.name in TYPES,
  refs(ret) {
    const parent = refId(ret, 'ParentRef');
    const code = refId(ret, 'SalesTaxCodeRef');
    return [
      ...(parent ? [{ entity: 'item' as const, id: parent }] : []),
      ...(code ? [{ entity: 'tax_code' as const, id: code }] : []),
    ];
  },
  removed: (ret) => (isActive(ret) ? undefined : 'inactive'),

  fromRet(ret, refs) {
    const name = text(textAt(ret, 'Name')) ?? '';
    const type = TYPES[ret.name];
    const parent = refId(ret, 'ParentRef');
    const parentId = parent ? refs.appId('item', parent) : null;
    if (parent && parentId === undefined)
      return new MappingProblem(
        `item "${name}" is in QuickBooks category ${textAt(ret, 'ParentRef', 'FullName') ?? parent}, which is not in the app yet`,
        'run the sync again; the parent is synced first when it exists',
        'qbsync-missing-parent',
      );
    const code = refId(ret, 'SalesTaxCodeRef');
    const taxCodeId = code ? refs.appId('tax_code', code) : null;
    if (code && taxCodeId === undefined)
      return new MappingProblem(
        `item "${name}" uses QuickBooks sales tax code ${textAt(ret, 'SalesTaxCodeRef', 'FullName') ?? code}, which is not in the app`,
        'run the sync again; tax codes are read at the start of the items step',
        'qbsync-missing-tax-code',
      );
    return {
      type,
      name,
      sku: null,
      description: text(salesDesc(ret)),
      unitPrice: decimal(salesPrice(ret) ?? '0'),
      incomeAccount: null,
      taxable: refs.taxable(code),
      parentId: parentId ?? null,
      quantityOnHand: type === 'Inventory' ? decimal(textAt(ret, 'QuantityOnHand') ?? '0') : null,
      active: isActive(ret),
      taxCodeId: taxCodeId ?? null,
    };
  },
};
