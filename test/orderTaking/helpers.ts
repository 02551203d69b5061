import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import type { Stack } from '../helpers/stack';

/** Order-taking settings the tests use: a draft status, and tenant-defined types of which some never transfer. */
export const ORDER_TAKING = {
  statuses: ['Draft', 'Open', 'Closed'],
  saleTypes: ['Invoice', 'Quote', 'Order', 'Sales Order', 'Credit Note'],
  transferAs: { 'Sales Order': 'Order' },
};

export async function appIdByName(
  db: Db,
  tenantId: string,
  table: 'customers' | 'items' | 'tax_codes',
  name: string,
): Promise<number> {
  const column = table === 'customers' ? 'display_name' : 'name';
  const row = await sql<{
    id: number;
  }>`select id from ${sql.table(table)} where tenant_id = ${tenantId} and ${sql.ref(column)} = ${name}`.execute(db);
  if (row.rows.length !== 1) throw new Error(`expected one ${table} row named ${name}, found ${row.rows.length}`);
  return Number(row.rows[0].id);
}

export async function qboIdOf(db: Db, tenantId: string, entity: string, appId: number): Promise<string | undefined> {
  return (
    await db
      .selectFrom('sync_links')
      .select('remote_id')
      .where('tenant_id', '=', tenantId)
      .where('entity', '=', entity)
      .where('app_id', '=', appId)
      .executeTakeFirst()
  )?.remote_id;
}

export interface SaleInput {
  type: string;
  status: string;
  number?: string | null;
  customerId: number;
  taxCodeId?: number | null;
  privateNote?: string;
  lines: Array<{ itemId: number; qty: string; price: string; amount: string; taxCodeId?: number | null }>;
}

/** A sale as the order-taking app writes it (logged in app_changes by the triggers, like any app write). */
export async function addSale(db: Db, tenantId: string, sale: SaleInput): Promise<number> {
  const subtotal = sale.lines.reduce((sum, l) => sum + Math.round(Number(l.amount) * 100), 0) / 100;
  return db.transaction().execute(async (trx) => {
    const id = (
      await trx
        .insertInto('sales')
        .values({
          tenant_id: tenantId,
          type: sale.type,
          status: sale.status,
          number: sale.number ?? null,
          customer_id: sale.customerId,
          txn_date: '2026-11-20',
          due_date: '2026-12-20',
          tax_code_id: sale.taxCodeId ?? null,
          subtotal: subtotal.toFixed(2),
          total: subtotal.toFixed(2),
          memo: 'Thank you',
          private_note: sale.privateNote ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await trx
      .insertInto('sale_lines')
      .values(
        sale.lines.map((l, i) => ({
          sale_id: id,
          line_num: i + 1,
          item_id: l.itemId,
          quantity: l.qty,
          unit_price: l.price,
          amount: l.amount,
          tax_code_id: l.taxCodeId ?? null,
        })),
      )
      .execute();
    return id;
  });
}

export async function saleRow(db: Db, id: number) {
  return db.selectFrom('sales').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** QuickBooks sales documents of a realm, by entity. */
export async function qboDocs(stack: Stack, realmId: string) {
  type Doc = {
    Id: string;
    DocNumber?: string;
    TotalAmt: number;
    PrivateNote?: string;
    TxnStatus?: string;
    CustomerRef: { value: string };
    TxnTaxDetail?: { TotalTax?: number };
  };
  return {
    invoices: await stack.admin.entities<Doc>(realmId, 'Invoice'),
    estimates: await stack.admin.entities<Doc>(realmId, 'Estimate'),
  };
}

/** Problems recorded for a tenant's runs, newest last. */
export async function problems(db: Db, tenantId: string) {
  return db.selectFrom('sync_problems').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function pendingChanges(db: Db, tenantId: string, entity: string): Promise<number> {
  const row = await db
    .selectFrom('app_changes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
