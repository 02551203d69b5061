import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { Database } from '../../../schema/tables';
import type { Address } from '../../../schema/tables/app';
import type { Trx } from '../backend';
import { centsToString, toCents } from '../../money';
import { MappingProblem } from '../entity';

/** Empty strings and missing values are the same thing on both sides. */
export function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

/** An app address in canonical form: trimmed fields, empty ones null, an address with nothing in it null. */
export function addressFromApp(a: Address | null | undefined): Address | null {
  if (!a) return null;
  const address: Address = {
    line1: text(a.line1),
    line2: text(a.line2),
    line3: text(a.line3),
    city: text(a.city),
    region: text(a.region),
    postalCode: text(a.postalCode),
    country: text(a.country),
  };
  return Object.values(address).every((v) => v === null) ? null : address;
}

/**
 * A JSON address column that is not a JSON object (a string holding JSON, an array, a number): read as "no address",
 * it would be dropped silently, so it is a problem naming the record and the column.
 */
export function addressProblem(table: string, id: number, column: string, value: unknown): MappingProblem | undefined {
  if (value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value))) return undefined;
  const kind =
    typeof value === 'string' ? 'a JSON string' : Array.isArray(value) ? 'a JSON array' : `a JSON ${typeof value}`;
  const shown = JSON.stringify(value).slice(0, 60);
  const fix =
    typeof value === 'string'
      ? `store it as an object, e.g. \`update ${table} set ${column} = (${column} #>> '{}')::jsonb where id = ${id}\``
      : `store it as an object such as {"line1": …, "city": …, "postalCode": …, "country": …}, or null`;
  return new MappingProblem(
    `${table} ${id}: ${column} is ${kind} (${shown}), not an address object; qbsync would lose the address`,
    `${fix}; the record is sent on the next run`,
    'qbsync-bad-value',
  );
}

/** Names with these characters are refused by QuickBooks, Online and Desktop (':' separates a parent's name). */
export function checkName(kind: string, value: string, max: number): MappingProblem | undefined {
  if (/[:\t\n\r]/.test(value))
    return new MappingProblem(
      `${kind} "${value.replace(/[\t\n\r]/g, ' ')}" contains a colon, tab or newline, which QuickBooks does not allow in names`,
      `rename it in the app without ':' or line breaks`,
      'qbsync-name',
    );
  if (value.length > max)
    return new MappingProblem(
      `${kind} "${value.slice(0, 40)}…" is ${value.length} characters long; QuickBooks allows ${max}`,
      `shorten it to ${max} characters in the app`,
      'qbsync-length',
    );
  return undefined;
}

/** An ISO date (YYYY-MM-DD) from whatever pg or QuickBooks gives. */
export function isoDate(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A decimal in canonical form: a plain string without trailing zeros ('12.5', '-3', '0.125'), from a pg numeric
 * string or a QuickBooks JSON number. Never passes through float arithmetic.
 */
export function decimal(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  let s = typeof value === 'number' ? numberToPlainString(value) : String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`not a decimal number: ${s}`);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-?0+\d/.test(s)) s = s.replace(/^(-?)0+(\d)/, '$1$2');
  return s === '-0' ? '0' : s;
}

