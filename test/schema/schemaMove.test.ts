import { sql } from 'kysely';
import { createDb, type Db } from '../../schema/db';
import { createMigrator, migrateToLatest } from '../../schema/migrate';
import { QBSYNC_TABLES } from '../../schema/migrations/0008_qbsync_schema';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('schema_move', { migrate: false });
});

afterAll(async () => {
  await database?.drop();
});

async function objectsIn(db: Db, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema}
    union all
    select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ${schema}
    union all
    select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = ${schema} and t.typtype not in ('b', 'p') and t.typrelid = 0
    order by 1`.execute(db);
  return rows.map((r) => r.name);
}

test("an installation with today's public tables and data moves to the qbsync schema with every row and link kept", async () => {
  // Today's installation: search_path public, migration bookkeeping in public, migrations 0001–0007.
  const legacy = createDb(database.url, { max: 2, schema: 'public' });
  try {
    const result = await createMigrator(legacy, { schema: null }).migrateTo('0007_app_changes_by_record');
    expect(result.error).toBeUndefined();
    await sql`
      insert into tenants (id, name, mode) values ('acme', 'Acme', 'order-taking');
      insert into customers (tenant_id, display_name, email) values ('acme', 'Ada', 'ada@example.com');
      insert into items (tenant_id, type, name, unit_price) values ('acme', 'Service', 'Hours', 95.5);
      insert into invoices (tenant_id, doc_number, customer_id, txn_date, total_cents)
        select 'acme', '1001', id, '2026-11-01', 12345 from customers;
      insert into invoice_lines (invoice_id, line_num, item_id, amount_cents)
        select i.id, 1, it.id, 12345 from invoices i, items it;
      insert into sales (tenant_id, type, status, number, customer_id, txn_date, total)
        select 'acme', 'Invoice', 'Open', 'S-1', id, '2026-11-02', '10.00' from customers;
      insert into sync_links (tenant_id, entity, app_id, qbo_id, fingerprint)
        select 'acme', 'customer', id, '58', 'f' from customers;
    `.execute(legacy);
  } finally {
    await legacy.destroy();
  }

  const before = await counts(database.url, 'public');
  expect(before.customers).toBe(1);
  expect(before.app_changes).toBeGreaterThan(0);

  // The new code, on its default schema.
  const db = createDb(database.url, { max: 2, schema: 'qbsync' });
  try {
    const applied = await migrateToLatest(db);
    expect(applied[0]).toBe('up 0008_qbsync_schema');
    expect(await counts(database.url, 'qbsync')).toEqual(before);
    expect(await objectsIn(db, 'public')).toEqual([]);
    for (const table of QBSYNC_TABLES) expect(await objectsIn(db, 'qbsync')).toContain(table);

    // Links and identities kept: the invoice still points at its customer, and new rows continue the sequences.
    const linked = await sql<{ display_name: string; remote_id: string; backend: string }>`
      select c.display_name, l.remote_id, l.backend from invoices i join customers c on c.id = i.customer_id
      join sync_links l on l.app_id = c.id and l.entity = 'customer'`.execute(db);
    expect(linked.rows).toEqual([{ display_name: 'Ada', remote_id: '58', backend: 'quickbooks-online' }]);
    const next = await sql<{ id: number }>`
      insert into customers (tenant_id, display_name) values ('acme', 'Bob') returning id`.execute(db);
    expect(next.rows[0].id).toBeGreaterThan(1);

    // The triggers still log app writes, from a connection whose search_path is the app's own (public).
    const app = createDb(database.url, { max: 1, schema: 'public' });
    try {
      const seen = await sql<{ n: number }>`select count(*)::int as n from qbsync.app_changes`.execute(app);
      await sql`update qbsync.customers set email = 'bob@example.com' where display_name = 'Bob'`.execute(app);
      const after = await sql<{ n: number }>`select count(*)::int as n from qbsync.app_changes`.execute(app);
      expect(after.rows[0].n).toBe(seen.rows[0].n + 1);
    } finally {
      await app.destroy();
    }
    expect(await migrateToLatest(db)).toEqual([]);
  } finally {
    await db.destroy();
  }
});

test("a fresh installation inside the app's database leaves the app's own public tables alone", async () => {
  const other = await createTestDatabase('schema_beside_app', { migrate: false });
  const app = createDb(other.url, { max: 1, schema: 'public' });
  const db = createDb(other.url, { max: 2, schema: 'billing_sync' });
  try {
    await sql`create table customers (id serial primary key, name text); insert into customers (name) values ('mine')`.execute(
      app,
    );
    await migrateToLatest(db);
    expect(await objectsIn(db, 'public')).toEqual(['customers', 'customers_id_seq', 'customers_pkey']);
    const mine = await sql<{ name: string }>`select name from public.customers`.execute(app);
    expect(mine.rows).toEqual([{ name: 'mine' }]);
    const theirs = await sql<{ n: number }>`select count(*)::int as n from customers`.execute(db);
    expect(theirs.rows[0].n).toBe(0);
  } finally {
    await app.destroy();
    await db.destroy();
    await dropDb(other);
  }
});

async function dropDb(t: TestDatabase): Promise<void> {
  await t.drop();
}

async function counts(url: string, schema: string): Promise<Record<string, number>> {
  const db = createDb(url, { max: 1, schema });
  try {
    const out: Record<string, number> = {};
    for (const table of QBSYNC_TABLES) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
      out[table] = rows[0].n;
    }
    return out;
  } finally {
    await db.destroy();
  }
}
