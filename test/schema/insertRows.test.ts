import type { Insertable } from 'kysely';
import { insertRows, isoDate } from '../../activities/sync/entities/common';
import type { Database } from '../../schema/tables';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * insertRows (one statement of unnested arrays per table) writes exactly what kysely's VALUES insert writes, for the
 * values that are hard to carry inside a PostgreSQL array literal: quotes, backslashes, braces, commas, the word
 * NULL, empty strings, nulls, JSON objects and arrays, JSON text, exact decimals, booleans and dates.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('insert_rows');
  await database.db.insertInto('tenants').values({ id: 't1', name: 't1', backend: 'memory' }).execute();
});
afterAll(() => database?.drop());

const awkward = [
  'plain',
  'a "quoted" name',
  'back\\slash',
  '{braces}',
  'a, b',
  'NULL',
  'null',
  '',
  ' spaced ',
  'é ü 日本',
];

const customer = (name: string, i: number): Insertable<Database['customers']> => ({
  tenant_id: 't1',
  display_name: `${name} #${i}`,
  company_name: name,
  given_name: i % 2 ? null : name,
  family_name: null,
  email: `${i}@example.com`,
  phone: name === '' ? null : name,
  billing_address: JSON.stringify({ line1: name, city: i % 3 ? null : '"{x}"', country: 'US' }),
  shipping_address: i % 2 ? null : JSON.stringify({ line1: `${name}\n2nd floor` }),
  notes: name,
});

test('customers: the same rows as a VALUES insert, column for column', async () => {
  const { db } = database;
  const rows = awkward.map(customer);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('customers')
      .values(rows.map((r) => ({ ...r, tenant_id: 't1', display_name: `values ${r.display_name}` })))
      .execute();
    await insertRows(
      trx,
      'customers',
      rows.map((r) => ({ ...r, display_name: `unnest ${r.display_name}` })),
    );
  });
  const read = async (prefix: string) =>
    (
      await db.selectFrom('customers').selectAll().where('display_name', 'like', `${prefix} %`).orderBy('id').execute()
    ).map(({ id: _id, created_at: _c, updated_at: _u, display_name, ...rest }) => ({
      display_name: display_name.slice(prefix.length + 1),
      ...rest,
    }));
  const values = await read('values');
  expect(values).toHaveLength(awkward.length);
  expect(await read('unnest')).toEqual(values);
});

test('invoice lines and payments: decimals, booleans, dates and numbers exactly', async () => {
  const { db } = database;
  const { id: customerId } = await db
    .insertInto('customers')
    .values({ tenant_id: 't1', display_name: 'Lines Ltd' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: invoiceId } = await db
    .insertInto('invoices')
    .values({ tenant_id: 't1', customer_id: customerId, txn_date: '2026-11-27' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const lines = awkward.map((description, n) => ({
    invoice_id: invoiceId,
    line_num: n + 1,
    kind: 'item' as const,
    description,
    quantity: ['1', '0.3333', '1000000.5', '-2'][n % 4],
    unit_price: ['19.99', '0.01', '123456.789', '0'][n % 4],
    amount_cents: [1999, 1, 12345679, 0][n % 4] * (n + 1),
    taxable: n % 2 === 0,
  }));
  await db.transaction().execute((trx) => insertRows(trx, 'invoice_lines', lines));
  const read = await db
    .selectFrom('invoice_lines')
    .select(['line_num', 'kind', 'description', 'quantity', 'unit_price', 'amount_cents', 'taxable'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('line_num')
    .execute();
  const numeric = (v: string | null) => (v === null ? null : Number(v));
  expect(read.map((r) => ({ ...r, quantity: numeric(r.quantity), unit_price: numeric(r.unit_price) }))).toEqual(
    lines.map(({ invoice_id: _i, ...l }) => ({ ...l, quantity: Number(l.quantity), unit_price: Number(l.unit_price) })),
  );

  await db.transaction().execute((trx) =>
    insertRows(trx, 'payments', [
      { tenant_id: 't1', customer_id: customerId, txn_date: '2026-02-28', amount_cents: 1, reference: 'a,"b"' },
      { tenant_id: 't1', customer_id: customerId, txn_date: '2024-02-29', amount_cents: 250_000_00, reference: null },
    ]),
  );
  const payments = await db
    .selectFrom('payments')
    .select(['txn_date', 'amount_cents', 'reference', 'status'])
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  expect(payments.map((p) => ({ ...p, txn_date: isoDate(p.txn_date) }))).toEqual([
    { txn_date: '2026-02-28', amount_cents: 1, reference: 'a,"b"', status: 'active' },
    { txn_date: '2024-02-29', amount_cents: 250_000_00, reference: null, status: 'active' },
  ]);
});

test('rows that do not carry the same columns are refused, not defaulted differently', async () => {
  await expect(
    database.db.transaction().execute((trx) =>
      insertRows(trx, 'payment_applications', [
        { payment_id: 1, invoice_id: 1, amount_cents: 1 },
        { payment_id: 1, invoice_id: 2, amount_cents: undefined as unknown as number },
      ]),
    ),
  ).rejects.toThrow(/same columns/);
});
