import type { LineKind } from '../../../schema/tables/app';
import type { Trx } from '../backend';
import { stableJson } from '../fingerprint';
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

/**
 * Writes an invoice's lines in place: the n-th line updates the app's n-th row (by line number), so the app's line ids
 * stay what they were and an app edit of a line by id, racing or following a sync write, still finds its row. Extra
 * lines are added, surplus rows removed. `existing` is known to be empty for a new invoice.
 */
export async function writeLines(
  trx: Trx,
  invoiceId: number,
  existing: Array<LineRow & { id: number }> | undefined,
  lines: SalesLine[],
) {
  const rows =
    existing ??
    (await trx
      .selectFrom('invoice_lines')
      .select(['id', 'line_num', 'kind', 'item_id', 'description', 'quantity', 'unit_price', 'amount_cents', 'taxable'])
      .where('invoice_id', '=', invoiceId)
      .orderBy('line_num')
      .orderBy('id')
      .forUpdate()
      .execute());
  const added = lines
    .slice(rows.length)
    .map((line, i) => ({ invoice_id: invoiceId, ...lineToRow(line, rows.length + i) }));
  for (const [i, line] of lines.slice(0, rows.length).entries()) {
    const row = lineToRow(line, i);
    // Most writes (numbers and totals stamped back) leave the lines as they are: only a changed line is written.
    const current = rows[i];
    if (row.line_num === current.line_num && stableJson(lineFromRow(current)) === stableJson(line)) continue;
    await trx.updateTable('invoice_lines').set(row).where('id', '=', current.id).execute();
  }
  if (added.length) await trx.insertInto('invoice_lines').values(added).execute();
  const surplus = rows.slice(lines.length).map((r) => r.id);
  if (surplus.length) await trx.deleteFrom('invoice_lines').where('id', 'in', surplus).execute();
}
