import type pg from 'pg';
import { sql } from 'kysely';
import type { TokenCipher } from '../connection/crypto';
import { connectClient, schemaOf, type Db } from '../../schema/db';
import type { Logger } from '../../workers/logger';
import { postSigned, WebhookError } from '../notifications/webhook';
import { endpointSecret } from './endpoints';
import { eventHeaders } from './signing';

/** Standard Webhooks' schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27 h in all). */
export const DEFAULT_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface DispatcherOptions {
  db: Db;
  databaseUrl: string;
  cipher: TokenCipher;
  logger: Logger;
  /** Delay before each retry; once all are spent the delivery is `failed` (replayable). */
  retryDelaysMs?: number[];
  /** Deliveries in flight at once (never two of one record to one endpoint). */
  concurrency?: number;
  /** How long one POST may take. */
  timeoutMs?: number;
  /** Hosts an event endpoint may reach over http or at a private address (QBSYNC_WEBHOOK_ALLOW_HOSTS). */
  allowHosts?: string[];
  /** How often due retries are looked for when no NOTIFY arrives. */
  pollMs?: number;
}

/** The JSON body of an event, as delivered and as the API shows it. */
export interface EventBody {
  id: string;
  type: string;
  tenant: string;
  timestamp: string;
  data: Record<string, unknown>;
}

interface DeliveryRow {
  event_id: string;
  type: string;
  tenant_id: string;
  data: Record<string, unknown>;
  created_at: Date;
  url: string;
  secret_enc: string;
  endpoint_tenant: string;
}

interface Claimed {
  endpoint_id: number;
  event_id: number;
  attempts: number;
}

/**
 * Delivers the outbox. A delivery is claimed with a lease (locked_until) in one statement, POSTed, then recorded;
 * a dispatcher killed in between leaves it pending, and the lease's end hands it to the next dispatcher: at least
 * once. Only the oldest pending delivery of a subject (record) per endpoint is claimable, so a record's events arrive
 * in the order they were committed, each after the previous one was acknowledged or given up on.
 */
export class EventDispatcher {
  private running = false;
  private wake: (() => void) | undefined;
  private listener: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private readonly retryDelaysMs: number[];
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly secrets = new Map<string, string>();

  constructor(private readonly options: DispatcherOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.concurrency = options.concurrency ?? 16;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 1_000;
  }

