import { PRODUCTION_LIMITS, RealmLimiter } from '../../emulator/limits';
import { contract } from './target';

contract('limits (production)', ({ target, emulatorOnly }) => {
  emulatorOnly('throttles the 501st request within a minute with 429 ThrottleExceeded (3001)', async () => {
    const realm = await target().realm();
    const statuses: number[] = [];
    for (let i = 0; i < 500; i++) statuses.push((await realm.call('GET', `companyinfo/${realm.realmId}`)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const throttled = await realm.call('GET', `companyinfo/${realm.realmId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.json.Fault.type).toBe('SERVICE');
    expect(throttled.json.Fault.Error[0]).toMatchObject({
      code: '3001',
      Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      Detail: 'The request limit was reached.  Try again later',
    });
    // Another realm is not affected.
    const other = await target().realm();
    expect((await other.call('GET', `companyinfo/${other.realmId}`)).status).toBe(200);
  });

  emulatorOnly('11 concurrent requests in one realm: one is refused with 429', async () => {
    const realm = await target().realm();
    await target().admin!.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 11,
      fault: { kind: 'delay', ms: 400 },
    });
    const results = await Promise.all(
      Array.from({ length: 11 }, () => realm.call('GET', `companyinfo/${realm.realmId}`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    await target().admin!.clearFaults();
  });

  emulatorOnly('throttles the 41st batch request within a minute', async () => {
    const realm = await target().realm();
    const batch = { BatchItemRequest: [{ bId: 'q', Query: 'select * from Customer MAXRESULTS 1' }] };
    for (let i = 0; i < 40; i++) expect((await realm.call('POST', 'batch', batch)).status).toBe(200);
    const r = await realm.call('POST', 'batch', batch);
    expect(r.status).toBe(429);
    expect(r.json.Fault.Error[0].code).toBe('3001');
  });
});

// On the limiter's own clock (instants given, not waited for): a test that timed 500 HTTP requests against a
// 2-second "minute" failed whenever the machine was busy.
test('with a time scale, a limit "minute" lasts 60/timeScale seconds', () => {
  const limiter = new RealmLimiter({ ...PRODUCTION_LIMITS, timeScale: 30 });
  const t0 = 1_000_000;
  for (let i = 0; i < 500; i++) {
    expect(limiter.admit('r', false, t0 + i)).toBe(true);
    limiter.release('r');
  }
  expect(limiter.admit('r', false, t0 + 500)).toBe(false);
  // The first request leaves the window 2 s (60 s / 30) after it was admitted, not a millisecond before.
  expect(limiter.admit('r', false, t0 + 1999)).toBe(false);
  expect(limiter.admit('r', false, t0 + 2000)).toBe(true);
  limiter.release('r');
  // Another realm was never limited by this one.
  expect(limiter.admit('other', false, t0 + 500)).toBe(true);
});

contract(
  'limits off',
  ({ emulatorOnly, target }) => {
    emulatorOnly('serves more than 500 requests a minute', async () => {
      const realm = await target().realm();
      for (let i = 0; i < 520; i++) expect((await realm.call('GET', `companyinfo/${realm.realmId}`)).status).toBe(200);
    });
  },
  { limits: 'off' },
);
