import { randomBytes } from 'node:crypto';
import type { Company, Obj } from '../company';
import { faults } from '../faults';
import { checkName } from './names';

const DELETED_SUFFIX = ' (deleted)';
/** A customer and four levels of sub-customers below it. */
const MAX_LEVEL = 4;
export const HOME_CURRENCY = { value: 'USD', name: 'United States Dollar' };

/** Gives each address QuickBooks stores an Id of its own (addresses are objects with Ids in QuickBooks). */
export function identifyAddress(company: Company, address: unknown, previous?: unknown): void {
  if (!address || typeof address !== 'object') return;
  const a = address as Record<string, unknown>;
  if (a.Id !== undefined) return;
  const kept = (previous as Record<string, unknown> | undefined)?.Id;
  a.Id = typeof kept === 'string' ? kept : String(company.nextAddressId++);
}

/**
 * Customer rules: DisplayName from the name parts when absent; deactivation appends " (deleted)" (as QuickBooks shows
 * it), reactivation removes it; sub-customers (jobs) under an active parent, with Job, Level, BillWithParent and a
 * "Parent:Child" FullyQualifiedName, which is what must be unique; QuickBooks' defaults filled in.
 */
export function applyCustomer(company: Company, obj: Obj, previous: Obj | undefined): void {
  if (obj.DisplayName === undefined || obj.DisplayName === null) {
    obj.DisplayName =
      [obj.Title, obj.GivenName, obj.MiddleName, obj.FamilyName, obj.Suffix].filter(Boolean).join(' ') ||
      (obj.CompanyName as string | undefined);
  }
  if (obj.Active === false && previous?.Active !== false) {
    const base = String(obj.DisplayName ?? '');
    obj.DisplayName = base.endsWith(DELETED_SUFFIX) ? base : `${base}${DELETED_SUFFIX}`;
  } else if (
    obj.Active !== false &&
    previous?.Active === false &&
    typeof obj.DisplayName === 'string' &&
    obj.DisplayName.endsWith(DELETED_SUFFIX)
  ) {
    obj.DisplayName = obj.DisplayName.slice(0, -DELETED_SUFFIX.length);
  }
  if (obj.Active === undefined || obj.Active === null) obj.Active = true;
  if (obj.ParentRef) {
    const parent = company.ref('Customer', obj.ParentRef, 'ParentRef');
    if (parent.Id === obj.Id) throw faults.businessValidation('A customer cannot be its own parent.', 'ParentRef');
    const level = Number(parent.Level ?? 0) + 1;
    if (level > MAX_LEVEL)
      throw faults.businessValidation(`Sub-customers can be nested ${MAX_LEVEL} levels deep at most.`, 'ParentRef');
    obj.ParentRef = { value: parent.Id, name: parent.FullyQualifiedName ?? parent.DisplayName };
    obj.Job = true;
    obj.Level = level;
    obj.BillWithParent = obj.BillWithParent === true || obj.BillWithParent === 'true';
    obj.FullyQualifiedName = `${String(parent.FullyQualifiedName ?? parent.DisplayName)}:${String(obj.DisplayName)}`;
  } else {
    delete obj.ParentRef;
    delete obj.Level;
    obj.Job = false;
    obj.BillWithParent = false;
    obj.FullyQualifiedName = obj.DisplayName;
  }
  checkName(company, 'Customer', obj.DisplayName, obj.Id, String(obj.FullyQualifiedName));
  if (obj.Taxable === undefined || obj.Taxable === null) obj.Taxable = true;
  if (obj.SalesTermRef) {
    const term = company.ref('Term', obj.SalesTermRef, 'SalesTermRef');
    obj.SalesTermRef = { value: term.Id, name: term.Name };
  }
  identifyAddress(company, obj.BillAddr, previous?.BillAddr);
  identifyAddress(company, obj.ShipAddr, previous?.ShipAddr);
  obj.CurrencyRef = HOME_CURRENCY;
  obj.PreferredDeliveryMethod = obj.PreferredDeliveryMethod ?? 'Print';
  obj.Balance = previous?.Balance ?? 0;
  obj.BalanceWithJobs = previous?.BalanceWithJobs ?? 0;
  obj.PrintOnCheckName = obj.PrintOnCheckName ?? obj.CompanyName ?? obj.DisplayName;
  obj.IsProject = obj.IsProject === true;
  obj.ClientEntityId = previous?.ClientEntityId ?? '0';
  obj.V4IDPseudonym = previous?.V4IDPseudonym ?? randomBytes(19).toString('hex');
}
