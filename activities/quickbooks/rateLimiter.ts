export interface RateLimits {
  /** Requests in flight at once. */
  concurrent: number;
  /** Requests started per rolling window (batches included). */
  requestsPerWindow: number;
  /** Batch requests started per rolling window. */
  batchesPerWindow: number;
  /** The rolling window in ms: a minute for QuickBooks, shorter in tests. */
  windowMs: number;
}

/** QuickBooks Online's per-realm limits: 10 concurrent, 500 requests and 40 batch requests per minute. */
export const QBO_LIMITS: Readonly<RateLimits> = Object.freeze({
  concurrent: 10,
  requestsPerWindow: 500,
  batchesPerWindow: 40,
  windowMs: 60_000,
});

export interface RateLimiterStats {
  inFlight: number;
  queued: number;
  /** Requests that had to wait for a slot. */
  waits: number;
  peakInFlight: number;
  started: number;
}

/** What the QuickBooks client asks of a realm's limiter: in-process (RealmRateLimiter) or shared by every worker. */
export interface RequestLimiter {
  readonly limits: Readonly<RateLimits>;
  /** Runs `fn` once a slot is free and the window allows; the slot is released when it settles. */
  run<T>(batch: boolean, fn: () => Promise<T>): Promise<T>;
  /** QuickBooks answered 429: no request starts for `retryAfterMs` (a block already running is not extended). */
  throttled(retryAfterMs: number): Promise<void>;
  stats(): RateLimiterStats;
}

/** Hands out one limiter per realm. */
export interface RequestLimiterRegistry {
  forRealm(realmId: string): RequestLimiter;
  stats(): Record<string, RateLimiterStats>;
}

interface Waiter {
  batch: boolean;
  resolve: () => void;
}

/**
 * QuickBooks' per-realm limits kept on our side, so the realm is not throttled in the first place. Callers start in
 * the order they asked (FIFO); waiting is a promise resolved by a release or by one timer set for the moment the
 * oldest start leaves the window — never a polling loop.
 */
export class RealmRateLimiter implements RequestLimiter {
  readonly limits: Readonly<RateLimits>;
  private active = 0;
  private blockedUntil = 0;
  private readonly starts: number[] = [];
  private readonly batchStarts: number[] = [];
  private readonly queue: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private counters = { waits: 0, peakInFlight: 0, started: 0 };

  constructor(
    limits: Partial<RateLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...QBO_LIMITS, ...limits };
    for (const [k, v] of Object.entries(this.limits))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`rate limit ${k} must be a positive integer, not ${v}`);
  }

  get inFlight(): number {
    return this.active;
  }

  stats(): RateLimiterStats {
    return { inFlight: this.active, queued: this.queue.length, ...this.counters };
  }

  async throttled(retryAfterMs: number): Promise<void> {
    const now = this.now();
    if (this.blockedUntil <= now) this.blockedUntil = now + retryAfterMs;
  }

  /** Runs `fn` once a slot is free and the window allows; the slot is released when it settles. */
  async run<T>(batch: boolean, fn: () => Promise<T>): Promise<T> {
    await this.acquire(batch);
    try {
      return await fn();
    } finally {
      this.active--;
      this.pump();
    }
  }

  private prune(now: number): void {
    const cutoff = now - this.limits.windowMs;
    while (this.starts.length && this.starts[0] <= cutoff) this.starts.shift();
    while (this.batchStarts.length && this.batchStarts[0] <= cutoff) this.batchStarts.shift();
  }

  /** How long until a request may start: 0 now, Infinity until a running one finishes. */
  private delayFor(batch: boolean, now: number): number {
    this.prune(now);
    if (this.active >= this.limits.concurrent) return Infinity;
    let delay = Math.max(0, this.blockedUntil - now);
    const { requestsPerWindow, batchesPerWindow, windowMs } = this.limits;
    if (this.starts.length >= requestsPerWindow)
      delay = this.starts[this.starts.length - requestsPerWindow] + windowMs - now;
    if (batch && this.batchStarts.length >= batchesPerWindow)
      delay = Math.max(delay, this.batchStarts[this.batchStarts.length - batchesPerWindow] + windowMs - now);
    return Math.max(delay, 0);
  }

  private acquire(batch: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (this.queue.length > 0 || this.delayFor(batch, this.now()) > 0) this.counters.waits++;
      this.queue.push({ batch, resolve });
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length) {
      const head = this.queue[0];
      const now = this.now();
      const delay = this.delayFor(head.batch, now);
      if (delay === Infinity) return; // the next release pumps again
      if (delay > 0) {
        // Unref'd: a waiting request must not be what keeps a finished worker process alive.
        this.timer = setTimeout(() => this.pump(), delay);
        this.timer.unref?.();
        return;
      }
      this.queue.shift();
      this.active++;
      this.counters.started++;
      this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.active);
      this.starts.push(now);
      if (head.batch) this.batchStarts.push(now);
      head.resolve();
    }
  }
}

/** One limiter per realm, shared by every activity (and every client) in the worker process. */
export class RateLimiterRegistry implements RequestLimiterRegistry {
  private readonly limiters = new Map<string, RealmRateLimiter>();

  constructor(private readonly limits: Partial<RateLimits> = {}) {}

  forRealm(realmId: string): RealmRateLimiter {
    let limiter = this.limiters.get(realmId);
    if (!limiter) this.limiters.set(realmId, (limiter = new RealmRateLimiter(this.limits)));
    return limiter;
  }

  stats(): Record<string, RateLimiterStats> {
    return Object.fromEntries([...this.limiters].map(([realm, l]) => [realm, l.stats()]));
  }
}
