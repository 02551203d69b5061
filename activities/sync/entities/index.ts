import type { AppEntity } from '../entity';
import type { EntityName } from '../model';
import { customerMapping } from './customer';
import { invoiceMapping } from './invoice';
import { itemMapping } from './item';
import { paymentMapping } from './payment';
import { taxCodeMapping, taxRateMapping } from './tax';

/** One mapping module per entity; the registry the sync core looks them up in. */
export const MAPPINGS: Partial<Record<EntityName, AppEntity<unknown>>> = {
  customer: customerMapping as AppEntity<unknown>,
  item: itemMapping as AppEntity<unknown>,
  tax_rate: taxRateMapping as AppEntity<unknown>,
  tax_code: taxCodeMapping as AppEntity<unknown>,
  invoice: invoiceMapping as AppEntity<unknown>,
  payment: paymentMapping as AppEntity<unknown>,
};
