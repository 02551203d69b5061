import { sql } from 'kysely';
import { getTenant, TenantError, type Tenant } from '../connection/tenants';
import type { Db } from '../../schema/db';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import { MailError, toMailError, type Mailer } from './mailer';
import { renderInvoice, type InvoiceView } from './render';

/**
 * Automatic invoice emails as a recorded state machine (invoice_deliveries, one row per QuickBooks-born invoice,
 * queued by a trigger in the pull's own transaction):
 *
 *   pending ──claim (commit)──▶ sending ──SMTP 250, then record (commit)──▶ sent
 *      ▲                           │ temporary failure: back to pending, tried again later (backoff)
 *      └───────────────────────────┘ refused for good / no address / gave up: failed;  voided, setting off: skipped
 *
 * The Message-ID is fixed when the row is queued. A row found in `sending` (the worker died after claiming, perhaps
 * after the server's 250 but before the record committed) is sent again with the SAME Message-ID, so the copy that
 * may already have gone and the new one are one message to every MTA and mail client that de-duplicates by it.
 * Senders of one invoice exclude each other with a PostgreSQL session lock, which dies with the sender's connection:
 * a crashed worker's invoice is free at once, a live one's is never sent twice in parallel.
 */

export const PAGE_SIZE = 25;
/** Waits after the 1st, 2nd, … failed attempt; after the last one the invoice is marked failed. */
const BACKOFF_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
const MAX_ATTEMPTS = BACKOFF_MS.length + 1;
const LOCK_NAMESPACE = 'qbsync:invoice-delivery:';

export interface DeliverInvoicesResult {
  sent: number;
  failed: number;
  /** Invoices due now that this call did not reach: call again while it is above 0. */
  remaining: number;
}

export interface DeliveryDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  mailer: Mailer | undefined;
}

type Outcome = 'sent' | 'failed' | 'later' | 'skipped' | 'busy' | 'gone';

/** Emails one page of due invoices of the tenant to their customers and records each send on the invoice. */
export async function deliverInvoices(deps: DeliveryDeps, tenantId: string): Promise<DeliverInvoicesResult> {
  const { db, logger, clock } = deps;
  let tenant: Tenant;
  try {
    tenant = await getTenant(db, tenantId);
  } catch (error) {
    if (!(error instanceof TenantError)) throw error;
    logger.warn({ tenantId }, `no invoices sent: ${error.message}`);
    return { sent: 0, failed: 0, remaining: 0 };
  }
  if (!tenant.settings.sendInvoicesAutomatically) {
    await skipAll(db, tenantId);
    return { sent: 0, failed: 0, remaining: 0 };
  }
  const due = () =>
    db
      .selectFrom('invoice_deliveries')
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', ['pending', 'sending'])
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', clock.now())]));
  if (!deps.mailer) {
    const waiting = await due()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(waiting.n) > 0)
      logger.warn(
        { tenantId, waiting: Number(waiting.n) },
        `tenant ${tenantId}: ${waiting.n} invoices from QuickBooks wait to be emailed, but SMTP_URL is not set; they are sent once it is`,
      );
    return { sent: 0, failed: 0, remaining: 0 };
  }

  const page = await due().select('invoice_id').orderBy('invoice_id').limit(PAGE_SIZE).execute();
  const tally: Record<Outcome, number> = { sent: 0, failed: 0, later: 0, skipped: 0, busy: 0, gone: 0 };
  for (const { invoice_id } of page) tally[await deliverOne(deps, deps.mailer, tenant, invoice_id)]++;
  const left = await due()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  // Invoices another sender holds right now are its business; counting them would have the caller spin.
  return { sent: tally.sent, failed: tally.failed + tally.later, remaining: Math.max(0, Number(left.n) - tally.busy) };
}

/** With the setting off, invoices waiting to be mailed never will be, even if it is turned on again later. */
async function skipAll(db: Db, tenantId: string): Promise<void> {
  await db
    .updateTable('invoice_deliveries')
    .set((eb) => ({
      status: 'skipped',
      next_attempt_at: null,
      reason: eb
        .case()
        .when('status', '=', 'sending')
        .then('automatic sending was turned off while this invoice was being sent; the customer may have received it')
        .else('automatic sending (sendInvoicesAutomatically) was off')
        .end(),
    }))
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['pending', 'sending'])
    .execute();
}

async function deliverOne(deps: DeliveryDeps, mailer: Mailer, tenant: Tenant, invoiceId: number): Promise<Outcome> {
  return deps.db.connection().execute(async (conn) => {
    // A dead peer (a crashed worker's host) releases its lock within about a minute, not the OS default of hours.
    await sql`select set_config('tcp_keepalives_idle', '30', false), set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '3', false)`.execute(
      conn,
    );
    const key = sql`hashtextextended(${LOCK_NAMESPACE + invoiceId}, 0)`;
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(conn);
    if (!rows[0].locked) return 'busy';
    try {
      return await sendLocked({ ...deps, db: conn }, mailer, tenant, invoiceId);
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(conn).catch(() => undefined);
    }
  });
}

