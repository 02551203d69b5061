import type { AppEntity, AppRow } from '../entity';
import { allocateIds, insertRows, isoDate, text } from './common';

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

export const paymentMapping: AppEntity<PaymentRecord> = {
  entity: 'payment',
  step: 'payments',
  pull: true,
  push: true,
  label: (c) =>
    c
      ? `payment of ${(c.amountCents / 100).toFixed(2)} on ${c.txnDate}${c.reference ? ` (ref ${c.reference})` : ''}`
      : 'payment',

  appRefs: (c) => [
    { entity: 'customer', id: c.customerId },
    ...c.applications.map((a) => ({ entity: 'invoice' as const, id: a.invoiceId })),
  ],

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
    const values = paymentValues(c);
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

  async createApp(trx, tenantId, cs) {
    const ids = await allocateIds(trx, 'payments', cs.length);
    const rows = cs.map((c, i) => ({ id: ids[i], tenant_id: tenantId, ...paymentValues(c) }));
    await insertRows(trx, 'payments', rows);
    const applications = cs.flatMap((c, i) =>
      c.applications.map((a) => ({ payment_id: ids[i], invoice_id: a.invoiceId, amount_cents: a.amountCents })),
    );
    await insertRows(trx, 'payment_applications', applications);
    return ids;
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

function paymentValues(c: PaymentRecord) {
  const applied = c.applications.reduce((sum, a) => sum + a.amountCents, 0);
  return {
    customer_id: c.customerId,
    txn_date: c.txnDate,
    amount_cents: c.amountCents,
    unapplied_cents: c.amountCents - applied,
    reference: c.reference,
    status: 'active' as const,
  };
}
