import { sql } from 'kysely';
import type { Db } from '../schema/db';

export interface CompanySize {
  customers: number;
  items: number;
  invoices: number;
  payments: number;
  maxLinesPerInvoice: number;
}

/**
 * A whole company written straight into the app's tables, in a few set-based statements, the way an app with years of
 * history would hold it before its first sync. The change-log triggers run, so every row is a pending change to push.
 * Deterministic: amounts and choices derive from row numbers.
 */
export async function seedAppCompany(db: Db, tenantId: string, size: CompanySize): Promise<Record<string, number>> {
  await db.transaction().execute(async (trx) => {
    await sql`
      insert into customers (tenant_id, display_name, given_name, family_name, email, phone, billing_address)
      select ${tenantId}, 'Bench Customer ' || g, 'Given' || g, 'Family' || (g % 97), 'customer' || g || '@example.com',
             '(312) 555-' || lpad((g % 10000)::text, 4, '0'),
             jsonb_build_object('line1', g || ' Main St', 'city', 'Chicago', 'region', 'IL', 'postalCode', '60601', 'country', 'US')
      from generate_series(1, ${size.customers}) g`.execute(trx);
    await sql`
      insert into items (tenant_id, type, name, sku, description, unit_price, income_account, taxable)
      select ${tenantId}, case when g % 4 = 0 then 'NonInventory' else 'Service' end, 'Bench Product ' || g, 'BSKU' || g,
             'Product number ' || g, ((100 + g % 900) / 10.0)::numeric(18, 5), '1', false
      from generate_series(1, ${size.items}) g`.execute(trx);
    await sql`
      create temporary table bench_invoice_plan on commit drop as
      select g as n, c.id as customer_id, 1 + (g * 7919) % ${size.maxLinesPerInvoice} as lines, date '2026-01-01' + (g % 300) as txn_date
      from generate_series(1, ${size.invoices}) g
      join (select id, row_number() over (order by id) - 1 as k from customers where tenant_id = ${tenantId}) c on c.k = g % ${size.customers}`.execute(
      trx,
    );
    await sql`
      insert into invoices (tenant_id, customer_id, txn_date, status)
      select ${tenantId}, customer_id, txn_date, 'open' from bench_invoice_plan order by n`.execute(trx);
    await sql`
      with numbered as (
        select i.id, row_number() over (order by i.id) as n from invoices i where i.tenant_id = ${tenantId}
      ), item_ids as (
        select id, row_number() over (order by id) - 1 as k from items where tenant_id = ${tenantId}
      )
      insert into invoice_lines (invoice_id, line_num, item_id, description, quantity, unit_price, amount_cents, taxable)
      select nb.id, l, it.id, 'Line ' || l, (1 + (nb.n + l) % 5)::numeric, ((500 + (nb.n * 31 + l * 17) % 20000) / 100.0)::numeric(18, 5),
             (1 + (nb.n + l) % 5) * (500 + (nb.n * 31 + l * 17) % 20000), false
      from numbered nb
      join bench_invoice_plan p on p.n = nb.n
      cross join lateral generate_series(1, p.lines) l
      join item_ids it on it.k = (nb.n * 13 + l) % ${size.items}`.execute(trx);
    await sql`
      update invoices i set subtotal_cents = t.s, total_cents = t.s, balance_cents = t.s
      from (select invoice_id, sum(amount_cents) as s from invoice_lines group by invoice_id) t
      where t.invoice_id = i.id and i.tenant_id = ${tenantId}`.execute(trx);
    // One payment per invoice, for the first `payments` invoices: the whole balance, or half of it.
    await sql`
      create temporary table bench_payment_plan on commit drop as
      select i.id as invoice_id, i.customer_id, i.txn_date, case when n % 5 < 3 then i.total_cents else i.total_cents / 2 end as amount, n
      from (select id, customer_id, txn_date, total_cents, row_number() over (order by id) as n from invoices where tenant_id = ${tenantId}) i
      where n <= ${size.payments}`.execute(trx);
    await sql`
      insert into payments (tenant_id, customer_id, txn_date, amount_cents, reference)
      select ${tenantId}, customer_id, txn_date, amount, 'PMT' || n from bench_payment_plan order by n`.execute(trx);
    await sql`
      insert into payment_applications (payment_id, invoice_id, amount_cents)
      select p.id, pp.invoice_id, pp.amount
      from payments p join bench_payment_plan pp on p.reference = 'PMT' || pp.n
      where p.tenant_id = ${tenantId}`.execute(trx);
  });
  const count = async (table: 'customers' | 'items' | 'invoices' | 'payments') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select(db.fn.countAll().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    customers: await count('customers'),
    items: await count('items'),
    invoices: await count('invoices'),
    payments: await count('payments'),
  };
}
