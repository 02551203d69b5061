import { chunk, checkName, text } from '../../../sync/entities/common';
import { customerMapping, type CustomerRecord } from '../../../sync/entities/customer';
import { MappingProblem } from '../../../sync/entity';
import { select } from '../../../quickbooks/query';
import type { QboEntity, QboObject } from '../entity';
import { addressFromQbo, addressToQbo, textToQbo, type QboAddress } from './common';

const DELETED_SUFFIX = ' (deleted)';

interface QboCustomer extends QboObject {
  DisplayName?: string;
  CompanyName?: string;
  GivenName?: string;
  FamilyName?: string;
  PrimaryEmailAddr?: { Address?: string };
  PrimaryPhone?: { FreeFormNumber?: string };
  BillAddr?: QboAddress;
  ShipAddr?: QboAddress;
  ParentRef?: { value: string };
  Job?: boolean;
  Active?: boolean;
}

export const customer: QboEntity<CustomerRecord> = {
  entity: 'customer',
  qboName: 'Customer',
  qboRemoval: 'deactivate',
  qboRemoved: (raw) => ((raw as QboCustomer).Active === false ? 'inactive' : undefined),

  qboRefs: (raw) =>
    (raw as QboCustomer).ParentRef?.value ? [{ entity: 'customer', id: (raw as QboCustomer).ParentRef!.value }] : [],

  fromQbo(raw, refs) {
    const q = raw as QboCustomer;
    const active = q.Active !== false;
    let displayName = text(q.DisplayName) ?? '';
    // QuickBooks renames a deactivated customer "<name> (deleted)"; the app keeps the name it knows.
    if (!active && displayName.endsWith(DELETED_SUFFIX)) displayName = displayName.slice(0, -DELETED_SUFFIX.length);
    const parentId = q.ParentRef?.value ? refs.appId('customer', q.ParentRef.value) : null;
    if (q.ParentRef?.value && parentId === undefined) {
      return new MappingProblem(
        `customer "${displayName}" is a sub-customer of QuickBooks customer ${q.ParentRef.value}, which is not in the app yet`,
        'run the sync again; the parent is synced first when it exists',
        'qbsync-missing-parent',
      );
    }
    return {
      displayName,
      companyName: text(q.CompanyName),
      givenName: text(q.GivenName),
      familyName: text(q.FamilyName),
      email: text(q.PrimaryEmailAddr?.Address)?.toLowerCase() ?? null,
      phone: text(q.PrimaryPhone?.FreeFormNumber),
      billingAddress: addressFromQbo(q.BillAddr),
      shippingAddress: addressFromQbo(q.ShipAddr),
      parentId: parentId ?? null,
      active,
    };
  },

  toQbo(c, refs, base) {
    const problem = checkName('customer name', c.displayName, 500);
    if (problem) return problem;
    const clearing = !!base;
    const email = textToQbo(c.email, clearing);
    const phone = textToQbo(c.phone, clearing);
    const body: Record<string, unknown> = {
      DisplayName: c.displayName,
      CompanyName: textToQbo(c.companyName, clearing),
      GivenName: textToQbo(c.givenName, clearing),
      FamilyName: textToQbo(c.familyName, clearing),
      PrimaryEmailAddr: email === undefined ? undefined : { Address: email },
      PrimaryPhone: phone === undefined ? undefined : { FreeFormNumber: phone },
      BillAddr: addressToQbo(c.billingAddress, clearing),
      ShipAddr: addressToQbo(c.shippingAddress, clearing),
      Active: c.active,
    };
    if (c.parentId) {
      const parent = refs.qboId('customer', c.parentId);
      if (!parent)
        return new MappingProblem(
          `${customerMapping.label(c)} has parent customer ${c.parentId}, which is not in QuickBooks yet`,
          'run the sync again after the parent customer has synced',
          'qbsync-missing-parent',
        );
      body.ParentRef = { value: parent };
      body.Job = true;
    }
    if (base) Object.assign(body, { Id: base.Id, SyncToken: base.SyncToken, sparse: true });
    return body;
  },

  qboMatchQueries: (records) =>
    chunk([...new Set(records.map((r) => r.displayName))], 50).map((names) =>
      select('Customer').whereIn('DisplayName', names).whereIn('Active', [true, false]),
    ),

  /**
   * The same fully qualified name — the same DisplayName under the same parent (QuickBooks' unique key: a job
   * "Doe, Jack:Jack Doe" and a customer "Jack Doe" are two records) — else the same email under the same parent.
   * Two candidates are never a guess.
   */
  pickQboMatch(c, candidates) {
    const sameParent = (x: CustomerRecord) => (x.parentId ?? null) === (c.parentId ?? null);
    const indexes = (test: (x: CustomerRecord) => boolean) =>
      candidates.flatMap((x, i) => (sameParent(x) && test(x) ? [i] : []));
    const byName = indexes((x) => x.displayName.toLowerCase() === c.displayName.toLowerCase());
    const found = byName.length ? byName : c.email ? indexes((x) => x.email === c.email) : [];
    if (found.length > 1) return { ambiguous: found };
    return found[0];
  },
};
