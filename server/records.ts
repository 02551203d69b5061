import { sql, type Kysely } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../schema/db';
import { problem } from './problem';
import * as s from './schemas';

/**
 * Record reads and writes through the very app tables the sync reads: a write here is an ordinary app write, which
 * the change-log triggers pick up like any other (nothing special, docs/app-contract.md).
 */
interface Children {
  key: 'lines' | 'applications';
  table: string;
  fk: string;
  numbered: boolean;
  refs: Record<string, string>;
}

export interface EntitySpec {
  path: 'customers' | 'items' | 'invoices' | 'payments' | 'sales';
  table: string;
  entity: string;
  write: z.ZodObject;
  read: z.ZodType;
  refs: Record<string, string>;
  json?: string[];
  children?: Children;
  /** The app's mode that owns this table: sales exist in order-taking mode. */
}

export const ENTITIES: EntitySpec[] = [
  {
    path: 'customers',
    table: 'customers',
    entity: 'customer',
    write: s.customerWrite,
    read: s.customer,
    refs: { parent_id: 'customers' },
    json: ['billing_address', 'shipping_address'],
  },
  {
    path: 'items',
    table: 'items',
    entity: 'item',
    write: s.itemWrite,
    read: s.item,
    refs: { tax_code_id: 'tax_codes', parent_id: 'items' },
  },
  {
    path: 'invoices',
    table: 'invoices',
    entity: 'invoice',
    write: s.invoiceWrite,
    read: s.invoice,
    refs: { customer_id: 'customers', tax_code_id: 'tax_codes' },
    children: { key: 'lines', table: 'invoice_lines', fk: 'invoice_id', numbered: true, refs: { item_id: 'items' } },
  },
  {
    path: 'payments',
    table: 'payments',
    entity: 'payment',
    write: s.paymentWrite,
    read: s.payment,
    refs: { customer_id: 'customers' },
    children: {
      key: 'applications',
      table: 'payment_applications',
      fk: 'payment_id',
      numbered: false,
      refs: { invoice_id: 'invoices' },
    },
  },
  {
    path: 'sales',
    table: 'sales',
    entity: 'sale',
    write: s.saleWrite,
    read: s.sale,
    refs: { customer_id: 'customers', tax_code_id: 'tax_codes' },
    children: {
      key: 'lines',
      table: 'sale_lines',
      fk: 'sale_id',
      numbered: true,
      refs: { item_id: 'items', tax_code_id: 'tax_codes' },
    },
  },
];

type Row = Record<string, unknown>;
// Dynamic tables: the entity specs above name them; values are validated by the zod schemas before they get here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (db: Db) => db as unknown as Kysely<any>;

const DATE_COLUMNS = new Set(['txn_date', 'due_date', 'expiration_date']);

/** References must name records of the same tenant (a foreign key alone would accept another tenant's id). */
async function checkRefs(
  db: Db,
  tenant: string,
  refs: Record<string, string>,
  values: Row,
  prefix = '',
): Promise<void> {
  for (const [column, table] of Object.entries(refs)) {
    const value = values[column];
    if (value === undefined || value === null) continue;
    const found = await sql<{
      id: number;
    }>`select id from ${sql.table(table)} where id = ${value} and tenant_id = ${tenant}`.execute(db);
    if (found.rows.length === 0)
      throw problem.unprocessable(
        `${prefix}${column}`,
        'body',
        `${prefix}${column} ${String(value)} is not a ${table.replace(/s$/, '')} of tenant ${tenant}`,
      );
  }
}

function toColumns(spec: EntitySpec, body: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === spec.children?.key) continue;
    out[k] = spec.json?.includes(k) && v !== null && v !== undefined ? JSON.stringify(v) : v;
  }
  return out;
}

async function writeChildren(db: Db, spec: EntitySpec, tenant: string, id: number, body: Row): Promise<void> {
  const c = spec.children;
  const rows = c ? (body[c.key] as Row[] | undefined) : undefined;
  if (!c || rows === undefined) return;
  for (const [i, row] of rows.entries()) await checkRefs(db, tenant, c.refs, row, `${c.key}.${i}.`);
  await loose(db).deleteFrom(c.table).where(c.fk, '=', id).execute();
  if (rows.length === 0) return;
  await loose(db)
    .insertInto(c.table)
    .values(rows.map((row, i) => ({ ...row, [c.fk]: id, ...(c.numbered ? { line_num: i + 1 } : {}) })))
    .execute();
}

