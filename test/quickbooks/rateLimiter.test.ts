import { RateLimiterRegistry, RealmRateLimiter } from '../../activities/quickbooks';

interface Gate {
  promise: Promise<void>;
  open: () => void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every pending promise callback run (fake timers: no real time passes). */
const settle = () => jest.advanceTimersByTimeAsync(0);

describe('per-realm rate limiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('keeps at most N requests in flight and starts waiters in the order they came', async () => {
    const limiter = new RealmRateLimiter({ concurrent: 3 });
    const started: number[] = [];
    const gates = Array.from({ length: 8 }, gate);
    const runs = gates.map((g, i) =>
      limiter.run(false, async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.stats()).toMatchObject({ inFlight: 3, queued: 5, waits: 5 });
    gates[1].open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[0].open();
    gates[3].open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    gates.forEach((g) => g.open());
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0, peakInFlight: 3, started: 8 });
  });

  it('releases the slot when a request fails', async () => {
    const limiter = new RealmRateLimiter({ concurrent: 1 });
    await expect(limiter.run(false, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.inFlight).toBe(0);
    await expect(limiter.run(false, async () => 'ok')).resolves.toBe('ok');
  });

  it('starts at most M requests per rolling window, the rest when the oldest start leaves the window', async () => {
    const limiter = new RealmRateLimiter({ requestsPerWindow: 5, windowMs: 200 });
    const startedAt: number[] = [];
    const runs = Array.from({ length: 12 }, () => limiter.run(false, async () => void startedAt.push(Date.now())));
    await settle();
    expect(startedAt).toHaveLength(5);
    await jest.advanceTimersByTimeAsync(199);
    expect(startedAt).toHaveLength(5);
    await jest.advanceTimersByTimeAsync(1);
    expect(startedAt).toHaveLength(10);
    await jest.advanceTimersByTimeAsync(200);
    await Promise.all(runs);
    expect(startedAt).toHaveLength(12);
    // No 200 ms window holds more than 5 starts.
    for (const t of startedAt) expect(startedAt.filter((s) => s >= t && s < t + 200).length).toBeLessThanOrEqual(5);
    expect(limiter.stats().waits).toBe(7);
  });

  it('caps batch requests separately, counts them toward the request cap, and keeps FIFO across kinds', async () => {
    const limiter = new RealmRateLimiter({ requestsPerWindow: 4, batchesPerWindow: 2, windowMs: 1000 });
    const order: string[] = [];
    const run = (name: string, batch: boolean) =>
      limiter.run(batch, async () => void order.push(`${name}@${Date.now() - 1_000_000}`));
    const runs = [run('b1', true), run('b2', true), run('b3', true), run('r1', false), run('r2', false)];
    await settle();
    // b3 waits for the batch window, and r1 waits behind it (first come, first served).
    expect(order).toEqual(['b1@0', 'b2@0']);
    await jest.advanceTimersByTimeAsync(1000);
    await Promise.all(runs);
    expect(order).toEqual(['b1@0', 'b2@0', 'b3@1000', 'r1@1000', 'r2@1000']);
    // b1, b2 left the window; b3, r1, r2 are in it: one more request fits, then the request cap holds.
    const late: string[] = [];
    const more = [1, 2].map((i) => limiter.run(false, async () => void late.push(`x${i}@${Date.now() - 1_000_000}`)));
    await settle();
    expect(late).toEqual(['x1@1000']);
    await jest.advanceTimersByTimeAsync(1000);
    await Promise.all(more);
    expect(late).toEqual(['x1@1000', 'x2@2000']);
  });

  it('waits on a timer, not a loop: nothing runs while a window is full', async () => {
    const limiter = new RealmRateLimiter({ requestsPerWindow: 1, windowMs: 60_000 });
    await limiter.run(false, async () => undefined);
    let done = false;
    const waiting = limiter.run(false, async () => void (done = true));
    await settle();
    expect(jest.getTimerCount()).toBe(1);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(60_000);
    await waiting;
    expect(done).toBe(true);
  });

  it('is one limiter per realm in a worker process', () => {
    const registry = new RateLimiterRegistry({ concurrent: 2 });
    expect(registry.forRealm('1')).toBe(registry.forRealm('1'));
    expect(registry.forRealm('1')).not.toBe(registry.forRealm('2'));
    expect(registry.forRealm('2').limits).toMatchObject({
      concurrent: 2,
      requestsPerWindow: 500,
      batchesPerWindow: 40,
      windowMs: 60_000,
    });
    expect(Object.keys(registry.stats())).toEqual(['1', '2']);
    expect(() => new RealmRateLimiter({ concurrent: 0 })).toThrow(RangeError);
  });
});
