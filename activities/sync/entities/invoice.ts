import type { InvoiceStatus } from '../../../schema/tables/app';
import { MappingProblem, type AppRow, type EntityMapping, type QboObject } from '../mapping';
import { cents, chunk, isoDate, qboString, text } from './common';
import { lineFromRow, linesFromQbo, linesToQbo, lineToRow, type QboLine, type SalesLine } from './lines';

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

interface QboInvoice extends QboObject {
  DocNumber?: string;
  TxnDate?: string;
  DueDate?: string;
  CustomerRef?: { value: string };
  Line?: QboLine[];
  TxnTaxDetail?: { TxnTaxCodeRef?: { value: string }; TotalTax?: number };
  TotalAmt?: number;
  Balance?: number;
  BillEmail?: { Address?: string };
  CustomerMemo?: { value?: string };
  PrivateNote?: string;
}

export const MAX_DOC_NUMBER = 21;

function isVoided(q: QboInvoice): boolean {
  // QuickBooks keeps a voided invoice with zero amounts and "Voided" in its private note.
  return typeof q.PrivateNote === 'string' && /^Voided\b/.test(q.PrivateNote) && Number(q.TotalAmt ?? 0) === 0;
}

function statusOf(c: InvoiceRecord): InvoiceStatus {
  return c.balanceCents === 0 && c.totalCents > 0 ? 'paid' : 'open';
}

