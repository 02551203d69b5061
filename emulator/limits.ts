/** QuickBooks' per-realm limits: requests per minute, batch requests per minute, requests in flight. */
export interface LimitSettings {
  requestsPerMinute: number;
  batchesPerMinute: number;
  concurrent: number;
  /** 60 makes a limit "minute" last one second, so benchmarks meet the production limits without waiting. */
  timeScale: number;
}

export const PRODUCTION_LIMITS: Omit<LimitSettings, 'timeScale'> = {
  requestsPerMinute: 500,
  batchesPerMinute: 40,
  concurrent: 10,
};

export class RealmLimiter {
  private readonly requests = new Map<string, number[]>();
  private readonly batches = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly settings: LimitSettings | undefined) {}

  private windowMs(): number {
    return 60_000 / (this.settings?.timeScale ?? 1);
  }

  private recent(map: Map<string, number[]>, realm: string, now: number): number[] {
    const cutoff = now - this.windowMs();
    const list = (map.get(realm) ?? []).filter((t) => t > cutoff);
    map.set(realm, list);
    return list;
  }

  /** Admits a request or says it is throttled; an admitted request must be released. */
  admit(realm: string, isBatch: boolean, now = Date.now()): boolean {
    if (!this.settings) {
      this.inFlight.set(realm, (this.inFlight.get(realm) ?? 0) + 1);
      return true;
    }
    const requests = this.recent(this.requests, realm, now);
    const batches = this.recent(this.batches, realm, now);
    const flying = this.inFlight.get(realm) ?? 0;
    if (
      requests.length >= this.settings.requestsPerMinute ||
      flying >= this.settings.concurrent ||
      (isBatch && batches.length >= this.settings.batchesPerMinute)
    )
      return false;
    requests.push(now);
    if (isBatch) batches.push(now);
    this.inFlight.set(realm, flying + 1);
    return true;
  }

  release(realm: string): void {
    this.inFlight.set(realm, Math.max(0, (this.inFlight.get(realm) ?? 1) - 1));
  }
}
