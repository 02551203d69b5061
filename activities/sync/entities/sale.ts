import { sql } from 'kysely';
import type { LineKind } from '../../../schema/tables/app';
import type { SaleQboEntity } from '../../../schema/tables/orderTaking';
import type { Db, Trx } from '../backend';
import type { AppEntity } from '../entity';
import type { TransferKind } from '../orderTaking/settings';
import { cents, centsToDecimal, decimal, isoDate, text } from './common';

/** A sale of an order-taking app as the handoff reads it. Amounts are decimal strings, never floats. */
export interface SaleRecord {
  id: number;
  type: string;
  status: string;
  number: string | null;
  customerId: number;
  txnDate: string;
  dueDate: string | null;
  taxCodeId: number | null;
  memo: string | null;
  privateNote: string | null;
  lines: SaleLine[];
  /** Set once QuickBooks accepted the sale: from then on it is QuickBooks' and never sent again. */
  handedOver: { at: Date; entity: SaleQboEntity | null; qboId: string | null; docNumber: string | null } | null;
}

export interface SaleLine {
  kind: LineKind;
  itemId: number | null;
  description: string | null;
  quantity: string | null;
  unitPrice: string | null;
  amount: string;
  taxCodeId: number | null;
}

export function saleLabel(s: Pick<SaleRecord, 'id' | 'type' | 'number'>): string {
  return `sale ${s.number ? `"${s.number}"` : '(no number)'} (${s.type}, app ${s.id})`;
}

/** The sales with these ids and their lines, in id order. */
export async function loadSales(db: Db | Trx, tenantId: string, ids: number[]): Promise<Map<number, SaleRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('sales')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
  const lines = rows.length
    ? await db
        .selectFrom('sale_lines')
        .selectAll()
        .where(
          'sale_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('sale_id')
        .orderBy('line_num')
        .execute()
    : [];
  const bySale = new Map<number, SaleLine[]>();
  for (const l of lines) {
    bySale.set(l.sale_id, [
      ...(bySale.get(l.sale_id) ?? []),
      {
        kind: l.kind,
        itemId: l.item_id,
        description: text(l.description),
        quantity: decimal(l.quantity),
        unitPrice: decimal(l.unit_price),
        amount: decimal(l.amount) ?? '0',
        taxCodeId: l.tax_code_id,
      },
    ]);
  }
  return new Map(
    rows.map((r): [number, SaleRecord] => [
      r.id,
      {
        id: r.id,
        type: r.type,
        status: r.status,
        number: text(r.number),
        customerId: r.customer_id,
        txnDate: isoDate(r.txn_date) ?? '',
        dueDate: isoDate(r.due_date),
        taxCodeId: r.tax_code_id,
        memo: text(r.memo),
        privateNote: text(r.private_note),
        lines: bySale.get(r.id) ?? [],
        handedOver: r.handed_over_at
          ? { at: r.handed_over_at, entity: r.qbo_entity, qboId: r.qbo_id, docNumber: r.qbo_doc_number }
          : null,
      },
    ]),
  );
}

/** What QuickBooks made of a sale: its transaction, number and totals (tax as QuickBooks computed it). */
export interface AcceptedSale {
  entity: SaleQboEntity;
  qboId: string;
  docNumber: string | null;
  totalCents: number;
  taxCents: number;
  /** The due date QuickBooks gave an invoice from its terms, for a sale that had none. */
  dueDate?: string | null;
}

/**
 * The handoff on the app side: the sale takes the tenant's "done" status, QuickBooks' Id and DocNumber and its totals.
 * Run by the sync (no change is logged) in the transaction that also writes the link.
 */
export async function handOverSale(
  trx: Trx,
  tenantId: string,
  saleId: number,
  accepted: AcceptedSale,
  doneStatus: string,
  at: Date,
): Promise<void> {
  await trx
    .updateTable('sales')
    .set({
      status: doneStatus,
      qbo_entity: accepted.entity,
      qbo_id: accepted.qboId,
      qbo_doc_number: accepted.docNumber,
      handed_over_at: at,
      subtotal: centsToDecimal(accepted.totalCents - accepted.taxCents),
      tax: centsToDecimal(accepted.taxCents),
      total: centsToDecimal(accepted.totalCents),
      ...(accepted.dueDate ? { due_date: sql<string>`coalesce(due_date, ${accepted.dueDate}::date)` } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', saleId)
    .execute();
}

/** The sum of a sale's lines in cents (discounts subtract), to compare with QuickBooks' subtotal. */
export function linesCents(lines: SaleLine[]): number {
  return lines.reduce(
    (sum, l) =>
      l.kind === 'description' ? sum : l.kind === 'discount' ? sum - Math.abs(cents(l.amount)) : sum + cents(l.amount),
    0,
  );
}

/** A sale as the handoff sends it: the record, how it transfers, and where orders go when the backend has no orders. */
export interface SaleToSend extends SaleRecord {
  transfer: { kind: TransferKind; orderAs: 'Estimate' | 'Invoice' };
}

/**
 * Sales on the app side: read by the handoff (orderTaking/handoff.ts), never written by a pull. What the backend
 * answers for a sale handed over (its document, number and totals) is taken by `settle`, with the tenant's done status.
 */
export const saleEntity: AppEntity<SaleRecord> = {
  entity: 'sale',
  step: 'invoices',
  pull: false,
  push: true,
  label: (s) => (s ? saleLabel(s) : 'sale'),
  appRefs: (s) => [
    { entity: 'customer', id: s.customerId },
    ...s.lines.flatMap((l) => (l.itemId ? [{ entity: 'item' as const, id: l.itemId }] : [])),
    ...[s.taxCodeId, ...s.lines.map((l) => l.taxCodeId)].flatMap((id) =>
      id ? [{ entity: 'tax_code' as const, id }] : [],
    ),
  ],
  async loadApp(db, tenantId, ids) {
    const sales = await loadSales(db, tenantId, ids);
    const rows = ids.length
      ? await db
          .selectFrom('sales')
          .select(['id', 'updated_at'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', ids)
          .execute()
      : [];
    const updated = new Map(rows.map((r) => [r.id, r.updated_at]));
    return new Map(
      [...sales].map(([id, sale]) => [id, { canonical: sale, updatedAt: updated.get(id) ?? new Date(0) }]),
    );
  },
  matchApp: async (_db, _tenantId, records) => records.map(() => undefined),
  async writeApp() {
    throw new Error('sales are written by the app; the sync only hands them over (saleEntity.settle)');
  },
  async removeApp() {},
  async settle(trx, tenantId, appId, answer, settleWith, at) {
    await handOverSale(
      trx,
      tenantId,
      appId,
      answer as AcceptedSale,
      (settleWith as { doneStatus: string }).doneStatus,
      at,
    );
  },
};
