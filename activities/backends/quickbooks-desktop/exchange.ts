import { BackendWaitingError } from '../../sync/errors';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../../sync/backend';

/**
 * qbXML requests and QuickBooks' answers, exchanged through PostgreSQL between the Desktop backend (inside sync
 * activities) and the Web Connector endpoint (which hands requests out one at a time per company and stores answers).
 * Each request is a row keyed by an exchange key derived from the saved plan or page: a retried activity finds its
 * row (answered, still pending, or in doubt) instead of sending again. Waiters are woken by LISTEN/NOTIFY on
 * `qbsync_exchange` (payload: the tenant id), with polling as the fallback.
 */
export const CHANNEL = 'qbsync_exchange';

export type ExchangeKind = 'read' | 'write';

export type ExchangeAnswer =
  | { state: 'answered'; id: number; response: string }
  /** The request was handed to the Web Connector and its answer never came back: QuickBooks may or may not have it. */
  | { state: 'lost'; id: number; messageSetId: string | null }
  /** QuickBooks rejected the whole document (hresult, e.g. 0x80040400 parse error). */
  | { state: 'failed'; id: number; hresult: string; message: string };

/** Wakes waiters when an exchange changes; one LISTEN connection per process and database. */
export class ExchangeWaker {
  private client?: pg.Client;
  private starting?: Promise<void>;
  /** After a failed LISTEN connection, polling alone until then. */
  private retryAt = 0;
  private readonly waiters = new Set<{ tenantId: string; wake: () => void }>();

  constructor(private readonly databaseUrl?: string) {}