async function sendLocked(deps: DeliveryDeps, mailer: Mailer, tenant: Tenant, invoiceId: number): Promise<Outcome> {
  const { db, clock, logger } = deps;
  const row = await db
    .selectFrom('invoice_deliveries')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirst();
  // Another sender finished it between our page query and our lock.
  if (!row || (row.status !== 'pending' && row.status !== 'sending')) return 'gone';
  const loaded = await loadInvoice(db, tenant, invoiceId);
  if (!loaded) return 'gone';
  const { view, status, to } = loaded;
  const label = `invoice ${view.docNumber ?? `#${invoiceId}`} of ${view.customerName}`;
  const end = (values: { status: 'failed' | 'skipped'; reason: string }) =>
    db
      .updateTable('invoice_deliveries')
      .set({ ...values, next_attempt_at: null })
      .where('invoice_id', '=', invoiceId)
      .execute();

  if (status === 'voided' || status === 'deleted') {
    await end({ status: 'skipped', reason: `the invoice was ${status} before it was mailed` });
    return 'skipped';
  }
  if (!to) {
    await end({
      status: 'failed',
      reason: `customer "${view.customerName}" has no email address (nor does the invoice): add one in QuickBooks or the app and send ${view.docNumber ? `invoice ${view.docNumber}` : 'the invoice'} yourself; it is not retried`,
    });
    logger.warn(
      { tenantId: tenant.id, invoiceId },
      `tenant ${tenant.id}: ${label} not emailed: the customer has no email address`,
    );
    return 'failed';
  }

  // Claim: from here on the message may be out, so the row says `sending` before a byte goes to the server.
  const attempt = row.attempts + 1;
  await db
    .updateTable('invoice_deliveries')
    .set({ status: 'sending', attempts: attempt, claimed_at: clock.now(), recipient: to, next_attempt_at: null })
    .where('invoice_id', '=', invoiceId)
    .execute();
  let response: string;
  try {
    ({ response } = await mailer.send({ to, messageId: row.message_id, ...renderInvoice(view) }));
  } catch (error) {
    const failure = error instanceof MailError ? error : toMailError(error);
    const final = failure.permanent || attempt >= MAX_ATTEMPTS;
    await db
      .updateTable('invoice_deliveries')
      .set({
        status: final ? 'failed' : 'pending',
        last_error: failure.message,
        reason: final
          ? failure.permanent
            ? `the mail server refused it for good: ${failure.message}`
            : `gave up after ${attempt} attempts: ${failure.message}`
          : null,
        next_attempt_at: final ? null : new Date(clock.now().getTime() + BACKOFF_MS[attempt - 1]),
      })
      .where('invoice_id', '=', invoiceId)
      .execute();
    logger.warn(
      { tenantId: tenant.id, invoiceId, attempt },
      `tenant ${tenant.id}: ${label} could not be emailed to ${to}${final ? '' : ' (will try again)'}: ${failure.message}`,
    );
    return final ? 'failed' : 'later';
  }

  // Record: the send on the delivery and on the invoice, together.
  const at = clock.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('invoice_deliveries')
      .set({ status: 'sent', sent_at: at, smtp_response: response.slice(0, 500), last_error: null, reason: null })
      .where('invoice_id', '=', invoiceId)
      .execute();
    // Not a change QuickBooks needs to hear about (these columns are not synced): keep it out of the app change log.
    await sql`select set_config('qbsync.origin', 'sync', true)`.execute(trx);
    await trx
      .updateTable('invoices')
      .set((eb) => ({
        emailed_at: at,
        email_message_id: row.message_id,
        sent_at: eb.fn.coalesce('sent_at', eb.val(at)),
      }))
      .where('id', '=', invoiceId)
      .execute();
  });
  logger.info(
    { tenantId: tenant.id, invoiceId, messageId: row.message_id, attempt },
    `tenant ${tenant.id}: ${label} emailed to ${to}`,
  );
  return 'sent';
}

async function loadInvoice(
  db: Db,
  tenant: Tenant,
  invoiceId: number,
): Promise<{ view: InvoiceView; status: string; to: string | null } | undefined> {
  const invoice = await db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    // Dates as text in SQL: a JavaScript Date of a calendar date would move with the worker's time zone.
    .select([
      sql<string>`to_char(i.txn_date, 'YYYY-MM-DD')`.as('txn_date'),
      sql<string | null>`to_char(i.due_date, 'YYYY-MM-DD')`.as('due_date'),
    ])
    .select([
      'i.doc_number',
      'i.customer_memo',
      'i.subtotal_cents',
      'i.tax_cents',
      'i.total_cents',
      'i.balance_cents',
      'i.status',
      'i.email as invoice_email',
      'c.email as customer_email',
      'c.display_name',
    ])
    .where('i.id', '=', invoiceId)
    .where('i.tenant_id', '=', tenant.id)
    .executeTakeFirst();
  if (!invoice) return undefined;
  const lines = await db
    .selectFrom('invoice_lines as l')
    .leftJoin('items as it', 'it.id', 'l.item_id')
    .select(['l.kind', 'l.description', 'l.quantity', 'l.unit_price', 'l.amount_cents', 'it.name as item'])
    .where('l.invoice_id', '=', invoiceId)
    .orderBy('l.line_num')
    .execute();
  return {
    status: invoice.status,
    // QuickBooks' BillEmail (the invoice's own address) first, as QuickBooks itself would send it.
    to: invoice.invoice_email?.trim() || invoice.customer_email?.trim() || null,
    view: {
      sender: tenant.name,
      customerName: invoice.display_name,
      docNumber: invoice.doc_number,
      txnDate: invoice.txn_date,
      dueDate: invoice.due_date,
      memo: invoice.customer_memo,
      lines: lines.map((l) => ({
        kind: l.kind,
        item: l.item,
        description: l.description,
        quantity: l.quantity,
        unitPrice: l.unit_price,
        amountCents: l.amount_cents,
      })),
      subtotalCents: invoice.subtotal_cents,
      taxCents: invoice.tax_cents,
      totalCents: invoice.total_cents,
      balanceCents: invoice.balance_cents,
    },
  };
}
