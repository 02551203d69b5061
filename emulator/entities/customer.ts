import type { Company, Obj } from '../company';
import { checkName } from './names';

const DELETED_SUFFIX = ' (deleted)';

/** Customer rules: a unique DisplayName; deactivation appends " (deleted)" (as QuickBooks shows it), reactivation removes it. */
export function applyCustomer(company: Company, obj: Obj, previous: Obj | undefined): void {
  if (obj.DisplayName === undefined) {
    obj.DisplayName =
      [obj.GivenName, obj.FamilyName].filter(Boolean).join(' ') || (obj.CompanyName as string | undefined);
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
  checkName(company, 'Customer', obj.DisplayName, obj.Id);
  if (obj.Active === undefined) obj.Active = true;
  if (obj.ParentRef) {
    const parent = company.ref('Customer', obj.ParentRef, 'ParentRef');
    obj.Job = true;
    obj.Level = Number(parent.Level ?? 0) + 1;
    obj.FullyQualifiedName = `${String(parent.FullyQualifiedName ?? parent.DisplayName)}:${String(obj.DisplayName)}`;
  } else {
    obj.Job = false;
    obj.FullyQualifiedName = obj.DisplayName;
  }
  obj.Balance = previous?.Balance ?? 0;
  obj.PrintOnCheckName = obj.PrintOnCheckName ?? obj.DisplayName;
}
