import { sql } from 'kysely';
import type { Db } from '../schema/db';
import type { BenchQuickBooks } from './harness';

type Obj = { Id: string; SyncToken: string };

/** What each entity's edit changes: a field both sides sync, different on each side so no edit is a conflict. */
const QBO_EDITS: Record<string, (o: Obj, n: number) => Record<string, unknown>> = {
  Customer: (_o, n) => ({ PrimaryPhone: { FreeFormNumber: `(999) 555-${String(n % 10000).padStart(4, '0')}` } }),
  Item: (_o, n) => ({ Description: `Changed in QuickBooks ${n}` }),
  Invoice: (_o, n) => ({ PrivateNote: `Changed in QuickBooks ${n}` }),
  Payment: (_o, n) => ({ PaymentRefNum: `QBCHG${n}` }),
};

/** Sparse updates through QuickBooks' API to every `every`th record of each entity (offset 0). */
export async function editQuickBooks(qb: BenchQuickBooks, realmId: string, every: number): Promise<number> {
  const { access_token: token } = await qb.admin.issueTokens({ realmId, clientId: qb.clientId });
  let edited = 0;
  for (const [entity, edit] of Object.entries(QBO_EDITS)) {
    const all = (await qb.admin.entities<Obj>(realmId, entity)).sort((a, b) => Number(a.Id) - Number(b.Id));
    const chosen = all.filter((_, i) => i % every === 0);
    const queue = [...chosen];
    const send = async () => {
      for (let o = queue.shift(); o; o = queue.shift()) {
        const response = await fetch(`${qb.url}/v3/company/${realmId}/${entity.toLowerCase()}?minorversion=75`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify({ Id: o.Id, SyncToken: o.SyncToken, sparse: true, ...edit(o, Number(o.Id)) }),
        });
        if (!response.ok)
          throw new Error(`editing QuickBooks ${entity} ${o.Id}: HTTP ${response.status} ${await response.text()}`);
        edited++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, send));
  }
  return edited;
}

/** App-side edits, as the app's users would make them, to every `every`th row (offset every/2, away from QuickBooks' edits). */
export async function editApp(db: Db, tenantId: string, every: number): Promise<number> {
  const half = Math.floor(every / 2);
  const pick = (table: string) =>
    sql.raw(
      `(select id from (select id, row_number() over (order by id) - 1 as k from ${table} where tenant_id = '${tenantId.replace(/'/g, "''")}') t where k % ${every} = ${half})`,
    );
  const results = await db
    .transaction()
    .execute(async (trx) => [
      await sql`update customers set phone = '(888) 555-' || lpad((id % 10000)::text, 4, '0') where id in ${pick('customers')}`.execute(
        trx,
      ),
      await sql`update items set description = 'Changed in the app ' || id where id in ${pick('items')}`.execute(trx),
      await sql`update invoices set private_note = 'Changed in the app ' || id where id in ${pick('invoices')}`.execute(
        trx,
      ),
      await sql`update payments set reference = 'APPCHG' || id where id in ${pick('payments')}`.execute(trx),
    ]);
  return results.reduce((n, r) => n + Number(r.numAffectedRows ?? 0), 0);
}
