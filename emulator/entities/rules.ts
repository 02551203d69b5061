import type { Company, EntityName, Obj } from '../company';
import { applyCustomer } from './customer';
import { applyItem } from './item';
import { applyPayment } from './payment';
import { applySalesTransaction } from './sales';

export interface WriteOptions {
  allowDuplicateDocNumber?: boolean;
  /** Seeding may create what the API cannot (tax codes and rates). */
  seeding?: boolean;
}

/** The rules QuickBooks applies to a create (`previous` undefined) or an update; `sent` is the request body as given. */
export function applyRules(
  company: Company,
  e: EntityName,
  obj: Obj,
  previous: Obj | undefined,
  sent: Record<string, unknown>,
  options: WriteOptions,
): void {
  switch (e) {
    case 'Customer':
      return applyCustomer(company, obj, previous);
    case 'Item':
      return applyItem(company, obj, previous, options);
    case 'TaxRate':
    case 'TaxCode':
      if (obj.Active === undefined) obj.Active = true;
      return;
    case 'Invoice':
    case 'Estimate':
      return applySalesTransaction(company, e, obj, previous, sent, options);
    case 'Payment':
      return applyPayment(company, obj);
  }
}
