import { sql } from 'kysely';
import type { Address } from '../../../schema/tables/app';
import type { AppEntity, AppRow } from '../entity';
import { MappingProblem } from '../entity';
import { addressFromApp, addressProblem, allocateIds, insertRows, text } from './common';

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
  /** QuickBooks Desktop: the customer's price level and sales tax code (absent where the backend has none). */
  priceLevelId?: number;
  taxCodeId?: number;
}

export const customerMapping: AppEntity<CustomerRecord> = {
  entity: 'customer',
  step: 'customers',
  pull: true,
  push: true,
  label: (c) => (c ? `customer "${c.displayName}"` : 'customer'),

  appRefs: (c) => (c.parentId ? [{ entity: 'customer', id: c.parentId }] : []),

  // Price levels and tax codes are pulled after customers (in the items step): filled in when they are linked.
  lateRefs: {
    fields: { priceLevelId: 'price_level', taxCodeId: 'tax_code' },
    async fill(trx, tenantId, appId, values) {
      const set = {
        ...('priceLevelId' in values ? { price_level_id: values.priceLevelId } : {}),
        ...('taxCodeId' in values ? { tax_code_id: values.taxCodeId } : {}),
      };
      await trx.updateTable('customers').set(set).where('tenant_id', '=', tenantId).where('id', '=', appId).execute();
    },
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
            priceLevelId: r.price_level_id ?? undefined,
            taxCodeId: r.tax_code_id ?? undefined,
          },
          removed: r.status === 'deleted' ? 'deleted' : r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
          ...rowProblem(r),
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
      .select(['c.id', 'c.display_name', 'c.email', 'c.parent_id'])
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
    // The same full name: the same name under the same parent (a job and a customer may share a name).
    return records.map((r) => {
      const free = rows.filter((x) => !taken.has(x.id) && (x.parent_id ?? null) === (r.parentId ?? null));
      const hit =
        free.find((x) => x.display_name.trim().toLowerCase() === r.displayName.toLowerCase()) ??
        (r.email ? free.find((x) => x.email?.toLowerCase() === r.email) : undefined);
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = customerValues(c);
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

  async createApp(trx, tenantId, cs) {
    const ids = await allocateIds(trx, 'customers', cs.length);
    const rows = cs.map((c, i) => ({ id: ids[i], tenant_id: tenantId, ...customerValues(c) }));
    await insertRows(trx, 'customers', rows);
    return ids;
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

function customerValues(c: CustomerRecord) {
  return {
    display_name: c.displayName,
    company_name: c.companyName,
    given_name: c.givenName,
    family_name: c.familyName,
    email: c.email,
    phone: c.phone,
    billing_address: c.billingAddress ? JSON.stringify(c.billingAddress) : null,
    shipping_address: c.shippingAddress ? JSON.stringify(c.shippingAddress) : null,
    parent_id: c.parentId,
    price_level_id: c.priceLevelId ?? null,
    tax_code_id: c.taxCodeId ?? null,
    active: c.active,
    status: c.active ? ('active' as const) : ('inactive' as const),
  };
}

/** What the canonical form cannot carry as stored: a non-object address, a customer that is its own parent. */
function rowProblem(r: { id: number; parent_id: number | null; billing_address: unknown; shipping_address: unknown }): {
  problem?: MappingProblem;
} {
  const problem =
    addressProblem('customers', r.id, 'billing_address', r.billing_address) ??
    addressProblem('customers', r.id, 'shipping_address', r.shipping_address) ??
    (r.parent_id === r.id
      ? new MappingProblem(
          `customers ${r.id}: parent_id is its own id; a customer cannot be its own parent`,
          `set parent_id of customer ${r.id} to null (a top-level customer) or to another customer's id; the record is sent on the next run`,
          'qbsync-bad-value',
        )
      : undefined);
  return problem ? { problem } : {};
}
