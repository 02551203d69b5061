import { sql } from 'kysely';
import { MappingProblem, type AppRow, type EntityMapping, type QboObject } from '../mapping';
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

interface QboTaxRate extends QboObject {
  Name?: string;
  Description?: string;
  RateValue?: number;
  AgencyRef?: { value: string; name?: string };
  Active?: boolean;
}

interface QboTaxCode extends QboObject {
  Name?: string;
  Description?: string;
  Taxable?: boolean;
  Active?: boolean;
  SalesTaxRateList?: { TaxRateDetail?: Array<{ TaxRateRef?: { value: string } }> };
}

function readOnly(what: string): MappingProblem {
  return new MappingProblem(
    `${what} cannot be written to QuickBooks through its API`,
    'create or change tax codes and rates in QuickBooks; they reach the app on the next sync',
    'qbsync-read-only',
  );
}

const noAppMatch = async <C>(_db: unknown, _tenantId: string, records: C[]) => records.map(() => undefined);

export const taxRateMapping: EntityMapping<TaxRateRecord> = {
  entity: 'tax_rate',
  step: 'taxes',
  qboName: 'TaxRate',
  pull: true,
  push: false,
  qboRemoval: 'none',
  qboRemoved: (raw) => ((raw as QboTaxRate).Active === false ? 'inactive' : undefined),
  label: (c) => (c ? `tax rate "${c.name}"` : 'tax rate'),
  qboRefs: () => [],
  fromQbo(raw) {
    const q = raw as QboTaxRate;
    return {
      name: text(q.Name) ?? '',
      description: text(q.Description),
      ratePercent: decimal(q.RateValue ?? 0)!,
      agency: text(q.AgencyRef?.name ?? q.AgencyRef?.value),
      active: q.Active !== false,
    };
  },
  appRefs: () => [],
  toQbo: () => readOnly('a tax rate'),
  qboMatchQueries: () => [],
  pickQboMatch: () => undefined,
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

export const taxCodeMapping: EntityMapping<TaxCodeRecord> = {
  entity: 'tax_code',
  step: 'taxes',
  qboName: 'TaxCode',
  pull: true,
  push: false,
  qboRemoval: 'none',
  qboRemoved: (raw) => ((raw as QboTaxCode).Active === false ? 'inactive' : undefined),
  label: (c) => (c ? `tax code "${c.name}"` : 'tax code'),
  qboRefs: (raw) =>
    ((raw as QboTaxCode).SalesTaxRateList?.TaxRateDetail ?? []).flatMap((d) =>
      d.TaxRateRef?.value ? [{ entity: 'tax_rate' as const, id: d.TaxRateRef.value }] : [],
    ),
  fromQbo(raw, refs) {
    const q = raw as QboTaxCode;
    const rateIds: number[] = [];
    for (const detail of q.SalesTaxRateList?.TaxRateDetail ?? []) {
      const id = refs.appId('tax_rate', detail.TaxRateRef?.value);
      if (id === undefined)
        return new MappingProblem(
          `tax code "${q.Name}" uses QuickBooks tax rate ${detail.TaxRateRef?.value}, which is not in the app`,
          'run the sync again; tax rates are read before tax codes',
          'qbsync-missing-rate',
        );
      rateIds.push(id);
    }
    return {
      name: text(q.Name) ?? '',
      description: text(q.Description),
      taxable: q.Taxable !== false,
      active: q.Active !== false,
      rateIds: rateIds.sort((a, b) => a - b),
    };
  },
  appRefs: () => [],
  toQbo: () => readOnly('a tax code'),
  qboMatchQueries: () => [],
  pickQboMatch: () => undefined,
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
