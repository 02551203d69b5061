import { decimal, text } from '../../../sync/entities/common';
import type { TaxCodeRecord, TaxRateRecord } from '../../../sync/entities/tax';
import { MappingProblem } from '../../../sync/entity';
import type { DesktopEntity } from '../entity';
import { textAt } from '../qbxml';
import { isActive, refId } from './common';

/** Sales tax items (a rate and its agency) are the app's tax rates; read-only, re-read whole each run. */
export const taxRate: DesktopEntity<TaxRateRecord> = {
  entity: 'tax_rate',
  query: 'ItemSalesTaxQueryRq',
  capture: 'snapshot',
  deletedTypes: ['ItemSalesTax'],
  accepts: (ret) => ret.name === 'ItemSalesTaxRet',
  refs: () => [],
  removed: (ret) => (isActive(ret) ? undefined : 'inactive'),
  fromRet: (ret) => ({
    name: text(textAt(ret, 'Name')) ?? '',
    description: text(textAt(ret, 'ItemDesc')),
    ratePercent: decimal(textAt(ret, 'TaxRate') ?? '0')!,
    agency: text(textAt(ret, 'TaxVendorRef', 'FullName')),
    active: isActive(ret),
  }),
};

/**
 * Sales tax codes (US: Tax/Non; Reckon's AU codes: GST, FRE, E …), with the tax item they apply where the company
 * names one. Read-only, re-read whole each run.
 */
export const taxCode: DesktopEntity<TaxCodeRecord> = {
  entity: 'tax_code',
  query: 'SalesTaxCodeQueryRq',
  capture: 'snapshot',
  deletedTypes: ['SalesTaxCode'],
  accepts: (ret) => ret.name === 'SalesTaxCodeRet',
  refs: (ret) => {
    const rate = refId(ret, 'ItemSalesTaxRef');
    return rate ? [{ entity: 'tax_rate', id: rate }] : [];
  },
  removed: (ret) => (isActive(ret) ? undefined : 'inactive'),
  fromRet(ret, refs) {
    const rate = refId(ret, 'ItemSalesTaxRef');
    const rateId = rate ? refs.appId('tax_rate', rate) : undefined;
    if (rate && rateId === undefined)
      return new MappingProblem(
        `sales tax code "${textAt(ret, 'Name')}" uses QuickBooks tax item ${rate}, which is not in the app`,
        'run the sync again; tax items are read before tax codes',
        'qbsync-missing-rate',
      );
    return {
      name: text(textAt(ret, 'Name')) ?? '',
      description: text(textAt(ret, 'Desc')),
      taxable: textAt(ret, 'IsTaxable') === 'true',
      active: isActive(ret),
      rateIds: rateId === undefined ? [] : [rateId],
    };
  },
};