  private start(): Promise<void> {
    if (!this.databaseUrl || Date.now() < this.retryAt) return Promise.resolve();
    this.starting ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      client.on('error', () => {
        // A dropped LISTEN connection leaves polling in charge; the next waiter reconnects.
        this.client = undefined;
        this.starting = undefined;
      });
      client.on('notification', (n) => {
        for (const w of this.waiters) if (w.tenantId === n.payload) w.wake();
      });
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.client = client;
    })().catch(() => {
      this.starting = undefined;
      this.retryAt = Date.now() + 30_000;
    });
    return this.starting;
  }

  /** Resolves at the next notification for the tenant or after `ms`, whichever comes first. */
  async wait(tenantId: string, ms: number): Promise<void> {
    await this.start();
    await new Promise<void>((resolve) => {
      const waiter = {
        tenantId,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.wake();
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * One attempt waited its time and the Web Connector has not answered: the page ends without moving anything and the
 * run asks for it again at once (BackendWaitingError: a new activity, not a retry, so the page retry policy's attempts
 * are not spent on waiting), so a run is nearly always inside `await`, woken by NOTIFY the moment the Web Connector
 * logs in or answers. The wait as a whole is bounded by `giveUpAfterMs` (the tenant's `desktop.waitMinutes`).
 */
export function waitingForWebConnector(message: string): BackendWaitingError {
  return new BackendWaitingError(message);
}

export interface AwaitOptions {
  /** Give up this attempt (retryable) after this long; the activity is retried and finds its exchange again. */
  attemptMs: number;
  /** Fail for good (non-retryable) once the exchange has waited this long for the Web Connector. */
  giveUpAfterMs: number;
  /** The company's name for messages ("waiting for the Web Connector of <company>"). */
  company: string;
  pollMs?: number;
}

export class Exchanges {
  constructor(
    private readonly db: Db,
    private readonly waker: ExchangeWaker = new ExchangeWaker(),
  ) {}

  /** Posts a request unless its key is already there (a retry); returns the row's id. */
  async post(
    tenantId: string,
    key: string,
    kind: ExchangeKind,
    request: string,
    messageSetId?: string,
  ): Promise<number> {
    await this.db
      .insertInto('qbxml_exchanges')
      .values({ tenant_id: tenantId, exchange_key: key, kind, request, message_set_id: messageSetId ?? null })
      .onConflict((oc) => oc.columns(['tenant_id', 'exchange_key']).doNothing())
      .execute();
    await notify(this.db, tenantId);
    const row = await this.db
      .selectFrom('qbxml_exchanges')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('exchange_key', '=', key)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** The state of an exchange, without waiting (undefined when it was never posted). */
  async peek(tenantId: string, key: string): Promise<ExchangeAnswer | 'waiting' | undefined> {
    const row = await this.db
      .selectFrom('qbxml_exchanges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('exchange_key', '=', key)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.state === 'answered') return { state: 'answered', id: row.id, response: row.response ?? '' };
    if (row.state === 'lost') return { state: 'lost', id: row.id, messageSetId: row.message_set_id };
    if (row.state === 'failed')
      return { state: 'failed', id: row.id, hresult: row.hresult ?? '', message: row.message ?? '' };
    return 'waiting';
  }

  /** Posts (once) and waits for QuickBooks' answer, through the Web Connector. */
  async exchange(
    tenantId: string,
    key: string,
    kind: ExchangeKind,
    request: string,
    options: AwaitOptions & { messageSetId?: string },
  ): Promise<ExchangeAnswer> {
    await this.post(tenantId, key, kind, request, options.messageSetId);
    return this.await(tenantId, key, options);
  }

  async await(tenantId: string, key: string, options: AwaitOptions): Promise<ExchangeAnswer> {
    const started = Date.now();
    for (;;) {
      const state = await this.peek(tenantId, key);
      if (state === undefined) throw new Error(`tenant ${tenantId}: exchange ${key} was never posted`);
      if (state !== 'waiting') {
        // A read whose answer was lost is simply asked again.
        if (state.state === 'lost' && (await this.retryRead(state.id))) continue;
        return state;
      }
      const row = await this.db
        .selectFrom('qbxml_exchanges')
        .select(['created_at'])
        .where('tenant_id', '=', tenantId)
        .where('exchange_key', '=', key)
        .executeTakeFirstOrThrow();
      const waited = Date.now() - row.created_at.getTime();
      if (waited > options.giveUpAfterMs)
        throw ApplicationFailure.create({
          type: 'WebConnectorAbsentError',
          nonRetryable: true,
          message: `tenant ${tenantId}: the Web Connector of ${options.company} did not connect for ${Math.round(waited / 60_000)} minutes; open QuickBooks with the company file and make sure the Web Connector runs qbsync (Update Selected), then run the sync again`,
        });
      if (Date.now() - started > options.attemptMs)
        throw waitingForWebConnector(
          `tenant ${tenantId}: waiting for the Web Connector of ${options.company} (QuickBooks must be open with the company file and the Web Connector running)`,
        );
      await this.waker.wait(tenantId, options.pollMs ?? 1000);
    }
  }

  private async retryRead(id: number): Promise<boolean> {
    const updated = await this.db
      .updateTable('qbxml_exchanges')
      .set({ state: 'pending', ticket: null, sent_at: null })
      .where('id', '=', id)
      .where('kind', '=', 'read')
      .where('state', '=', 'lost')
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  }

  // ---- the endpoint's side -----------------------------------------------------------------------------------------

  /**
   * Hands out the oldest pending request of the tenant to this session, unless one is already in flight (QuickBooks
   * takes one request at a time per company file).
   */
  async claimNext(tenantId: string, ticket: string): Promise<{ id: number; request: string } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // Serialises claims per company.
      await sql`select 1 from desktop_connections where tenant_id = ${tenantId} for update`.execute(trx);
      const inFlight = await trx
        .selectFrom('qbxml_exchanges')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('state', '=', 'sent')
        .executeTakeFirst();
      if (inFlight) return undefined;
      const next = await trx
        .selectFrom('qbxml_exchanges')
        .select(['id', 'request'])
        .where('tenant_id', '=', tenantId)
        .where('state', '=', 'pending')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!next) return undefined;
      await trx
        .updateTable('qbxml_exchanges')
        .set({ state: 'sent', ticket, sent_at: new Date() })
        .where('id', '=', next.id)
        .execute();
      return next;
    });
  }

  /** Stores QuickBooks' answer to the request in flight for this session; returns its id, if any was in flight. */
  async answer(
    tenantId: string,
    ticket: string,
    answer: { response: string } | { hresult: string; message: string },
  ): Promise<number | undefined> {
    const values =
      'response' in answer
        ? { state: 'answered' as const, response: answer.response }
        : { state: 'failed' as const, hresult: answer.hresult, message: answer.message };
    const row = await this.db
      .updateTable('qbxml_exchanges')
      .set({ ...values, answered_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('ticket', '=', ticket)
      .where('state', '=', 'sent')
      .returning('id')
      .executeTakeFirst();
    await notify(this.db, tenantId);
    return row?.id;
  }

  /**
   * A session ended without answering what it had in flight: reads go back to pending (asking again is harmless);
   * writes are in doubt (`lost`) until the backend asks QuickBooks what became of them.
   */
  async abandon(tenantId: string, ticket: string): Promise<void> {
    await this.db
      .updateTable('qbxml_exchanges')
      .set({ state: 'pending', ticket: null, sent_at: null })
      .where('tenant_id', '=', tenantId)
      .where('ticket', '=', ticket)
      .where('state', '=', 'sent')
      .where('kind', '=', 'read')
      .execute();
    await this.db
      .updateTable('qbxml_exchanges')
      .set({ state: 'lost' })
      .where('tenant_id', '=', tenantId)
      .where('ticket', '=', ticket)
      .where('state', '=', 'sent')
      .where('kind', '=', 'write')
      .execute();
    await notify(this.db, tenantId);
  }

  /** Requests nobody waits for any more (a run that failed meanwhile) are withdrawn before the Web Connector sees them. */
  async withdraw(tenantId: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('qbxml_exchanges')
      .where('tenant_id', '=', tenantId)
      .where('exchange_key', '=', key)
      .where('state', '=', 'pending')
      .execute();
  }

  async pendingCount(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('qbxml_exchanges')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('state', 'in', ['pending', 'sent'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

export async function notify(db: Db, tenantId: string): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, ${tenantId})`.execute(db);
}
