import { sql } from 'kysely';
import { syncTransaction } from './appSide';
import type { Db, Trx } from './backend';
import { chunk } from './entities/common';
import { invoiceMapping } from './entities/invoice';
import { fingerprint } from './fingerprint';

/** The canonical fingerprints of these invoices as the app holds them now. */
async function invoiceFingerprints(trx: Trx, tenantId: string, ids: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const load = (part: number[]) => invoiceMapping.loadApp(trx, tenantId, part);
  for (const part of chunk(ids, 1000)) {
    // An invoice whose values the canonical form cannot hold (refused when pushed) has no agreement to follow.
    const rows = await load(part).catch(async () => {
      const one = await Promise.all(part.map((id) => load([id]).catch(() => new Map())));
      return new Map(one.flatMap((m) => [...m]));
    });
    for (const [id, row] of rows) out.set(id, fingerprint(row.canonical));
  }
  return out;
}

/**
 * After payments moved, invoice balances and statuses follow the payments applied to them, and customer balances
 * follow their open invoices — computed the way QuickBooks computes them, so the next pull finds both sides agreeing.
 */
export async function settleBalances(db: Db, tenantId: string): Promise<{ invoices: number; customers: number }> {
  return syncTransaction(db, async (trx) => {
    const moving = await sql<{ id: number }>`
      with paid as (
        select a.invoice_id, sum(a.amount_cents) as cents
        from payment_applications a join payments p on p.id = a.payment_id
        where p.tenant_id = ${tenantId} and p.status = 'active'
        group by a.invoice_id
      )
      select i.id from invoices i left join paid on paid.invoice_id = i.id
      where i.tenant_id = ${tenantId} and i.status in ('open', 'paid')
        and i.balance_cents <> greatest(i.total_cents - coalesce(paid.cents, 0), 0)
    `.execute(trx);
    const ids = moving.rows.map((r) => Number(r.id));
    const before = await invoiceFingerprints(trx, tenantId, ids);
    const invoices = await sql`
      with paid as (
        select a.invoice_id, sum(a.amount_cents) as cents
        from payment_applications a join payments p on p.id = a.payment_id
        where p.tenant_id = ${tenantId} and p.status = 'active'
        group by a.invoice_id
      ), next as (
        select i.id, greatest(i.total_cents - coalesce(paid.cents, 0), 0) as balance
        from invoices i left join paid on paid.invoice_id = i.id
        where i.tenant_id = ${tenantId} and i.status in ('open', 'paid')
      )
      update invoices i
      set balance_cents = next.balance,
          status = case when next.balance = 0 and i.total_cents > 0 then 'paid' else 'open' end
      from next
      where i.id = next.id and (i.balance_cents <> next.balance or i.status <> case when next.balance = 0 and i.total_cents > 0 then 'paid' else 'open' end)
    `.execute(trx);
    // Both sides now hold the balance the payments made (the backend computed it when they were written): the links
    // agree on it, so a later app-only edit of such an invoice is an edit, not a conflict.
    const after = await invoiceFingerprints(trx, tenantId, ids);
    // One statement per thousand invoices (a first import moves every invoice's balance), not one per invoice.
    const moved = [...after].filter(([id, fp]) => before.get(id) !== fp);
    for (const part of chunk(moved, 1000))
      await sql`
        update sync_links l set fingerprint = v.fp
        from unnest(${part.map(([id]) => id)}::bigint[], ${part.map(([, fp]) => fp)}::text[],
                    ${part.map(([id]) => before.get(id) ?? '')}::text[]) as v(app_id, fp, before)
        where l.tenant_id = ${tenantId} and l.entity = 'invoice' and l.app_id = v.app_id and l.fingerprint = v.before
      `.execute(trx);
    const customers = await sql`
      with owed as (
        select customer_id, sum(balance_cents) as cents from invoices
        where tenant_id = ${tenantId} and status = 'open' group by customer_id
      )
      update customers c set balance_cents = coalesce(owed.cents, 0)
      from customers c2 left join owed on owed.customer_id = c2.id
      where c.id = c2.id and c.tenant_id = ${tenantId} and c.balance_cents <> coalesce(owed.cents, 0)
    `.execute(trx);
    return { invoices: Number(invoices.numAffectedRows ?? 0), customers: Number(customers.numAffectedRows ?? 0) };
  });
}