export async function createRecord(db: Db, spec: EntitySpec, tenant: string, body: Row): Promise<Row> {
  await checkRefs(db, tenant, spec.refs, body);
  const inserted = (await loose(db)
    .insertInto(spec.table)
    .values({ ...toColumns(spec, body), tenant_id: tenant })
    .returning('id')
    .executeTakeFirstOrThrow()) as { id: number };
  await writeChildren(db, spec, tenant, inserted.id, body);
  return (await readRecord(db, spec, tenant, inserted.id))!;
}

export async function updateRecord(db: Db, spec: EntitySpec, tenant: string, id: number, body: Row): Promise<Row> {
  await checkRefs(db, tenant, spec.refs, body);
  const columns = toColumns(spec, body);
  const exists = await loose(db)
    .selectFrom(spec.table)
    .select('id')
    .where('tenant_id', '=', tenant)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!exists) throw problem.notFound('id', 'path', `tenant ${tenant} has no ${spec.entity} ${id}`);
  if (Object.keys(columns).length > 0)
    await loose(db).updateTable(spec.table).set(columns).where('id', '=', id).execute();
  await writeChildren(db, spec, tenant, id, body);
  return (await readRecord(db, spec, tenant, id))!;
}

function present(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'tenant_id' || k === 'emailed_at' || k === 'email_message_id') continue;
    if (v instanceof Date) out[k] = DATE_COLUMNS.has(k) ? localDate(v) : v.toISOString();
    else out[k] = v;
  }
  return out;
}

/** pg reads a `date` as local midnight: its local calendar fields are the stored date. */
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

async function attach(db: Db, spec: EntitySpec, tenant: string, rows: Row[]): Promise<Row[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id as number);
  const links = await db
    .selectFrom('sync_links')
    .select(['app_id', 'remote_id', 'remote_version'])
    .where('tenant_id', '=', tenant)
    .where('entity', '=', spec.entity)
    .where('app_id', 'in', ids)
    .execute();
  const byId = new Map(links.map((l) => [l.app_id, { id: l.remote_id, sync_token: l.remote_version }]));
  const c = spec.children;
  const children = c
    ? ((await loose(db)
        .selectFrom(c.table)
        .selectAll()
        .where(c.fk, 'in', ids)
        .orderBy(c.fk)
        .orderBy(c.numbered ? 'line_num' : 'invoice_id')
        .execute()) as Row[])
    : [];
  return rows.map((r) => {
    const out = present(r);
    out.qbo = byId.get(r.id as number) ?? null;
    if (c)
      out[c.key] = children
        .filter((ch) => ch[c.fk] === r.id)
        .map((ch) => {
          const { [c.fk]: _fk, id: _id, ...rest } = ch;
          return present(rest);
        });
    return out;
  });
}

export async function readRecord(db: Db, spec: EntitySpec, tenant: string, id: number): Promise<Row | undefined> {
  const row = (await loose(db)
    .selectFrom(spec.table)
    .selectAll()
    .where('tenant_id', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst()) as Row | undefined;
  if (!row) return undefined;
  return (await attach(db, spec, tenant, [row]))[0];
}

/** Keyset pages in id order; `updated_since` lists what changed since a time (how an app polls, if it must). */
export async function listRecords(
  db: Db,
  spec: EntitySpec,
  tenant: string,
  q: { limit: number; cursor?: string; updated_since?: string },
): Promise<{ data: Row[]; next_cursor: string | null }> {
  const after = q.cursor ? decodeCursor(q.cursor) : 0;
  let query = loose(db).selectFrom(spec.table).selectAll().where('tenant_id', '=', tenant).where('id', '>', after);
  if (q.updated_since) query = query.where('updated_at', '>=', new Date(q.updated_since));
  const rows = (await query
    .orderBy('id')
    .limit(q.limit + 1)
    .execute()) as Row[];
  const more = rows.length > q.limit;
  const data = await attach(db, spec, tenant, rows.slice(0, q.limit));
  return { data, next_cursor: more ? encodeCursor(data[data.length - 1].id as number) : null };
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T = number>(cursor: string): T {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw problem.invalid('query', {
      issues: [{ code: 'custom', path: ['cursor'], message: 'a next_cursor from a previous page' }],
    } as unknown as z.ZodError);
  }
}
