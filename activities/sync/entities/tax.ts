import { sql } from 'kysely';
import type { AppEntity, AppRow } from '../entity';
import { decimal, text } from './common';

/** Tax rates and codes are QuickBooks' (read-only over its API): they flow into the app only. */
export interface TaxRateRecord {
  name: string;
  description: string | null;
  ratePercent: string;
  agency: string | null;
  active: boolean;
}

export interface TaxCodeRecord {
  name: string;
  description: string | null;
  taxable: boolean;
  active: boolean;
  /** App ids of the sales tax rates the code applies, ascending. */
  rateIds: number[];
}

const noAppMatch = async <C>(_db: unknown, _tenantId: string, records: C[]) => records.map(() => undefined);

export const taxRateMapping: AppEntity<TaxRateRecord> = {
  entity: 'tax_rate',
  step: 'taxes',
  pull: true,
  push: false,
  label: (c) => (c ? `tax rate "${c.name}"` : 'tax rate'),
  appRefs: () => [],
  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('tax_rates')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r): [number, AppRow<TaxRateRecord>] => [
        r.id,
        {
          canonical: {
            name: r.name,
            description: text(r.description),
            ratePercent: decimal(r.rate_percent)!,
            agency: text(r.agency),
            active: r.active,
          },
          removed: r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },
  matchApp: noAppMatch,
  async writeApp(trx, tenantId, appId, c) {
    const values = {
      name: c.name,
      description: c.description,
      rate_percent: c.ratePercent,
      agency: c.agency,
      active: c.active,
    };
    if (appId === undefined)
      return (
        await trx
          .insertInto('tax_rates')
          .values({ tenant_id: tenantId, ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    await trx.updateTable('tax_rates').set(values).where('tenant_id', '=', tenantId).where('id', '=', appId).execute();
    return appId;
  },
  async removeApp(trx, tenantId, appId) {
    await trx
      .updateTable('tax_rates')
      .set({ active: false })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};

export const taxCodeMapping: AppEntity<TaxCodeRecord> = {
  entity: 'tax_code',
  step: 'taxes',
  pull: true,
  push: false,
  label: (c) => (c ? `tax code "${c.name}"` : 'tax code'),
  appRefs: () => [],
  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('tax_codes as c')
      .selectAll('c')
      .select(
        sql<
          number[]
        >`coalesce((select array_agg(r.tax_rate_id order by r.tax_rate_id) from tax_code_rates r where r.tax_code_id = c.id), '{}')`.as(
          'rate_ids',
        ),
      )
      .where('c.tenant_id', '=', tenantId)
      .where('c.id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r): [number, AppRow<TaxCodeRecord>] => [
        r.id,
        {
          canonical: {
            name: r.name,
            description: text(r.description),
            taxable: r.taxable,
            active: r.active,
            rateIds: r.rate_ids.map(Number),
          },
          removed: r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },
  matchApp: noAppMatch,
  async writeApp(trx, tenantId, appId, c) {
    const values = { name: c.name, description: c.description, taxable: c.taxable, active: c.active };
    let id = appId;
    if (id === undefined)
      id = (
        await trx
          .insertInto('tax_codes')
          .values({ tenant_id: tenantId, ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    else
      await trx.updateTable('tax_codes').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await trx.deleteFrom('tax_code_rates').where('tax_code_id', '=', id).execute();
    if (c.rateIds.length)
      await trx
        .insertInto('tax_code_rates')
        .values(c.rateIds.map((rate) => ({ tax_code_id: id!, tax_rate_id: rate })))
        .execute();
    return id;
  },
  async removeApp(trx, tenantId, appId) {
    await trx
      .updateTable('tax_codes')
      .set({ active: false })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};
