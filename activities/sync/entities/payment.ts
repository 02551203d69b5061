import { MappingProblem, type AppRow, type EntityMapping, type QboObject } from '../mapping';
import { cents, centsToAmount, chunk, isoDate, text } from './common';

export interface PaymentApplication {
  invoiceId: number;
  amountCents: number;
}

export interface PaymentRecord {
  customerId: number;
  txnDate: string;
  amountCents: number;
  reference: string | null;
  /** Ordered by invoice id. */
  applications: PaymentApplication[];
}

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

export const paymentMapping: EntityMapping<PaymentRecord> = {
  entity: 'payment',
  step: 'payments',
  qboName: 'Payment',
  pull: true,
  push: true,
  qboRemoval: 'void',
  qboRemoved: (raw) => (isVoided(raw as QboPayment) ? 'voided' : undefined),
  label: (c) =>
    c
      ? `payment of ${(c.amountCents / 100).toFixed(2)} on ${c.txnDate}${c.reference ? ` (ref ${c.reference})` : ''}`
      : 'payment',

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

  appRefs: (c) => [
    { entity: 'customer', id: c.customerId },
    ...c.applications.map((a) => ({ entity: 'invoice' as const, id: a.invoiceId })),
  ],

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
      lines.push({ Amount: centsToAmount(a.amountCents), LinkedTxn: [{ TxnId: invoice, TxnType: 'Invoice' }] });
    }
    const body: Record<string, unknown> = {
      CustomerRef: { value: customer },
      TxnDate: c.txnDate,
      TotalAmt: centsToAmount(c.amountCents),
      PaymentRefNum: c.reference ?? undefined,
      Line: lines,
    };
    if (base) Object.assign(body, { Id: base.Id, SyncToken: base.SyncToken, sparse: true });
    return body;
  },

  qboMatchQueries: (records) =>
    chunk([...new Set(records.map((r) => r.txnDate))], 30).map(
      (dates) => `SELECT * FROM Payment WHERE TxnDate IN (${dates.map((d) => `'${d}'`).join(', ')}) MAXRESULTS 1000`,
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

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('payments')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    const apps = rows.length
      ? await db
          .selectFrom('payment_applications')
          .selectAll()
          .where(
            'payment_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('invoice_id')
          .execute()
      : [];
    return new Map(
      rows.map((r): [number, AppRow<PaymentRecord>] => [
        r.id,
        {
          canonical: {
            customerId: r.customer_id,
            txnDate: isoDate(r.txn_date) ?? '',
            amountCents: Number(r.amount_cents),
            reference: text(r.reference),
            applications: apps
              .filter((a) => a.payment_id === r.id)
              .map((a) => ({ invoiceId: a.invoice_id, amountCents: Number(a.amount_cents) })),
          },
          removed: r.status === 'voided' ? 'voided' : r.status === 'deleted' ? 'deleted' : undefined,
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  async matchApp(db, tenantId, records) {
    if (records.length === 0) return [];
    const dates = [...new Set(records.map((r) => r.txnDate))];
    const rows = await db
      .selectFrom('payments as p')
      .select(['p.id', 'p.customer_id', 'p.txn_date', 'p.amount_cents', 'p.reference'])
      .where('p.tenant_id', '=', tenantId)
      .where('p.txn_date', 'in', dates)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_links as l')
              .select('l.app_id')
              .whereRef('l.app_id', '=', 'p.id')
              .where('l.entity', '=', 'payment')
              .where('l.tenant_id', '=', tenantId),
          ),
        ),
      )
      .orderBy('p.id')
      .execute();
    const taken = new Set<number>();
    return records.map((r) => {
      const hit = rows.find(
        (x) =>
          !taken.has(x.id) &&
          x.customer_id === r.customerId &&
          isoDate(x.txn_date) === r.txnDate &&
          Number(x.amount_cents) === r.amountCents &&
          (text(x.reference) ?? null) === r.reference,
      );
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const applied = c.applications.reduce((sum, a) => sum + a.amountCents, 0);
    const values = {
      customer_id: c.customerId,
      txn_date: c.txnDate,
      amount_cents: c.amountCents,
      unapplied_cents: c.amountCents - applied,
      reference: c.reference,
      status: 'active' as const,
    };
    let id = appId;
    if (id === undefined)
      id = (
        await trx
          .insertInto('payments')
          .values({ tenant_id: tenantId, ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    else await trx.updateTable('payments').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    // A new record has no rows to replace.
    if (appId !== undefined) await trx.deleteFrom('payment_applications').where('payment_id', '=', id).execute();
    if (c.applications.length)
      await trx
        .insertInto('payment_applications')
        .values(c.applications.map((a) => ({ payment_id: id!, invoice_id: a.invoiceId, amount_cents: a.amountCents })))
        .execute();
    return id;
  },

  async removeApp(trx, tenantId, appId, how) {
    await trx
      .updateTable('payments')
      .set({ status: how === 'voided' ? 'voided' : 'deleted' })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
    await trx.deleteFrom('payment_applications').where('payment_id', '=', appId).execute();
  },
};
