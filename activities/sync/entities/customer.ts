import { sql } from 'kysely';
import type { Address } from '../../../schema/tables/app';
import { MappingProblem, type EntityMapping, type QboObject, type AppRow } from '../mapping';
import {
  addressFromApp,
  addressFromQbo,
  addressToQbo,
  checkName,
  chunk,
  qboString,
  text,
  type QboAddress,
} from './common';

export interface CustomerRecord {
  displayName: string;
  companyName: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  phone: string | null;
  billingAddress: Address | null;
  shippingAddress: Address | null;
  parentId: number | null;
  active: boolean;
}

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

export const customerMapping: EntityMapping<CustomerRecord> = {
  entity: 'customer',
  step: 'customers',
  qboName: 'Customer',
  pull: true,
  push: true,
  qboRemoval: 'deactivate',
  qboRemoved: (raw) => ((raw as QboCustomer).Active === false ? 'inactive' : undefined),
  label: (c) => (c ? `customer "${c.displayName}"` : 'customer'),

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

  appRefs: (c) => (c.parentId ? [{ entity: 'customer', id: c.parentId }] : []),

  toQbo(c, refs, base) {
    const problem = checkName('customer name', c.displayName, 500);
    if (problem) return problem;
    const body: Record<string, unknown> = {
      DisplayName: c.displayName,
      CompanyName: c.companyName ?? undefined,
      GivenName: c.givenName ?? undefined,
      FamilyName: c.familyName ?? undefined,
      PrimaryEmailAddr: c.email ? { Address: c.email } : undefined,
      PrimaryPhone: c.phone ? { FreeFormNumber: c.phone } : undefined,
      BillAddr: addressToQbo(c.billingAddress),
      ShipAddr: addressToQbo(c.shippingAddress),
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
    chunk([...new Set(records.map((r) => r.displayName))], 50).map(
      (names) =>
        `SELECT * FROM Customer WHERE DisplayName IN (${names.map(qboString).join(', ')}) AND Active IN (true, false)`,
    ),

  pickQboMatch(c, candidates) {
    const byName = candidates.findIndex((x) => x.displayName.toLowerCase() === c.displayName.toLowerCase());
    if (byName >= 0) return byName;
    const byEmail = c.email ? candidates.findIndex((x) => x.email === c.email) : -1;
    return byEmail >= 0 ? byEmail : undefined;
  },

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('customers')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r): [number, AppRow<CustomerRecord>] => [
        r.id,
        {
          canonical: {
            displayName: r.display_name.trim(),
            companyName: text(r.company_name),
            givenName: text(r.given_name),
            familyName: text(r.family_name),
            email: text(r.email)?.toLowerCase() ?? null,
            phone: text(r.phone),
            billingAddress: addressFromApp(r.billing_address),
            shippingAddress: addressFromApp(r.shipping_address),
            parentId: r.parent_id,
            active: r.active,
          },
          removed: r.status === 'deleted' ? 'deleted' : r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  async matchApp(db, tenantId, records) {
    if (records.length === 0) return [];
    const names = [...new Set(records.map((r) => r.displayName.toLowerCase()))];
    const emails = [...new Set(records.map((r) => r.email).filter((e): e is string => !!e))];
    const rows = await db
      .selectFrom('customers as c')
      .select(['c.id', 'c.display_name', 'c.email'])
      .where('c.tenant_id', '=', tenantId)
      .where((eb) =>
        eb.or([
          eb(sql`lower(c.display_name)`, 'in', names),
          ...(emails.length ? [eb(sql`lower(c.email)`, 'in', emails)] : []),
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_links as l')
              .select('l.app_id')
              .whereRef('l.app_id', '=', 'c.id')
              .where('l.entity', '=', 'customer')
              .where('l.tenant_id', '=', tenantId),
          ),
        ),
      )
      .orderBy('c.id')
      .execute();
    const taken = new Set<number>();
    return records.map((r) => {
      const hit =
        rows.find((x) => !taken.has(x.id) && x.display_name.trim().toLowerCase() === r.displayName.toLowerCase()) ??
        (r.email ? rows.find((x) => !taken.has(x.id) && x.email?.toLowerCase() === r.email) : undefined);
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = {
      display_name: c.displayName,
      company_name: c.companyName,
      given_name: c.givenName,
      family_name: c.familyName,
      email: c.email,
      phone: c.phone,
      billing_address: c.billingAddress ? JSON.stringify(c.billingAddress) : null,
      shipping_address: c.shippingAddress ? JSON.stringify(c.shippingAddress) : null,
      parent_id: c.parentId,
      active: c.active,
      status: c.active ? ('active' as const) : ('inactive' as const),
    };
    if (appId === undefined) {
      const row = await trx
        .insertInto('customers')
        .values({ tenant_id: tenantId, ...values })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    await trx.updateTable('customers').set(values).where('tenant_id', '=', tenantId).where('id', '=', appId).execute();
    return appId;
  },

  async removeApp(trx, tenantId, appId, how) {
    await trx
      .updateTable('customers')
      .set({ active: false, status: how === 'inactive' ? 'inactive' : 'deleted' })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};
