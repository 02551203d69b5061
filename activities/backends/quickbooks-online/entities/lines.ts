import { centsToQbo } from '../../../money';
import { cents, decimal, text } from '../../../sync/entities/common';
import type { SalesLine } from '../../../sync/entities/lines';
import { MappingProblem } from '../../../sync/entity';
import type { RefMap } from '../entity';
import { decimalToNumber } from './common';

export interface QboLine {
  Id?: string;
  LineNum?: number;
  Amount?: number;
  Description?: string;
  DetailType?: string;
  SalesItemLineDetail?: {
    ItemRef?: { value: string };
    Qty?: number;
    UnitPrice?: number;
    TaxCodeRef?: { value: string };
  };
  DiscountLineDetail?: { PercentBased?: boolean; DiscountPercent?: number };
}

/** QuickBooks' subtotal lines are computed; the app keeps item, description-only and discount lines. */
export function linesFromQbo(lines: QboLine[] | undefined, refs: RefMap, owner: string): SalesLine[] | MappingProblem {
  const out: SalesLine[] = [];
  for (const line of lines ?? []) {
    if (line.DetailType === 'SubTotalLineDetail') continue;
    if (line.DetailType === 'DescriptionOnly') {
      out.push({
        kind: 'description',
        itemId: null,
        description: text(line.Description),
        quantity: null,
        unitPrice: null,
        amountCents: cents(line.Amount ?? 0),
        taxable: false,
      });
    } else if (line.DetailType === 'DiscountLineDetail') {
      out.push({
        kind: 'discount',
        itemId: null,
        description: text(line.Description),
        quantity: null,
        unitPrice: null,
        amountCents: cents(line.Amount ?? 0),
        taxable: false,
      });
    } else if (line.DetailType === 'SalesItemLineDetail') {
      const detail = line.SalesItemLineDetail ?? {};
      const itemId = detail.ItemRef?.value ? refs.appId('item', detail.ItemRef.value) : null;
      if (detail.ItemRef?.value && itemId === undefined) {
        return new MappingProblem(
          `${owner} line ${line.LineNum ?? '?'} uses QuickBooks item ${detail.ItemRef.value}, which is not in the app`,
          'make sure the item is synced (it may be of a type the app does not hold) and run the sync again',
          'qbsync-missing-item',
        );
      }
      out.push({
        kind: 'item',
        itemId: itemId ?? null,
        description: text(line.Description),
        quantity: decimal(detail.Qty ?? null),
        unitPrice: decimal(detail.UnitPrice ?? null),
        amountCents: cents(line.Amount ?? 0),
        taxable: detail.TaxCodeRef?.value === 'TAX',
      });
    }
  }
  return out;
}

export function linesToQbo(lines: SalesLine[], refs: RefMap, owner: string): QboLine[] | MappingProblem {
  const out: QboLine[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.kind === 'description') {
      out.push({
        DetailType: 'DescriptionOnly',
        Description: line.description ?? '',
        Amount: centsToQbo(line.amountCents),
      });
      continue;
    }
    if (line.kind === 'discount') {
      out.push({
        DetailType: 'DiscountLineDetail',
        Description: line.description ?? undefined,
        Amount: centsToQbo(line.amountCents),
        DiscountLineDetail: { PercentBased: false },
      });
      continue;
    }
    const item = line.itemId ? refs.qboId('item', line.itemId) : undefined;
    if (line.itemId && !item)
      return new MappingProblem(
        `${owner} line ${i + 1} uses app item ${line.itemId}, which is not in QuickBooks`,
        'make sure the item synced without error (see the items step), then run the sync again',
        'qbsync-missing-item',
      );
    out.push({
      DetailType: 'SalesItemLineDetail',
      Description: line.description ?? undefined,
      Amount: centsToQbo(line.amountCents),
      SalesItemLineDetail: {
        ItemRef: item ? { value: item } : undefined,
        Qty: decimalToNumber(line.quantity),
        UnitPrice: decimalToNumber(line.unitPrice),
        TaxCodeRef: { value: line.taxable ? 'TAX' : 'NON' },
      },
    });
  }
  return out;
}
