import { decimal, text } from '../../../sync/entities/common';
import type { TaxCodeRecord, TaxRateRecord } from '../../../sync/entities/tax';
import { MappingProblem } from '../../../sync/entity';
import type { QboEntity, QboObject } from '../entity';

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

export const taxRate: QboEntity<TaxRateRecord> = {
  entity: 'tax_rate',
  qboName: 'TaxRate',
  qboRemoval: 'none',
  qboRemoved: (raw) => ((raw as QboTaxRate).Active === false ? 'inactive' : undefined),
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
  toQbo: () => readOnly('a tax rate'),
  qboMatchQueries: () => [],
  pickQboMatch: () => undefined,
};

export const taxCode: QboEntity<TaxCodeRecord> = {
  entity: 'tax_code',
  qboName: 'TaxCode',
  qboRemoval: 'none',
  qboRemoved: (raw) => ((raw as QboTaxCode).Active === false ? 'inactive' : undefined),
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
  toQbo: () => readOnly('a tax code'),
  qboMatchQueries: () => [],
  pickQboMatch: () => undefined,
};
