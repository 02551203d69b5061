import { decimal, text } from '../../../sync/entities/common';
import type { PriceLevelRecord } from '../../../sync/entities/priceLevel';
import { MappingProblem } from '../../../sync/entity';
import type { DesktopEntity } from '../entity';
import { children, textAt } from '../qbxml';
import { isActive, refId } from './common';

/**
 * Price levels, both kinds: FixedPercentage (one percentage over every item) and PerItem (per item, a custom price or a
 * percentage of the item's price). PriceLevelQuery has no iterator; the list is small and re-read whole each run.
 */
export const priceLevel: DesktopEntity<PriceLevelRecord> = {
  entity: 'price_level',
  query: 'PriceLevelQueryRq',
  capture: 'snapshot',
  deletedTypes: ['PriceLevel'],
  accepts: (ret) => ret.name === 'PriceLevelRet',
  refs: (ret) =>
    children(ret, 'PriceLevelPerItemRet').flatMap((p) => {
      const id = refId(p, 'ItemRef');
      return id ? [{ entity: 'item' as const, id }] : [];
    }),
  removed: (ret) => (isActive(ret) ? undefined : 'inactive'),
  fromRet(ret, refs) {
    const name = text(textAt(ret, 'Name')) ?? '';
    const perItem = textAt(ret, 'PriceLevelType') === 'PerItem';
    const items: PriceLevelRecord['items'] = [];
    for (const p of children(ret, 'PriceLevelPerItemRet')) {
      const listId = refId(p, 'ItemRef');
      const itemId = refs.appId('item', listId);
      if (itemId === undefined)
        return new MappingProblem(
          `price level "${name}" prices QuickBooks item ${textAt(p, 'ItemRef', 'FullName') ?? listId}, which is not in the app`,
          'run the sync again; items are read before price levels (a group or discount item cannot be priced in the app)',
          'qbsync-missing-item',
        );
      items.push({
        itemId,
        unitPrice: decimal(textAt(p, 'CustomPrice')),
        percent: decimal(textAt(p, 'CustomPricePercent')),
      });
    }
    items.sort((a, b) => a.itemId - b.itemId);
    return {
      name,
      kind: perItem ? 'per-item' : 'fixed-percentage',
      percent: perItem ? null : decimal(textAt(ret, 'PriceLevelFixedPercentage') ?? '0'),
      items,
      active: isActive(ret),
    };
  },
};
