import { centsToQbo } from '../../../money';
import { cents, chunk, isoDate, text } from '../../../sync/entities/common';
import { paymentMapping, type PaymentRecord } from '../../../sync/entities/payment';
import { MappingProblem } from '../../../sync/entity';
import { select } from '../../../quickbooks/query';
import type { QboEntity, QboObject } from '../entity';

interface QboPayment extends QboObject {
  CustomerRef?: { value: string };
  TxnDate?: string;
  TotalAmt?: number;
  UnappliedAmt?: number;
  PaymentRefNum?: string;
  PrivateNote?: string;
  Line?: Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }>;
}

function isVoided(q: QboPayment): boolean {
  return typeof q.PrivateNote === 'string' && /^Voided\b/.test(q.PrivateNote) && Number(q.TotalAmt ?? 0) === 0;
}

export const payment: QboEntity<PaymentRecord> = {
  entity: 'payment',
  qboName: 'Payment',
  qboRemoval: 'void',
  qboRemoved: (raw) => (isVoided(raw as QboPayment) ? 'voided' : undefined),

  qboRefs(raw) {
    const q = raw as QboPayment;
    return [
      ...(q.CustomerRef?.value ? [{ entity: 'customer' as const, id: q.CustomerRef.value }] : []),
      ...(q.Line ?? []).flatMap((l) =>
        (l.LinkedTxn ?? [])
          .filter((t) => t.TxnType === 'Invoice')
          .map((t) => ({ entity: 'invoice' as const, id: t.TxnId })),
      ),
    ];
  },

  fromQbo(raw, refs) {
    const q = raw as QboPayment;
    const customerId = refs.appId('customer', q.CustomerRef?.value);
    if (customerId === undefined)
      return new MappingProblem(
        `payment ${q.Id} is from QuickBooks customer ${q.CustomerRef?.value ?? '(none)'}, which is not in the app`,
        'make sure the customer synced without error, then run the sync again',
        'qbsync-missing-customer',
      );
    const byInvoice = new Map<number, number>();
    for (const line of q.Line ?? []) {
      for (const linked of line.LinkedTxn ?? []) {
        if (linked.TxnType !== 'Invoice') continue;
        const invoiceId = refs.appId('invoice', linked.TxnId);
        if (invoiceId === undefined)
          return new MappingProblem(
            `payment ${q.Id} pays QuickBooks invoice ${linked.TxnId}, which is not in the app`,
            'make sure the invoice synced without error (see the invoices step), then run the sync again',
            'qbsync-missing-invoice',
          );
        byInvoice.set(invoiceId, (byInvoice.get(invoiceId) ?? 0) + cents(line.Amount ?? 0));
      }
    }
    return {
      customerId,
      txnDate: isoDate(q.TxnDate) ?? '',
      amountCents: cents(q.TotalAmt ?? 0),
      reference: text(q.PaymentRefNum),
      applications: [...byInvoice]
        .map(([invoiceId, amountCents]) => ({ invoiceId, amountCents }))
        .sort((a, b) => a.invoiceId - b.invoiceId),
    };
  },

  toQbo(c, refs, base) {
    const owner = paymentMapping.label(c);
    const customer = refs.qboId('customer', c.customerId);
    if (!customer)
      return new MappingProblem(
        `${owner} is from app customer ${c.customerId}, which is not in QuickBooks`,
        'make sure the customer synced without error, then run the sync again',
        'qbsync-missing-customer',
      );
    const applied = c.applications.reduce((sum, a) => sum + a.amountCents, 0);
    if (applied > c.amountCents)
      return new MappingProblem(
        `${owner} applies ${(applied / 100).toFixed(2)} to invoices, more than its amount`,
        'correct the amounts applied to invoices in the app',
        'qbsync-over-applied',
      );
    const lines = [];
    for (const a of c.applications) {
      const invoice = refs.qboId('invoice', a.invoiceId);
      if (!invoice)
        return new MappingProblem(
          `${owner} pays app invoice ${a.invoiceId}, which is not in QuickBooks`,
          'make sure the invoice synced without error (see the invoices step), then run the sync again',
          'qbsync-missing-invoice',
        );
      lines.push({ Amount: centsToQbo(a.amountCents), LinkedTxn: [{ TxnId: invoice, TxnType: 'Invoice' }] });
    }
    const body: Record<string, unknown> = {
      CustomerRef: { value: customer },
      TxnDate: c.txnDate,
      TotalAmt: centsToQbo(c.amountCents),
      PaymentRefNum: c.reference ?? undefined,
      Line: lines,
    };
    if (base) Object.assign(body, { Id: base.Id, SyncToken: base.SyncToken, sparse: true });
    return body;
  },

  qboMatchQueries: (records) =>
    chunk([...new Set(records.map((r) => r.txnDate))], 30).map((dates) =>
      select('Payment').whereIn('TxnDate', dates).maxResults(1000),
    ),

  pickQboMatch(c, candidates) {
    const i = candidates.findIndex(
      (x) =>
        x.customerId === c.customerId &&
        x.txnDate === c.txnDate &&
        x.amountCents === c.amountCents &&
        (x.reference ?? null) === (c.reference ?? null),
    );
    return i >= 0 ? i : undefined;
  },
};