  async start(): Promise<void> {
    this.running = true;
    try {
      this.listener = await connectClient(this.options.databaseUrl, schemaOf(this.options.db));
      this.listener.on('notification', () => this.wake?.());
      await this.listener.query('listen qbsync_events');
    } catch (error) {
      // Polling alone still delivers everything, only later.
      this.options.logger.warn({ err: (error as Error).message }, 'event dispatcher: no LISTEN connection, polling');
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.deliverBatch();
      } catch (error) {
        this.options.logger.warn({ err: (error as Error).message }, 'event dispatcher: batch failed, will retry');
      }
      if (claimed < this.concurrency && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Claims and delivers up to `concurrency` due deliveries; returns how many it claimed. */
  async deliverBatch(): Promise<number> {
    const leaseMs = this.timeoutMs + 5_000;
    const { rows } = await sql<Claimed>`
      with due as (
        select d.endpoint_id, d.event_id from event_deliveries d
        where d.status = 'pending' and d.next_attempt_at <= clock_timestamp()
          and (d.locked_until is null or d.locked_until < clock_timestamp())
          and not exists (
            select 1 from event_deliveries p
            where p.endpoint_id = d.endpoint_id and p.subject = d.subject and p.status = 'pending'
              and p.event_id < d.event_id)
        order by d.event_id
        limit ${this.concurrency}
        for update skip locked
      )
      update event_deliveries d
      set locked_until = clock_timestamp() + make_interval(secs => ${leaseMs / 1000}),
          attempts = d.attempts + 1, last_attempt_at = clock_timestamp()
      from due where d.endpoint_id = due.endpoint_id and d.event_id = due.event_id
      returning d.endpoint_id, d.event_id, d.attempts`.execute(this.options.db);
    if (rows.length === 0) return 0;
    // One read for the whole batch: each claimed delivery's event and endpoint.
    const details = await this.options.db
      .selectFrom('event_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .innerJoin('event_endpoints as p', 'p.id', 'd.endpoint_id')
      .select([
        'd.endpoint_id',
        'd.event_id as event_pk',
        'e.event_id',
        'e.type',
        'e.tenant_id',
        'e.data',
        'e.created_at',
        'p.url',
        'p.secret_enc',
        'p.tenant_id as endpoint_tenant',
      ])
      .where((eb) =>
        eb.or(rows.map((r) => eb.and([eb('d.endpoint_id', '=', r.endpoint_id), eb('d.event_id', '=', r.event_id)]))),
      )
      .execute();
    const byKey = new Map(details.map((d) => [`${d.endpoint_id}:${d.event_pk}`, d]));
    // Distinct subjects only (see the claim), so these run side by side without reordering a record's events.
    await Promise.all(rows.map((row) => this.deliverOne(row, byKey.get(`${row.endpoint_id}:${row.event_id}`))));
    return rows.length;
  }

  private async deliverOne(claim: Claimed, row: DeliveryRow | undefined): Promise<void> {
    const { db, cipher, logger } = this.options;
    if (!row) return; // endpoint or event deleted meanwhile (cascade removed the delivery too)
    const body: EventBody = {
      id: row.event_id,
      type: row.type,
      tenant: row.tenant_id,
      timestamp: row.created_at.toISOString(),
      data: row.data,
    };
    const text = JSON.stringify(body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const cacheKey = `${claim.endpoint_id}:${row.secret_enc}`;
      let secret = this.secrets.get(cacheKey);
      if (!secret) {
        secret = endpointSecret(cipher, row.endpoint_tenant, row.secret_enc);
        this.secrets.set(cacheKey, secret);
      }
      status = (
        await postSigned(row.url, text, eventHeaders(secret, row.event_id, text), {
          timeoutMs: this.timeoutMs,
          allowHosts: this.options.allowHosts,
        })
      ).status;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (e instanceof WebhookError && e.status !== undefined) status = e.status;
    }
    if (error === null) {
      await sql`update event_deliveries set status = 'delivered', delivered_at = clock_timestamp(), locked_until = null,
          last_status = ${status}, last_error = null
        where endpoint_id = ${claim.endpoint_id} and event_id = ${claim.event_id}`.execute(db);
      return;
    }
    const delay = this.retryDelaysMs[claim.attempts - 1];
    if (delay === undefined) {
      await sql`update event_deliveries set status = 'failed', locked_until = null, last_status = ${status},
          last_error = ${error}
        where endpoint_id = ${claim.endpoint_id} and event_id = ${claim.event_id}`.execute(db);
      logger.warn(
        { event: row.event_id, type: row.type, tenantId: row.tenant_id, attempts: claim.attempts },
        `event ${row.event_id} (${row.type}) given up after ${claim.attempts} attempts: ${error}; replay it with qbsync events replay`,
      );
      return;
    }
    await sql`update event_deliveries set locked_until = null, last_status = ${status}, last_error = ${error},
        next_attempt_at = clock_timestamp() + make_interval(secs => ${delay / 1000})
      where endpoint_id = ${claim.endpoint_id} and event_id = ${claim.event_id}`.execute(db);
  }
}

/** `QBSYNC_EVENT_TIMEOUT_MS`: how long one POST may take (default 10 s); a claim is held that long plus 5 s. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.QBSYNC_EVENT_TIMEOUT_MS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`QBSYNC_EVENT_TIMEOUT_MS is invalid: expected a positive number of milliseconds, got ${raw}`);
  return n;
}

/** `QBSYNC_EVENT_RETRY_DELAYS_MS=5000,300000,…` overrides the retry schedule (tests, tuning). */
export function retryDelaysFromEnv(env: NodeJS.ProcessEnv = process.env): number[] | undefined {
  const raw = env.QBSYNC_EVENT_RETRY_DELAYS_MS?.trim();
  if (!raw) return undefined;
  const delays = raw.split(',').map((v) => Number(v.trim()));
  if (delays.some((d) => !Number.isFinite(d) || d < 0))
    throw new Error(
      `QBSYNC_EVENT_RETRY_DELAYS_MS is invalid: expected comma-separated milliseconds such as 5000,300000, got ${raw}`,
    );
  return delays;
}
