import type { SyncMode } from '../../../sync/model';
import type { EntityName } from '../../../sync/model';
import type { QboEntity } from '../entity';
import { customer } from './customer';
import { invoice } from './invoice';
import { item } from './item';
import { stockItem } from './orderTakingItem';
import { payment } from './payment';
import { taxCode, taxRate } from './tax';

type Entities = Partial<Record<EntityName, QboEntity<unknown>>>;

const BILLING: Entities = {
  customer: customer as QboEntity<unknown>,
  item: item as QboEntity<unknown>,
  tax_rate: taxRate as QboEntity<unknown>,
  tax_code: taxCode as QboEntity<unknown>,
  invoice: invoice as QboEntity<unknown>,
  payment: payment as QboEntity<unknown>,
};

/** Order-taking items carry their tax code; sales are handed over (entities/sale.ts), not mapped both ways. */
const ORDER_TAKING: Entities = { ...BILLING, item: stockItem as QboEntity<unknown> };

/** QuickBooks Online's half of each entity the mode syncs. */
export function qboEntitiesFor(mode: SyncMode): Entities {
  return mode === 'order-taking' ? ORDER_TAKING : BILLING;
}
