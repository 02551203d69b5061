import type { InvoiceStatus } from '../../../schema/tables/app';
import type { AppEntity, AppRow } from '../entity';
import { allocateIds, insertRows, isoDate, text, updateRows } from './common';
import { lineFromRow, lineToRow, writeLines, type SalesLine } from './lines';

export interface InvoiceRecord {
  /** Any QuickBooks DocNumber: up to 21 characters, letters and digits alike. */
  docNumber: string | null;
  customerId: number;
  txnDate: string;
  dueDate: string | null;
  taxCodeId: number | null;
  lines: SalesLine[];
  /** Computed by QuickBooks and carried back to the app, so totals agree to the cent. */
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  balanceCents: number;
  email: string | null;
  customerMemo: string | null;
  privateNote: string | null;
}

export const MAX_DOC_NUMBER = 21;

function statusOf(c: InvoiceRecord): InvoiceStatus {
  return c.balanceCents === 0 && c.totalCents > 0 ? 'paid' : 'open';
}

/** The SQL types of invoiceValues' columns, in its order. */
const INVOICE_TYPES = {
  doc_number: 'text',
  customer_id: 'bigint',
  txn_date: 'date',
  due_date: 'date',
  tax_code_id: 'bigint',
  subtotal_cents: 'bigint',
  tax_cents: 'bigint',
  total_cents: 'bigint',
  balance_cents: 'bigint',
  status: 'text',
  email: 'text',
  customer_memo: 'text',
  private_note: 'text',
};

function invoiceValues(c: InvoiceRecord) {
  return {
    doc_number: c.docNumber,
    customer_id: c.customerId,
    txn_date: c.txnDate,
    due_date: c.dueDate,
    tax_code_id: c.taxCodeId,
    subtotal_cents: c.subtotalCents,
    tax_cents: c.taxCents,
    total_cents: c.totalCents,
    balance_cents: c.balanceCents,
    status: statusOf(c),
    email: c.email,
    customer_memo: c.customerMemo,
    private_note: c.privateNote,
  };
}

export const invoiceMapping: AppEntity<InvoiceRecord> = {
  entity: 'invoice',
  step: 'invoices',
  pull: true,
  push: true,
  label: (c) => (c ? `invoice ${c.docNumber ? `"${c.docNumber}"` : '(no number yet)'}` : 'invoice'),

  appRefs: (c) => [
    { entity: 'customer', id: c.customerId },
    ...(c.taxCodeId ? [{ entity: 'tax_code' as const, id: c.taxCodeId }] : []),
    ...c.lines.flatMap((l) => (l.itemId ? [{ entity: 'item' as const, id: l.itemId }] : [])),
  ],

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('invoices')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    const lines = rows.length
      ? await db
          .selectFrom('invoice_lines')
          .selectAll()
          .where(
            'invoice_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('invoice_id')
          .orderBy('line_num')
          .execute()
      : [];
    const byInvoice = new Map<number, SalesLine[]>();
    for (const l of lines) byInvoice.set(l.invoice_id, [...(byInvoice.get(l.invoice_id) ?? []), lineFromRow(l)]);
    return new Map(
      rows.map((r): [number, AppRow<InvoiceRecord>] => [
        r.id,
        {
          canonical: {
            docNumber: text(r.doc_number),
            customerId: r.customer_id,
            txnDate: isoDate(r.txn_date) ?? '',
            dueDate: isoDate(r.due_date),
            taxCodeId: r.tax_code_id,
            lines: byInvoice.get(r.id) ?? [],
            subtotalCents: Number(r.subtotal_cents),
            taxCents: Number(r.tax_cents),
            totalCents: Number(r.total_cents),
            balanceCents: Number(r.balance_cents),
            email: text(r.email),
            customerMemo: text(r.customer_memo),
            privateNote: text(r.private_note),
          },
          removed: r.status === 'voided' ? 'voided' : r.status === 'deleted' ? 'deleted' : undefined,
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  async matchApp(db, tenantId, records) {
    const numbers = [...new Set(records.map((r) => r.docNumber).filter((d): d is string => !!d))];
    if (numbers.length === 0) return records.map(() => undefined);
    const rows = await db
      .selectFrom('invoices as i')
      .select(['i.id', 'i.doc_number', 'i.customer_id'])
      .where('i.tenant_id', '=', tenantId)
      .where('i.doc_number', 'in', numbers)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_links as l')
              .select('l.app_id')
              .whereRef('l.app_id', '=', 'i.id')
              .where('l.entity', '=', 'invoice')
              .where('l.tenant_id', '=', tenantId),
          ),
        ),
      )
      .orderBy('i.id')
      .execute();
    const taken = new Set<number>();
    return records.map((r) => {
      const hit = rows.find((x) => !taken.has(x.id) && x.doc_number === r.docNumber && x.customer_id === r.customerId);
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = invoiceValues(c);
    let id = appId;
    if (id === undefined)
      id = (
        await trx
          .insertInto('invoices')
          .values({ tenant_id: tenantId, origin: 'quickbooks', ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    else await trx.updateTable('invoices').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await writeLines(trx, id, appId === undefined ? [] : undefined, c.lines);
    return id;
  },

  async updateApp(trx, tenantId, rows) {
    if (rows.length === 0) return;
    await updateRows(
      trx,
      'invoices',
      tenantId,
      INVOICE_TYPES,
      rows.map(({ appId, c }) => ({ id: appId, values: invoiceValues(c) })),
    );
    // Every row's lines read (and locked) in one statement; only the lines that differ are written.
    const current = await trx
      .selectFrom('invoice_lines')
      .select([
        'id',
        'invoice_id',
        'line_num',
        'kind',
        'item_id',
        'description',
        'quantity',
        'unit_price',
        'amount_cents',
        'taxable',
      ])
      .where(
        'invoice_id',
        'in',
        rows.map((r) => r.appId),
      )
      .orderBy('invoice_id')
      .orderBy('line_num')
      .orderBy('id')
      .forUpdate()
      .execute();
    const byInvoice = new Map<number, typeof current>();
    for (const l of current) byInvoice.set(l.invoice_id, [...(byInvoice.get(l.invoice_id) ?? []), l]);
    for (const { appId, c } of rows) await writeLines(trx, appId, byInvoice.get(appId) ?? [], c.lines);
  },

  async createApp(trx, tenantId, cs) {
    const ids = await allocateIds(trx, 'invoices', cs.length);
    const rows = cs.map((c, i) => ({
      id: ids[i],
      tenant_id: tenantId,
      origin: 'quickbooks' as const,
      ...invoiceValues(c),
    }));
    await insertRows(trx, 'invoices', rows);
    const lines = cs.flatMap((c, i) => c.lines.map((line, n) => ({ invoice_id: ids[i], ...lineToRow(line, n) })));
    await insertRows(trx, 'invoice_lines', lines);
    return ids;
  },

  async removeApp(trx, tenantId, appId, how) {
    await trx
      .updateTable('invoices')
      .set({ status: how === 'voided' ? 'voided' : 'deleted', balance_cents: 0 })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};
