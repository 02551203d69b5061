import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import {
  QBO_LIMITS,
  type RateLimiterStats,
  type RateLimits,
  type RequestLimiter,
  type RequestLimiterRegistry,
} from './rateLimiter';

export interface SharedLimiterOptions {
  /** QuickBooks' limits (a shorter window against a time-scaled emulator). */
  limits?: Partial<RateLimits>;
  /**
   * Added to the window on our side. A request counts from its answer (migration 0021), which comes after QuickBooks
   * counted it on arrival, so the window needs no margin for travel; this one covers only PostgreSQL's clock running
   * at another rate than QuickBooks'. Default 0.1 % of the window (60 ms a minute: twice the most NTP slews a clock).
   */
  marginMs?: number;
  /**
   * How long a slot counts as in flight if its worker dies before releasing it: a live worker renews the leases of its
   * requests in flight every quarter of it, so a request may take longer. Default 20 s (a killed worker's slots were
   * held 2 minutes before: the realm's other requests waited that long).
   */
  leaseMs?: number;
  /** How often the head waiter asks again while every concurrent slot is held elsewhere. Default 20 ms. */
  pollMs?: number;
}

export function defaultMarginMs(windowMs: number): number {
  return Math.ceil(windowMs / 1000);
}

interface Waiter {
  batch: boolean;
  resolve: (slot: number) => void;
  reject: (error: unknown) => void;
}

/**
 * A realm's limits kept by every worker together, in PostgreSQL (migrations 0017, 0021): one call of
 * qbsync_rate_limit_acquire takes as many slots as the waiters at the head of this process's queue need (and the
 * limits allow) or says how long to wait; one update gives a lease back. Waiters start in the order they asked
 * (FIFO); a local release wakes the queue at once, a release in another worker is seen at the next poll.
 */
export class SharedRealmLimiter implements RequestLimiter {
  readonly limits: Readonly<RateLimits>;
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private active = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private readonly wakers = new Set<() => void>();
  private counters = { waits: 0, peakInFlight: 0, started: 0 };
  /** This process's slots in flight, whose leases it renews while their requests run. */
  private readonly held = new Set<number>();
  private renewer?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    readonly realmId: string,
    options: SharedLimiterOptions = {},
  ) {
    this.limits = { ...QBO_LIMITS, ...options.limits };
    for (const [k, v] of Object.entries(this.limits))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`rate limit ${k} must be a positive integer, not ${v}`);
    this.windowMs = this.limits.windowMs + (options.marginMs ?? defaultMarginMs(this.limits.windowMs));
    this.leaseMs = options.leaseMs ?? 20_000;
    this.pollMs = options.pollMs ?? 20;
  }

  stats(): RateLimiterStats {
    return { inFlight: this.active, queued: this.queue.length, ...this.counters };
  }

  async run<T>(batch: boolean, fn: () => Promise<T>): Promise<T> {
    const slot = await new Promise<number>((resolve, reject) => {
      if (this.queue.length > 0 || this.active >= this.limits.concurrent) this.counters.waits++;
      this.queue.push({ batch, resolve, reject });
      void this.pump();
    });
    this.held.add(slot);
    this.renewer ??= setInterval(() => void this.renew(), this.leaseMs / 4).unref();
    try {
      return await fn();
    } finally {
      this.held.delete(slot);
      // The answer goes back to the caller now; the lease is given back beside it, and the request counts in the
      // window from then (a release later than the answer only counts it a little longer).
      void this.release(slot);
    }
  }

  /** Keeps the leases of this process's requests in flight; with none left, the timer stops. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) {
      clearInterval(this.renewer);
      this.renewer = undefined;
      return;
    }
    try {
      await sql`update rate_limit_slots set lease_until = clock_timestamp() + make_interval(secs => ${this.leaseMs} / 1000.0)
                where id = any(${[...this.held]}::bigint[]) and lease_until is not null`.execute(this.db);
    } catch {
      // PostgreSQL unreachable: the leases run out, and another worker may start a request a little early.
    }
  }

  async throttled(retryAfterMs: number): Promise<void> {
    const ms = Math.max(0, Math.round(retryAfterMs));
    await sql`
      insert into rate_limit_realms as r (realm_id, blocked_until, throttled)
      values (${this.realmId}, clock_timestamp() + make_interval(secs => ${ms} / 1000.0), 1)
      on conflict (realm_id) do update set
        blocked_until = case when r.blocked_until is null or r.blocked_until <= clock_timestamp()
                             then excluded.blocked_until else r.blocked_until end,
        throttled = r.throttled + 1,
        updated_at = now()`.execute(this.db);
  }

  /** Serves the queue from its head: the waiters of the head's kind in one call, as many as the limits let start. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const room = this.limits.concurrent - this.active;
        if (room <= 0) {
          await this.sleep(this.leaseMs); // until a request of this process finishes (or a lease could have run out)
          continue;
        }
        const kind = this.queue[0].batch;
        let count = 0;
        while (count < room && count < this.queue.length && this.queue[count].batch === kind) count++;
        let rows: Array<{ slot: number | null; wait_ms: number }>;
        try {
          ({ rows } = await sql<{ slot: number | null; wait_ms: number }>`
            select slot, wait_ms from qbsync_rate_limit_acquire(${this.realmId}, ${kind}, ${count},
              ${this.limits.concurrent}, ${this.limits.requestsPerWindow}, ${this.limits.batchesPerWindow},
              ${this.windowMs}, ${this.leaseMs})`.execute(this.db));
        } catch (error) {
          for (const waiter of this.queue.splice(0, count)) waiter.reject(error);
          continue;
        }
        const slots = rows.flatMap((r) => (r.slot === null ? [] : [r.slot]));
        if (slots.length === 0) {
          await this.sleep(rows[0]?.wait_ms > 0 ? rows[0].wait_ms : this.pollMs);
          continue;
        }
        this.active += slots.length;
        this.counters.started += slots.length;
        this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.active);
        this.queue.splice(0, slots.length).forEach((waiter, i) => waiter.resolve(slots[i]));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Until `ms` passed or a request of this process finished, whichever comes first. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private releasing: number[] = [];
  private flushing?: Promise<void>;

  /**
   * Gives leases back: the slots released in the same turn of the event loop (a page's answers arrive together) go
   * back in one statement, not one round trip each.
   */
  private release(slot: number): Promise<void> {
    this.releasing.push(slot);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const slots = this.releasing.splice(0);
      this.flushing = undefined;
      try {
        await sql`update rate_limit_slots set lease_until = null, answered_at = clock_timestamp()
                  where id = any(${slots}::bigint[])`.execute(this.db);
      } catch {
        // The lease runs out by itself (leaseMs): a lost release only holds its slots a little longer.
      } finally {
        this.active -= slots.length;
        for (const wake of [...this.wakers]) wake();
      }
    });
    return this.flushing;
  }
}

/** One shared limiter per realm; the state is in PostgreSQL, so every worker (and process) sees the same limits. */
export class SharedRateLimiterRegistry implements RequestLimiterRegistry {
  private readonly limiters = new Map<string, SharedRealmLimiter>();

  constructor(
    private readonly db: Db,
    private readonly options: SharedLimiterOptions = {},
  ) {}

  forRealm(realmId: string): SharedRealmLimiter {
    let limiter = this.limiters.get(realmId);
    if (!limiter) this.limiters.set(realmId, (limiter = new SharedRealmLimiter(this.db, realmId, this.options)));
    return limiter;
  }

  stats(): Record<string, RateLimiterStats> {
    return Object.fromEntries([...this.limiters].map(([realm, l]) => [realm, l.stats()]));
  }
}
