import { sql } from 'kysely';
import type { EmulatorAdmin } from '../../emulator';
import type { Db } from '../../schema/db';
import type { QboObject, RefMap } from '../../activities/backends/quickbooks-online/entity';
import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import { MAPPINGS } from '../../activities/sync/entities';
import { MappingProblem } from '../../activities/sync/entity';
import { stableJson } from '../../activities/sync/fingerprint';

/**
 * The full comparison every reliability scenario ends with: QuickBooks (the emulator's data) against the app, through
 * the links. A duplicate is a second copy of a record on either side (a natural key twice, or a link shared); a loss is
 * a record on one side with no counterpart on the other; a mismatch is a linked pair whose money, number, customer or
 * payment applications differ.
 */
export interface Comparison {
  recordsCompared: number;
  duplicates: string[];
  losses: string[];
  mismatches: string[];
  perEntity: Record<string, { quickbooks: number; app: number; links: number }>;
}

/** Records that are meant to stay on one side (a rejected bad record, skipped by the tenant's choice). */
export interface Expected {
  appOnly?: Partial<Record<Entity, number[]>>;
  qboOnly?: Partial<Record<Entity, string[]>>;
}

type Entity = 'customer' | 'item' | 'invoice' | 'payment';

interface QboRecord {
  Id: string;
  Active?: boolean;
  DisplayName?: string;
  Name?: string;
  DocNumber?: string;
  Balance?: number;
  TotalAmt?: number;
  TxnDate?: string;
  PaymentRefNum?: string;
  CustomerRef?: { value: string };
  Line?: Array<{ DetailType?: string; Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }>;
  PrivateNote?: string;
}

const cents = (n: number | undefined) => Math.round((n ?? 0) * 100);

