import { cents, chunk, isoDate, text } from '../../../sync/entities/common';
import { invoiceMapping, type InvoiceRecord } from '../../../sync/entities/invoice';
import { MappingProblem } from '../../../sync/entity';
import { select } from '../../../quickbooks/query';
import type { QboEntity, QboObject } from '../entity';
import { textToQbo } from './common';
import { linesFromQbo, linesToQbo, type QboLine } from './lines';

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

export const invoice: QboEntity<InvoiceRecord> = {
  entity: 'invoice',
  qboName: 'Invoice',
  qboRemoval: 'void',
  qboRemoved: (raw) => (isVoided(raw as QboInvoice) ? 'voided' : undefined),

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
    const clearing = !!base;
    const email = textToQbo(c.email, clearing);
    const memo = textToQbo(c.customerMemo, clearing);
    const body: Record<string, unknown> = {
      CustomerRef: { value: customer },
      TxnDate: c.txnDate,
      // QuickBooks cannot hold an invoice without a due date: it fills one in from the terms (stamped back).
      DueDate: c.dueDate ?? undefined,
      Line: lines,
      BillEmail: email === undefined ? undefined : { Address: email },
      CustomerMemo: memo === undefined ? undefined : { value: memo },
      PrivateNote: textToQbo(c.privateNote, clearing),
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
    ).map((numbers) => select('Invoice').whereIn('DocNumber', numbers)),

  pickQboMatch(c, candidates) {
    if (!c.docNumber) return undefined;
    const i = candidates.findIndex((x) => x.docNumber === c.docNumber && x.customerId === c.customerId);
    return i >= 0 ? i : undefined;
  },
};