export const invoiceMapping: EntityMapping<InvoiceRecord> = {
  entity: 'invoice',
  step: 'invoices',
  qboName: 'Invoice',
  pull: true,
  push: true,
  qboRemoval: 'void',
  qboRemoved: (raw) => (isVoided(raw as QboInvoice) ? 'voided' : undefined),
  label: (c) => (c ? `invoice ${c.docNumber ? `"${c.docNumber}"` : '(no number yet)'}` : 'invoice'),

  qboRefs(raw) {
    const q = raw as QboInvoice;
    return [
      ...(q.CustomerRef?.value ? [{ entity: 'customer' as const, id: q.CustomerRef.value }] : []),
      ...(q.TxnTaxDetail?.TxnTaxCodeRef?.value
        ? [{ entity: 'tax_code' as const, id: q.TxnTaxDetail.TxnTaxCodeRef.value }]
        : []),
      ...(q.Line ?? []).flatMap((l) =>
        l.SalesItemLineDetail?.ItemRef?.value
          ? [{ entity: 'item' as const, id: l.SalesItemLineDetail.ItemRef.value }]
          : [],
      ),
    ];
  },

  fromQbo(raw, refs) {
    const q = raw as QboInvoice;
    const owner = `invoice ${q.DocNumber ? `"${q.DocNumber}"` : q.Id}`;
    const customerId = refs.appId('customer', q.CustomerRef?.value);
    if (customerId === undefined)
      return new MappingProblem(
        `${owner} is for QuickBooks customer ${q.CustomerRef?.value ?? '(none)'}, which is not in the app`,
        'make sure the customer synced without error (see the customers step), then run the sync again',
        'qbsync-missing-customer',
      );
    const lines = linesFromQbo(q.Line, refs, owner);
    if (lines instanceof MappingProblem) return lines;
    const taxCodeRef = q.TxnTaxDetail?.TxnTaxCodeRef?.value;
    const taxCodeId = taxCodeRef ? refs.appId('tax_code', taxCodeRef) : null;
    if (taxCodeRef && taxCodeId === undefined)
      return new MappingProblem(
        `${owner} uses QuickBooks tax code ${taxCodeRef}, which is not in the app`,
        'run the sync again (tax codes are read in the taxes step)',
        'qbsync-missing-tax-code',
      );
    const taxCents = cents(q.TxnTaxDetail?.TotalTax ?? 0);
    const totalCents = cents(q.TotalAmt ?? 0);
    return {
      docNumber: text(q.DocNumber),
      customerId,
      txnDate: isoDate(q.TxnDate) ?? '',
      dueDate: isoDate(q.DueDate),
      taxCodeId: taxCodeId ?? null,
      lines,
      subtotalCents: totalCents - taxCents,
      taxCents,
      totalCents,
      balanceCents: cents(q.Balance ?? 0),
      email: text(q.BillEmail?.Address),
      customerMemo: text(q.CustomerMemo?.value),
      privateNote: text(q.PrivateNote),
    };
  },

  appRefs: (c) => [
    { entity: 'customer', id: c.customerId },
    ...(c.taxCodeId ? [{ entity: 'tax_code' as const, id: c.taxCodeId }] : []),
    ...c.lines.flatMap((l) => (l.itemId ? [{ entity: 'item' as const, id: l.itemId }] : [])),
  ],

  toQbo(c, refs, base) {
    const owner = invoiceMapping.label(c);
    if (c.docNumber && c.docNumber.length > MAX_DOC_NUMBER) {
      return new MappingProblem(
        `${owner} has a number of ${c.docNumber.length} characters; QuickBooks allows ${MAX_DOC_NUMBER}`,
        `shorten the invoice number to ${MAX_DOC_NUMBER} characters in the app`,
        '6000',
      );
    }
    const customer = refs.qboId('customer', c.customerId);
    if (!customer)
      return new MappingProblem(
        `${owner} is for app customer ${c.customerId}, which is not in QuickBooks`,
        'make sure the customer synced without error (see the customers step), then run the sync again',
        'qbsync-missing-customer',
      );
    if (c.lines.length === 0)
      return new MappingProblem(
        `${owner} has no lines; QuickBooks needs at least one`,
        'add a line to the invoice in the app',
        'qbsync-no-lines',
      );
    const lines = linesToQbo(c.lines, refs, owner);
    if (lines instanceof MappingProblem) return lines;
    const body: Record<string, unknown> = {
      CustomerRef: { value: customer },
      TxnDate: c.txnDate,
      DueDate: c.dueDate ?? undefined,
      Line: lines,
      BillEmail: c.email ? { Address: c.email } : undefined,
      CustomerMemo: c.customerMemo ? { value: c.customerMemo } : undefined,
      PrivateNote: c.privateNote ?? undefined,
    };
    // With custom numbers off QuickBooks numbers new invoices itself (and the number is stamped back); on, the app's is used.
    if (c.docNumber && (refs.customTxnNumbers || base)) body.DocNumber = c.docNumber;
    if (c.taxCodeId) {
      const taxCode = refs.qboId('tax_code', c.taxCodeId);
      if (!taxCode)
        return new MappingProblem(
          `${owner} uses app tax code ${c.taxCodeId}, which did not come from QuickBooks`,
          'choose a tax code that exists in QuickBooks',
          'qbsync-missing-tax-code',
        );
      body.TxnTaxDetail = { TxnTaxCodeRef: { value: taxCode } };
    }
    if (base) Object.assign(body, { Id: base.Id, SyncToken: base.SyncToken, sparse: true });
    return body;
  },

  qboMatchQueries: (records) =>
    chunk(
      [...new Set(records.map((r) => r.docNumber).filter((d): d is string => !!d && d.length <= MAX_DOC_NUMBER))],
      50,
    ).map((numbers) => `SELECT * FROM Invoice WHERE DocNumber IN (${numbers.map(qboString).join(', ')})`),

  pickQboMatch(c, candidates) {
    if (!c.docNumber) return undefined;
    const i = candidates.findIndex((x) => x.docNumber === c.docNumber && x.customerId === c.customerId);
    return i >= 0 ? i : undefined;
  },

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
    const values = {
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
    // A new record has no rows to replace.
    if (appId !== undefined) await trx.deleteFrom('invoice_lines').where('invoice_id', '=', id).execute();
    if (c.lines.length)
      await trx
        .insertInto('invoice_lines')
        .values(c.lines.map((l, i) => ({ invoice_id: id!, ...lineToRow(l, i) })))
        .execute();
    return id;
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