function duplicatesOf<T>(label: string, rows: T[], key: (r: T) => string | undefined): string[] {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const k = key(r);
    if (k !== undefined) seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${label} ${JSON.stringify(k)} ×${n}`);
}

export async function compareTenant(
  db: Db,
  admin: EmulatorAdmin,
  tenantId: string,
  realmId: string,
  expected: Expected = {},
): Promise<Comparison> {
  const out: Comparison = { recordsCompared: 0, duplicates: [], losses: [], mismatches: [], perEntity: {} };
  const qbo = {
    customer: await admin.entities<QboRecord>(realmId, 'Customer'),
    item: await admin.entities<QboRecord>(realmId, 'Item'),
    invoice: await admin.entities<QboRecord>(realmId, 'Invoice'),
    payment: await admin.entities<QboRecord>(realmId, 'Payment'),
  };
  const linkRows = await db
    .selectFrom('sync_links')
    .select(['entity', 'app_id', 'remote_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const links = (entity: Entity) => linkRows.filter((l) => l.entity === entity);
  const toQbo = (entity: Entity) => new Map(links(entity).map((l) => [Number(l.app_id), l.remote_id]));

  const app = {
    customer: (
      await sql<{
        id: number;
        key: string;
        balance_cents: number;
      }>`select id, lower(trim(display_name)) as key, balance_cents from customers where tenant_id = ${tenantId}`.execute(
        db,
      )
    ).rows,
    item: (
      await sql<{
        id: number;
        key: string;
      }>`select id, lower(trim(name)) as key from items where tenant_id = ${tenantId}`.execute(db)
    ).rows,
    invoice: (
      await sql<{
        id: number;
        key: string | null;
        customer_id: number;
        total_cents: number;
        balance_cents: number;
        status: string;
      }>`select id, doc_number as key, customer_id, total_cents, balance_cents, status from invoices where tenant_id = ${tenantId}`.execute(
        db,
      )
    ).rows,
    payment: (
      await sql<{ id: number; key: string; customer_id: number; amount_cents: number; status: string }>`
      select id, customer_id || '|' || txn_date::text || '|' || amount_cents || '|' || coalesce(reference, '') as key, customer_id, amount_cents, status from payments where tenant_id = ${tenantId}`.execute(
        db,
      )
    ).rows,
  };
  const applications = (
    await sql<{ payment_id: number; invoice_id: number; amount_cents: number }>`
    select a.payment_id, a.invoice_id, a.amount_cents from payment_applications a join payments p on p.id = a.payment_id where p.tenant_id = ${tenantId}`.execute(
      db,
    )
  ).rows;

  const qboKey: Record<Entity, (r: QboRecord) => string | undefined> = {
    customer: (r) =>
      r.DisplayName?.trim()
        .toLowerCase()
        .replace(/ \(deleted\)$/, ''),
    item: (r) => r.Name?.trim().toLowerCase(),
    invoice: (r) => r.DocNumber,
    payment: (r) => `${r.CustomerRef?.value}|${r.TxnDate}|${cents(r.TotalAmt)}|${r.PaymentRefNum ?? ''}`,
  };

  for (const entity of ['customer', 'item', 'invoice', 'payment'] as const) {
    const entityLinks = links(entity);
    out.perEntity[entity] = { quickbooks: qbo[entity].length, app: app[entity].length, links: entityLinks.length };
    out.duplicates.push(...duplicatesOf(`QuickBooks ${entity}`, qbo[entity], qboKey[entity]));
    out.duplicates.push(
      ...duplicatesOf(`app ${entity}`, app[entity] as Array<{ key: string | null }>, (r) => r.key ?? undefined),
    );
    out.duplicates.push(...duplicatesOf(`${entity} link of app id`, entityLinks, (l) => String(l.app_id)));
    out.duplicates.push(...duplicatesOf(`${entity} link of QuickBooks id`, entityLinks, (l) => l.remote_id));

    const linkedApp = new Set(entityLinks.map((l) => Number(l.app_id)));
    const linkedQbo = new Set(entityLinks.map((l) => l.remote_id));
    const qboIds = new Set(qbo[entity].map((r) => r.Id));
    const appIds = new Set(app[entity].map((r) => Number(r.id)));
    const appOnly = new Set(expected.appOnly?.[entity] ?? []);
    const qboOnly = new Set(expected.qboOnly?.[entity] ?? []);
    for (const r of qbo[entity])
      if (!linkedQbo.has(r.Id) && !qboOnly.has(r.Id))
        out.losses.push(`QuickBooks ${entity} ${r.Id} (${qboKey[entity](r)}) has no app counterpart`);
    for (const r of app[entity])
      if (!linkedApp.has(Number(r.id)) && !appOnly.has(Number(r.id)))
        out.losses.push(`app ${entity} ${r.id} (${r.key}) has no QuickBooks counterpart`);
    for (const l of entityLinks) {
      if (!qboIds.has(l.remote_id))
        out.losses.push(`${entity} link ${l.app_id} → QuickBooks ${l.remote_id}, which does not exist`);
      if (!appIds.has(Number(l.app_id)))
        out.losses.push(`${entity} link app ${l.app_id}, which does not exist → QuickBooks ${l.remote_id}`);
    }
    out.recordsCompared += qbo[entity].length + app[entity].length;
  }

  // Linked pairs agree on what matters for money.
  const byId = (entity: Entity) => new Map(qbo[entity].map((r) => [r.Id, r]));
  const customerQbo = toQbo('customer');
  const invoiceQbo = toQbo('invoice');
  const qCustomers = byId('customer');
  // A customer's balance includes its open invoices; invoices meant to stay in the app only (rejected) are not owed in QuickBooks.
  const unsyncedOwed = new Map<number, number>();
  const appOnlyInvoices = new Set(expected.appOnly?.invoice ?? []);
  for (const i of app.invoice)
    if (appOnlyInvoices.has(Number(i.id)) && i.status === 'open')
      unsyncedOwed.set(Number(i.customer_id), (unsyncedOwed.get(Number(i.customer_id)) ?? 0) + Number(i.balance_cents));
  for (const c of app.customer) {
    const q = qCustomers.get(customerQbo.get(Number(c.id)) ?? '');
    const owed = Number(c.balance_cents) - (unsyncedOwed.get(Number(c.id)) ?? 0);
    if (q && cents(q.Balance) !== owed)
      out.mismatches.push(
        `customer ${c.id} "${c.key}": balance ${owed} cents in the app (synced invoices), ${cents(q.Balance)} in QuickBooks`,
      );
  }
  const qInvoices = byId('invoice');
  for (const i of app.invoice) {
    const q = qInvoices.get(invoiceQbo.get(Number(i.id)) ?? '');
    if (!q) continue;
    const voided = /^Voided\b/.test(q.PrivateNote ?? '');
    if (voided !== (i.status === 'voided'))
      out.mismatches.push(
        `invoice ${i.id}: status ${i.status} in the app, ${voided ? 'voided' : 'not voided'} in QuickBooks`,
      );
    if (cents(q.TotalAmt) !== Number(i.total_cents))
      out.mismatches.push(
        `invoice ${i.id} "${i.key}": total ${i.total_cents} cents in the app, ${cents(q.TotalAmt)} in QuickBooks`,
      );
    if (cents(q.Balance) !== Number(i.balance_cents))
      out.mismatches.push(
        `invoice ${i.id} "${i.key}": balance ${i.balance_cents} cents in the app, ${cents(q.Balance)} in QuickBooks`,
      );
    if ((q.DocNumber ?? null) !== i.key)
      out.mismatches.push(`invoice ${i.id}: number ${i.key} in the app, ${q.DocNumber} in QuickBooks`);
    if (customerQbo.get(Number(i.customer_id)) !== q.CustomerRef?.value)
      out.mismatches.push(
        `invoice ${i.id}: customer differs (app customer ${i.customer_id} ↔ QuickBooks ${q.CustomerRef?.value})`,
      );
  }
  const paymentQbo = toQbo('payment');
  const qPayments = byId('payment');
  for (const p of app.payment) {
    const q = qPayments.get(paymentQbo.get(Number(p.id)) ?? '');
    if (!q) continue;
    if (cents(q.TotalAmt) !== Number(p.amount_cents))
      out.mismatches.push(
        `payment ${p.id}: amount ${p.amount_cents} cents in the app, ${cents(q.TotalAmt)} in QuickBooks`,
      );
    if (customerQbo.get(Number(p.customer_id)) !== q.CustomerRef?.value)
      out.mismatches.push(`payment ${p.id}: customer differs`);
    const appApplied = applications
      .filter((a) => Number(a.payment_id) === Number(p.id))
      .map((a) => `${invoiceQbo.get(Number(a.invoice_id))}:${a.amount_cents}`)
      .sort();
    const byInvoice = new Map<string, number>();
    for (const line of q.Line ?? [])
      for (const t of line.LinkedTxn ?? [])
        if (t.TxnType === 'Invoice') byInvoice.set(t.TxnId, (byInvoice.get(t.TxnId) ?? 0) + cents(line.Amount));
    const qboApplied = [...byInvoice].map(([id, c]) => `${id}:${c}`).sort();
    if (appApplied.join(',') !== qboApplied.join(','))
      out.mismatches.push(
        `payment ${p.id}: applied ${appApplied.join(',') || 'nothing'} in the app, ${qboApplied.join(',') || 'nothing'} in QuickBooks`,
      );
  }
  out.mismatches.push(...(await fieldMismatches(db, tenantId, qbo, linkRows)));
  return out;
}

/** One line for a failure message: the counts and the first few findings. */
export function summary(c: Comparison): string {
  const first = (label: string, list: string[]) =>
    list.length ? `\n${label} (${list.length}):\n  ${list.slice(0, 15).join('\n  ')}` : '';
  return `compared ${c.recordsCompared} records ${JSON.stringify(c.perEntity)}${first('duplicates', c.duplicates)}${first('losses', c.losses)}${first('mismatches', c.mismatches)}`;
}

/** References between the sides as the links say: what a QuickBooks record's mapping needs to read it canonically. */
export function refsThroughLinks(linkRows: Array<{ entity: string; app_id: number; remote_id: string }>): RefMap {
  const toApp = new Map(linkRows.map((l) => [`${l.entity}:${l.remote_id}`, Number(l.app_id)]));
  const toQbo = new Map(linkRows.map((l) => [`${l.entity}:${l.app_id}`, l.remote_id]));
  return {
    appId: (entity, id) => (id ? toApp.get(`${entity}:${id}`) : undefined),
    qboId: (entity, id) => (id ? toQbo.get(`${entity}:${id}`) : undefined),
    customTxnNumbers: false,
  };
}

/**
 * Field by field, through the canonical mappings: every linked pair that is live on both sides must hold the same
 * canonical record — every synced field, both directions (names, emails, phones, addresses, memos, notes, dates, line
 * quantities and prices, active flags), not only money. A pair voided or deleted on either side is compared by the
 * other checks.
 */
async function fieldMismatches(
  db: Db,
  tenantId: string,
  qbo: Record<Entity, QboRecord[]>,
  linkRows: Array<{ entity: string; app_id: number; remote_id: string }>,
): Promise<string[]> {
  const out: string[] = [];
  const refs = refsThroughLinks(linkRows);
  const remote = qboEntitiesFor('billing');
  for (const entity of ['customer', 'item', 'invoice', 'payment'] as const) {
    const app = MAPPINGS[entity]!;
    const qboEntity = remote[entity]!;
    const links = linkRows.filter((l) => l.entity === entity);
    const appRows = await app.loadApp(
      db,
      tenantId,
      links.map((l) => Number(l.app_id)),
    );
    const qboById = new Map(qbo[entity].map((r) => [r.Id, r as unknown as QboObject]));
    for (const l of links) {
      const a = appRows.get(Number(l.app_id));
      const raw = qboById.get(l.remote_id);
      if (!a || !raw || (a.removed && a.removed !== 'inactive') || qboEntity.qboRemoved(raw) === 'voided') continue;
      const q = qboEntity.fromQbo(raw, refs);
      if (q instanceof MappingProblem) {
        out.push(`${entity} ${l.app_id} ↔ QuickBooks ${l.remote_id}: ${q.message}`);
        continue;
      }
      const appFields = a.canonical as Record<string, unknown>;
      const qboFields = q as Record<string, unknown>;
      const differing = [...new Set([...Object.keys(appFields), ...Object.keys(qboFields)])].filter(
        (k) => stableJson(appFields[k]) !== stableJson(qboFields[k]),
      );
      for (const k of differing)
        out.push(
          `${entity} ${l.app_id} ↔ QuickBooks ${l.remote_id}: ${k} app ${stableJson(appFields[k])} ≠ QuickBooks ${stableJson(qboFields[k])}`,
        );
    }
  }
  return out;
}
