import type { EntityName } from '../../../sync/model';
import type { DesktopEntity } from '../entity';
import { customer } from './customer';
import { item } from './item';
import { priceLevel } from './priceLevel';
import { taxCode, taxRate } from './tax';

/** QuickBooks Desktop's half of each entity order-taking syncs; sales are handed over (entities/sale.ts). */
export const DESKTOP_ENTITIES: Partial<Record<EntityName, DesktopEntity<unknown>>> = {
  customer: customer as DesktopEntity<unknown>,
  item: item as DesktopEntity<unknown>,
  tax_rate: taxRate as DesktopEntity<unknown>,
  tax_code: taxCode as DesktopEntity<unknown>,
  price_level: priceLevel as DesktopEntity<unknown>,
};
