import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** The tables docs/app-contract.md is the contract for: the app's records, and the outbox it may read. */
const CONTRACT_TABLES = [
  'customers',
  'items',
  'tax_rates',
  'tax_codes',
  'tax_code_rates',
  'invoices',
  'invoice_lines',
  'payments',
  'payment_applications',
  'estimates',
  'estimate_lines',
  'sales',
  'sale_lines',
  'price_levels',
  'price_level_items',
  'events',
];
const WRITERS = new Set(['app', 'QuickBooks', 'both', 'qbsync']);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('app_contract');
});

afterAll(async () => {
  await database?.drop();
});

/** `table.column` → `type` as the document states it; a row whose meaning starts "`t` only" belongs to that table. */
function documented(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let tables: string[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^###\s+(.*)$/.exec(line);
    if (heading) {
      tables = [...heading[1].matchAll(/`(\w+)`/g)].map((m) => m[1]);
      continue;
    }
    const row = /^\|\s*`(\w+)`\s*\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|$/.exec(line.trim());
    if (!row || tables.length === 0) continue;
    const [, column, type, writer, meaning] = row;
    if (!WRITERS.has(writer))
      throw new Error(`docs/app-contract.md: ${column} has writer "${writer}", not one of ${[...WRITERS].join(', ')}`);
    const only = /^((?:`\w+`(?:,\s*)?)+)\s+only/.exec(meaning);
    const applies = only ? [...only[1].matchAll(/`(\w+)`/g)].map((m) => m[1]) : tables;
    for (const t of applies) out.set(`${t}.${column}`, type);
  }
  return out;
}

function short(type: string): string {
  return type
    .replace('timestamp with time zone', 'timestamptz')
    .replace(/^character varying/, 'varchar')
    .replace(/\s+/g, '');
}

test('docs/app-contract.md names every column of the app tables, with its type, and no column that does not exist', async () => {
  const { rows } = await sql<{ table_name: string; column_name: string; type: string }>`
    select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      and c.relname = any(${CONTRACT_TABLES})
    order by 1, a.attnum`.execute(database.db);
  expect(new Set(rows.map((r) => r.table_name))).toEqual(new Set(CONTRACT_TABLES));
  const actual = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, short(r.type)]));
  const doc = documented(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'app-contract.md'), 'utf8'));
  const docTypes = new Map([...doc].map(([k, v]) => [k, short(v)]));

  const undocumented = [...actual.keys()].filter((k) => !docTypes.has(k));
  const gone = [...docTypes.keys()].filter((k) => !actual.has(k));
  const retyped = [...actual]
    .filter(([k, t]) => docTypes.has(k) && docTypes.get(k) !== t)
    .map(([k, t]) => `${k}: ${t}, documented ${docTypes.get(k)}`);
  expect({ undocumented, gone, retyped }).toEqual({ undocumented: [], gone: [], retyped: [] });
});
