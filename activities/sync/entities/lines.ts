import type { LineKind } from '../../../schema/tables/app';
import { decimal, text } from './common';

/** A sales line of an invoice or estimate, in canonical form. */
export interface SalesLine {
  kind: LineKind;
  itemId: number | null;
  description: string | null;
  quantity: string | null;
  unitPrice: string | null;
  amountCents: number;
  taxable: boolean;
}

export interface LineRow {
  line_num: number;
  kind: LineKind;
  item_id: number | null;
  description: string | null;
  quantity: string | null;
  unit_price: string | null;
  amount_cents: number;
  taxable: boolean;
}

export function lineFromRow(r: LineRow): SalesLine {
  return {
    kind: r.kind,
    itemId: r.item_id,
    description: text(r.description),
    quantity: r.kind === 'item' ? decimal(r.quantity) : null,
    unitPrice: r.kind === 'item' ? decimal(r.unit_price) : null,
    amountCents: Number(r.amount_cents),
    taxable: r.kind === 'item' ? r.taxable : false,
  };
}

export function lineToRow(line: SalesLine, index: number): LineRow {
  return {
    line_num: index + 1,
    kind: line.kind,
    item_id: line.itemId,
    description: line.description,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    amount_cents: line.amountCents,
    taxable: line.taxable,
  };
}
