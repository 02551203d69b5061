import type { EntityMapping } from '../mapping';
import type { EntityName } from '../model';
import { customerMapping } from './customer';
import { invoiceMapping } from './invoice';
import { itemMapping } from './item';
import { paymentMapping } from './payment';
import { taxCodeMapping, taxRateMapping } from './tax';

/** One mapping module per entity; the registry the sync core looks them up in. */
export const MAPPINGS: Partial<Record<EntityName, EntityMapping<unknown>>> = {
  customer: customerMapping as EntityMapping<unknown>,
  item: itemMapping as EntityMapping<unknown>,
  tax_rate: taxRateMapping as EntityMapping<unknown>,
  tax_code: taxCodeMapping as EntityMapping<unknown>,
  invoice: invoiceMapping as EntityMapping<unknown>,
  payment: paymentMapping as EntityMapping<unknown>,
};
