import { text } from '../../../sync/entities/common';
import { customerMapping, type CustomerRecord } from '../../../sync/entities/customer';
import { MappingProblem } from '../../../sync/entity';
import type { DesktopEntity } from '../entity';
import { child, opt, textAt, x, type XNode } from '../qbxml';
import type { LateRef } from '../../../sync/backend';
import { addressFromRet, addressToXml, isActive, qbName, qbText, refId } from './common';

/** Customer names are unique across customers, vendors, employees and other names; at most 41 characters. */
export const MAX_CUSTOMER_NAME = 41;

function body(c: CustomerRecord, parentListId: string | undefined) {
  const label = customerMapping.label(c);
  const name = qbName(label, 'name', c.displayName, MAX_CUSTOMER_NAME);
  if (name instanceof MappingProblem) return name;
  const fields: Array<[string, string | null, number]> = [
    ['CompanyName', c.companyName, 41],
    ['FirstName', c.givenName, 25],
    ['LastName', c.familyName, 25],
    ['Phone', c.phone, 21],
    ['Email', c.email, 1023],
  ];
  const values: Record<string, string | undefined> = {};
  for (const [field, value, max] of fields) {
    const t = qbText(label, field, value, max);
    if (t instanceof MappingProblem) return t;
    values[field] = t.value;
  }
  return { name: name.value, values, parentListId };
}

/** The customer's price level and sales tax code (by ListID): pulled after customers, in the items step. */
function lateRefs(ret: XNode): LateRef[] {
  const level = refId(ret, 'PriceLevelRef');
  const code = refId(ret, 'SalesTaxCodeRef');
  return [
    ...(level ? [{ field: 'priceLevelId', entity: 'price_level' as const, remoteId: level }] : []),
    ...(code ? [{ field: 'taxCodeId', entity: 'tax_code' as const, remoteId: code }] : []),
  ];
}

export const customer: DesktopEntity<CustomerRecord> = {
  entity: 'customer',
  query: 'CustomerQueryRq',
  capture: 'modified-since',
  deletedTypes: ['Customer'],
  writeName: 'Customer',
  accepts: (ret) => ret.name === 'CustomerRet',
  refs: (ret) => {
    const parent = refId(ret, 'ParentRef');
    const late = lateRefs(ret).map((r) => ({ entity: r.entity, id: r.remoteId }));
    return [...(parent ? [{ entity: 'customer' as const, id: parent }] : []), ...late];
  },
  lateRefs,
  removed: (ret) => (isActive(ret) ? undefined : 'inactive'),

  fromRet(ret, refs) {
    const displayName = text(textAt(ret, 'Name')) ?? '';
    const parent = refId(ret, 'ParentRef');
    const parentId = parent ? refs.appId('customer', parent) : null;
    if (parent && parentId === undefined)
      return new MappingProblem(
        `customer "${displayName}" is a job of QuickBooks customer ${textAt(ret, 'ParentRef', 'FullName') ?? parent}, which is not in the app yet`,
        'run the sync again; the parent is synced first when it exists',
        'qbsync-missing-parent',
      );
    return {
      displayName,
      companyName: text(textAt(ret, 'CompanyName')),
      givenName: text(textAt(ret, 'FirstName')),
      familyName: text(textAt(ret, 'LastName')),
      email: text(textAt(ret, 'Email'))?.toLowerCase() ?? null,
      phone: text(textAt(ret, 'Phone')),
      billingAddress: addressFromRet(child(ret, 'BillAddress')),
      shippingAddress: addressFromRet(child(ret, 'ShipAddress')),
      parentId: parentId ?? null,
      active: isActive(ret),
      // Not linked yet (pulled in the items step): left out, and filled in once linked (lateRefs).
      priceLevelId: refs.appId('price_level', refId(ret, 'PriceLevelRef')),
      taxCodeId: refs.appId('tax_code', refId(ret, 'SalesTaxCodeRef')),
    };
  },

  toAdd(c, refs) {
    const parent = c.parentId ? refs.listId('customer', c.parentId) : undefined;
    if (c.parentId && !parent)
      return new MappingProblem(
        `${customerMapping.label(c)} is a job of app customer ${c.parentId}, which is not in QuickBooks yet`,
        'run the sync again after the parent customer has synced',
        'qbsync-missing-parent',
      );
    const b = body(c, parent);
    if (b instanceof MappingProblem) return b;
    return x('CustomerAdd', [
      x('Name', b.name),
      x('IsActive', c.active ? 'true' : 'false'),
      parent ? x('ParentRef', [x('ListID', parent)]) : undefined,
      opt('CompanyName', b.values.CompanyName),
      opt('FirstName', b.values.FirstName),
      opt('LastName', b.values.LastName),
      addressToXml('BillAddress', c.billingAddress),
      addressToXml('ShipAddress', c.shippingAddress),
      opt('Phone', b.values.Phone),
      opt('Email', b.values.Email),
    ]);
  },

  toMod(c, refs, listId, editSequence) {
    const parent = c.parentId ? refs.listId('customer', c.parentId) : undefined;
    const b = body(c, parent);
    if (b instanceof MappingProblem) return b;
    return x('CustomerMod', [
      x('ListID', listId),
      x('EditSequence', editSequence ?? ''),
      x('Name', b.name),
      x('IsActive', c.active ? 'true' : 'false'),
      parent ? x('ParentRef', [x('ListID', parent)]) : undefined,
      x('CompanyName', b.values.CompanyName ?? ''),
      x('FirstName', b.values.FirstName ?? ''),
      x('LastName', b.values.LastName ?? ''),
      addressToXml('BillAddress', c.billingAddress),
      addressToXml('ShipAddress', c.shippingAddress),
      x('Phone', b.values.Phone ?? ''),
      x('Email', b.values.Email ?? ''),
    ]);
  },

  toDeactivate: (listId, editSequence) =>
    x('CustomerMod', [x('ListID', listId), x('EditSequence', editSequence ?? ''), x('IsActive', 'false')]),

  twinNames: (c) => c.displayName,
  pickTwin(c, candidates) {
    const byName = candidates.findIndex((x) => x.displayName.toLowerCase() === c.displayName.toLowerCase());
    return byName >= 0 ? byName : undefined;
  },
};