function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Integer cents from an amount (a backend's JSON number or a decimal string); past cents, half away from zero. */
export function cents(value: unknown): number {
  return toCents(decimal(value ?? 0) ?? '0', { rounding: 'half-up' });
}

/** Integer cents as a decimal string ("1234.50"), as the app's numeric columns take them. */
export const centsToDecimal = centsToString;

/**
 * Ids for `n` new rows of `table`, taken from its identity sequence in one statement: rows inserted in bulk with
 * these ids are known by position, without relying on the order of an INSERT's RETURNING rows.
 */
export async function allocateIds(trx: Trx, table: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const { rows } = await sql<{ id: number }>`
    select nextval(pg_get_serial_sequence(${table}, 'id'))::bigint as id from generate_series(1, ${n})`.execute(trx);
  return rows.map((r) => Number(r.id));
}

/** Each table's column types (`format_type`), read once per process: the casts of `insertRows`' arrays. */
const columnTypes = new Map<string, Promise<Map<string, string>>>();

function typesOf(trx: Trx, table: string): Promise<Map<string, string>> {
  let types = columnTypes.get(table);
  if (!types) {
    types = sql<{ name: string; type: string }>`
      select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
      where attrelid = to_regclass(${table}) and attnum > 0 and not attisdropped`
      .execute(trx)
      .then(({ rows }) => {
        if (rows.length === 0) throw new Error(`insertRows: no table ${table}`);
        return new Map(rows.map((r) => [r.name, r.type]));
      });
    columnTypes.set(table, types);
    // A failed read (a table not there yet) is asked again next time, not remembered.
    types.catch(() => columnTypes.delete(table));
  }
  return types;
}

/** As node-postgres sends a json(b) parameter: a string is JSON text already, anything else is serialised. */
const jsonText = (value: unknown) =>
  value === null || value === undefined || typeof value === 'string' ? value : JSON.stringify(value);

/**
 * Inserts rows into `table` in one statement whatever their number: one array parameter per column, `unnest`ed
 * (`insert … select * from unnest($1::bigint[], $2::text[], …)`). A page of invoices is thousands of lines: as a
 * VALUES list that is tens of thousands of parameters to build, send, parse and plan, in parts of 65,535 at most.
 * Every row must carry the same columns (a missing one would be null here, where a VALUES list gives its default);
 * `conflict` is appended as is (an `on conflict …` clause).
 */
export async function insertRows<T extends keyof Database & string>(
  trx: Trx,
  table: T,
  values: Array<Insertable<Database[T]>>,
  conflict?: RawBuilder<unknown>,
): Promise<void> {
  if (values.length === 0) return;
  const rows = values as Array<Record<string, unknown>>;
  const columns = Object.keys(rows[0]).filter((c) => rows[0][c] !== undefined);
  for (const row of rows)
    if (
      Object.keys(row).filter((c) => row[c] !== undefined).length !== columns.length ||
      columns.some((c) => row[c] === undefined)
    )
      throw new Error(`insertRows(${table}): every row must carry the same columns (${columns.join(', ')})`);
  const types = await typesOf(trx, table);
  const arrays = columns.map((c) => {
    const type = types.get(c);
    if (!type) throw new Error(`insertRows(${table}): no column ${c}`);
    const json = type === 'jsonb' || type === 'json';
    return sql`${rows.map((r) => (json ? jsonText(r[c]) : r[c]))}::${sql.raw(type)}[]`;
  });
  await sql`
    insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    select * from unnest(${sql.join(arrays)}) ${conflict ?? sql``}`.execute(trx);
}

/**
 * Updates many rows of one tenant's `table` in one statement (`update … from (values …)`): each row's id and new
 * values, every column cast to its SQL type (`types`, in column order) so that a null or a text parameter lands as
 * the column's type.
 */
export async function updateRows(
  trx: Trx,
  table: string,
  tenantId: string,
  types: Record<string, string>,
  rows: Array<{ id: number; values: Record<string, unknown> }>,
): Promise<void> {
  const columns = Object.keys(types);
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    const tuples = part.map(
      (r) =>
        sql`(${sql.join([sql`${r.id}::bigint`, ...columns.map((c) => sql`${r.values[c] ?? null}::${sql.raw(types[c])}`)])})`,
    );
    await sql`
      update ${sql.table(table)} as t
      set ${sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`))}
      from (values ${sql.join(tuples)}) as v(id, ${sql.join(columns.map((c) => sql.ref(c)))})
      where t.tenant_id = ${tenantId} and t.id = v.id`.execute(trx);
  }
}
