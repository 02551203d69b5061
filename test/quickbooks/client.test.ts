import { ApplicationFailure } from '@temporalio/common';
import {
  deterministicRequestId,
  NON_RETRYABLE_QBO_ERROR_TYPES,
  QboError,
  QboReconnectRequiredError,
  QboStaleObjectError,
  QboThrottledError,
  QboTransientError,
  QboValidationError,
  select,
  toActivityFailure,
  type TokenSource,
} from '../../activities/quickbooks';
import { failure, startHarness, type Harness, type TestRealm } from './harness';

let h: Harness;
/** Every error the tests saw, checked at the end for token strings. */
const seen: Array<{ error: Error; tokens: string[] }> = [];

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function caught(realm: TestRealm, promise: Promise<unknown>): Promise<QboError> {
  const error = await failure(promise);
  seen.push({ error, tokens: realm.tokenStrings() });
  expect(error).toBeInstanceOf(QboError);
  return error as QboError;
}

describe('QboClient against the emulator', () => {
  it('pages through 2,500 customers 1000 at a time: 3 pages, 3 query requests', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await h.admin.seed(realm.realmId, { kind: 'bulk', customers: 2500 });
    expect(await realm.client.count('Customer')).toBe(2500);
    const before = (await h.admin.requests({ realmId: realm.realmId })).length;
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of realm.client.query('Customer')) {
      sizes.push(page.length);
      for (const c of page) ids.add(c.Id);
      expect(typeof page[0].DisplayName).toBe('string');
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(ids.size).toBe(2500);
    const log = (await h.admin.requests({ realmId: realm.realmId })).slice(before);
    expect(log.filter((r) => r.operation === 'query').map((r) => r.status)).toEqual([200, 200, 200]);
    expect(log).toHaveLength(3);
  });

  it('keeps paging when the access token expires after the first page: one refresh, the iteration completes', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await h.admin.seed(realm.realmId, { kind: 'bulk', customers: 2500 });
    const before = (await h.admin.requests({ realmId: realm.realmId })).length;
    let total = 0;
    let pages = 0;
    for await (const page of realm.client.query('Customer', undefined, { pageSize: 1000 })) {
      if (pages++ === 0) await h.admin.expireTokens(realm.realmId);
      total += page.length;
    }
    expect(total).toBe(2500);
    expect(realm.tokens.refreshes).toBe(1);
    const log = (await h.admin.requests({ realmId: realm.realmId }))
      .slice(before)
      .filter((r) => r.operation === 'query');
    expect(log.map((r) => r.status)).toEqual([200, 401, 200, 200]);
  });

  it('builds safe queries: a name with an apostrophe and a backslash is found', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const name = "O'Brien \\ Sons";
    await realm.client.create('Customer', { DisplayName: name }, { requestId: 'obrien-1' });
    const found = await realm.client.queryAll('Customer', select('Customer').where('DisplayName', '=', name));
    expect(found.map((c) => c.DisplayName)).toEqual([name]);
    expect(await realm.client.count('Customer', select('Customer').where('DisplayName', 'LIKE', "O'Brien%"))).toBe(1);
  });

  it('429 → QboThrottledError (transient) waiting 60 s, which Temporal gets as nextRetryDelay', async () => {
    const realm = await h.realm();
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 1,
      fault: { kind: 'status', status: 429 },
    });
    const error = await caught(realm, realm.client.companyInfo());
    expect(error).toBeInstanceOf(QboThrottledError);
    expect(error).toBeInstanceOf(QboTransientError);
    expect(error.retryable).toBe(true);
    expect((error as QboThrottledError).retryAfterMs).toBe(60_000);
    expect(error.status).toBe(429);
    const af = toActivityFailure(error);
    expect(af).toBeInstanceOf(ApplicationFailure);
    expect(af.type).toBe('QboThrottledError');
    expect(af.nonRetryable).toBe(false);
    expect(af.nextRetryDelay).toBe(60_000);
    expect(NON_RETRYABLE_QBO_ERROR_TYPES).not.toContain(af.type);
    // The next attempt goes through.
    expect((await realm.client.companyInfo()).CompanyName).toBeTruthy();
  });

  it('503 on a create, then the retried create with the same requestid: exactly one record', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const requestId = deterministicRequestId(realm.tenantId, 'Customer', 'app-7', 1);
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'create' },
      count: 1,
      fault: { kind: 'status', status: 503 },
    });
    const error = await caught(
      realm,
      realm.client.create('Customer', { DisplayName: 'Retry Ltd' }, { requestId, recordId: 'app-7' }),
    );
    expect(error).toBeInstanceOf(QboTransientError);
    expect(error.status).toBe(503);
    expect(toActivityFailure(error).nonRetryable).toBe(false);
    const created = await realm.client.create(
      'Customer',
      { DisplayName: 'Retry Ltd' },
      { requestId, recordId: 'app-7' },
    );
    expect(created.DisplayName).toBe('Retry Ltd');
    expect(
      (await h.admin.entities(realm.realmId, 'Customer')).filter((c) => c.DisplayName === 'Retry Ltd'),
    ).toHaveLength(1);
    const log = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.requestid === requestId);
    expect(log.map((r) => r.status)).toEqual([503, 200]);
  });

  it('an answer lost after QuickBooks wrote (dropped connection): transient, and the retry replays instead of duplicating', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const requestId = deterministicRequestId(realm.tenantId, 'Customer', 'app-8', 3);
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'create' },
      count: 1,
      fault: { kind: 'drop', afterExecute: true },
    });
    const error = await caught(
      realm,
      realm.client.create('Customer', { DisplayName: 'Lost Answer Inc' }, { requestId }),
    );
    expect(error).toBeInstanceOf(QboTransientError);
    expect(error.code).toBe('qbsync-connection');
    const again = await realm.client.create('Customer', { DisplayName: 'Lost Answer Inc' }, { requestId });
    expect(
      (await h.admin.entities(realm.realmId, 'Customer'))
        .filter((c) => c.DisplayName === 'Lost Answer Inc')
        .map((c) => c.Id),
    ).toEqual([again.Id]);
    const log = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.requestid === requestId);
    expect(log.at(-1)?.replayed).toBe(true);
  });

  it('a requestid replay returns the first result, not a second record', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const first = await realm.client.create('Customer', { DisplayName: 'First Answer' }, { requestId: 'replay-1' });
    const second = await realm.client.create('Customer', { DisplayName: 'Second Body' }, { requestId: 'replay-1' });
    expect(second).toEqual(first);
    const names = (await h.admin.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName);
    expect(names).toEqual(['First Answer']);
  });

  it('a stale SyncToken → QboStaleObjectError (5010), its own non-retryable type', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const c = await realm.client.create('Customer', { DisplayName: 'Stale Co' }, { requestId: 'stale-1' });
    const updated = await realm.client.update(
      'Customer',
      { Id: c.Id, SyncToken: c.SyncToken!, CompanyName: 'Stale Co LLC' },
      { requestId: 'stale-2' },
    );
    expect(updated.CompanyName).toBe('Stale Co LLC');
    expect(updated.DisplayName).toBe('Stale Co'); // sparse: the rest is untouched
    const error = await caught(
      realm,
      realm.client.update(
        'Customer',
        { Id: c.Id, SyncToken: c.SyncToken!, CompanyName: 'Too late' },
        { requestId: 'stale-3' },
      ),
    );
    expect(error).toBeInstanceOf(QboStaleObjectError);
    expect(error.code).toBe('5010');
    expect(error.recordId).toBe(c.Id);
    expect(toActivityFailure(error)).toMatchObject({ type: 'QboStaleObjectError', nonRetryable: true });
    expect(NON_RETRYABLE_QBO_ERROR_TYPES).toContain('QboStaleObjectError');
  });

  it('a duplicate name → QboValidationError naming tenant, entity, record, code, message and what to do; non-retryable', async () => {
    const realm = await h.realm({ seed: 'empty' });
    await realm.client.create('Customer', { DisplayName: 'Twin Corp' }, { requestId: 'dup-1' });
    const error = await caught(
      realm,
      realm.client.create('Customer', { DisplayName: 'Twin Corp' }, { requestId: 'dup-2', recordId: 'app-42' }),
    );
    expect(error).toBeInstanceOf(QboValidationError);
    expect(error).toMatchObject({
      code: '6240',
      status: 400,
      entity: 'Customer',
      recordId: 'app-42',
      tenantId: realm.tenantId,
      realmId: realm.realmId,
      qboMessage: 'Duplicate Name Exists Error',
    });
    expect(error.intuitTid).toBeTruthy();
    for (const part of [
      realm.tenantId,
      'Customer app-42',
      'code 6240',
      'Duplicate Name Exists Error',
      'What to do: another QuickBooks customer',
      `intuit_tid ${error.intuitTid}`,
    ])
      expect(error.message).toContain(part);
    const af = toActivityFailure(error);
    expect(af).toMatchObject({ type: 'QboValidationError', nonRetryable: true, message: error.message });
    expect(af.details?.[0]).toMatchObject({
      code: '6240',
      message: 'Duplicate Name Exists Error',
      entity: 'Customer',
      recordId: 'app-42',
      intuitTid: error.intuitTid,
    });
    expect(JSON.parse(JSON.stringify(af.details))).toEqual(af.details);
  });

  it('a dropped connection and a delay beyond the timeout are transient', async () => {
    const realm = await h.realm({ client: { timeoutMs: 300 } });
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 1,
      fault: { kind: 'drop' },
    });
    const dropped = await caught(realm, realm.client.companyInfo());
    expect(dropped).toBeInstanceOf(QboTransientError);
    expect(dropped.code).toBe('qbsync-connection');
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 1,
      fault: { kind: 'delay', ms: 1500 },
    });
    const started = Date.now();
    const slow = await caught(realm, realm.client.companyInfo());
    expect(Date.now() - started).toBeLessThan(1400);
    expect(slow).toBeInstanceOf(QboTransientError);
    expect(slow.code).toBe('qbsync-timeout');
    expect(slow.message).toMatch(/no answer within 0.3 s/);
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 1,
      fault: { kind: 'malformed-json' },
    });
    const garbled = await caught(realm, realm.client.companyInfo());
    expect(garbled).toBeInstanceOf(QboTransientError);
    expect(garbled.message).toMatch(/unreadable JSON/);
  });

  it('a transient failure is sent again under the same requestid before it fails: twice, then it surfaces', async () => {
    const realm = await h.realm({ client: { resendDelaysMs: [0, 0] } });
    const requestId = 'resend-0123456789';
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'create' },
      count: 2,
      fault: { kind: 'status', status: 503 },
    });
    const created = await realm.client.create('Customer', { DisplayName: 'Resent Ltd' }, { requestId });
    expect(created.DisplayName).toBe('Resent Ltd');
    const creates = (await h.admin.requests({ realmId: realm.realmId })).filter((r) => r.operation === 'create');
    expect(creates.map((r) => r.requestid)).toEqual([requestId, requestId, requestId]);
    expect(realm.client.requests.resends).toBe(2);
    expect(
      (await h.admin.entities(realm.realmId, 'Customer')).filter((c) => c.DisplayName === 'Resent Ltd'),
    ).toHaveLength(1);

    // A third failure in a row is the activity's to retry; a 429 is never resent by the client.
    await h.admin.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'read' },
      count: 3,
      fault: { kind: 'status', status: 500 },
    });
    expect(await caught(realm, realm.client.companyInfo())).toBeInstanceOf(QboTransientError);
  });

  it('one token read serves the requests of the next second; a token QuickBooks refuses is refreshed, never reused', async () => {
    const realm = await h.realm();
    let reads = 0;
    let refreshes = 0;
    const counting = (tokenReuseMs?: number) => {
      const tokens: TokenSource = {
        accessToken: async () => {
          reads++;
          return realm.tokens.accessToken();
        },
        refreshAfterUnauthorized: async (rejected) => {
          refreshes++;
          return realm.tokens.refreshAfterUnauthorized(rejected);
        },
      };
      return new QboClient({
        baseUrl: h.emulator.url,
        realmId: realm.realmId,
        tenantId: realm.tenantId,
        tokens,
        tokenReuseMs,
      });
    };
    const { QboClient } = await import('../../activities/quickbooks');
    const reusing = counting(60_000);
    for (let i = 0; i < 5; i++) await reusing.companyInfo();
    expect(reads).toBe(1);
    // QuickBooks no longer takes it: refreshed once, and the requests after use the new token, not the refused one.
    await h.admin.expireTokens(realm.realmId);
    await reusing.companyInfo();
    await reusing.companyInfo();
    expect(refreshes).toBe(1);
    expect(reads).toBe(2);

    reads = 0;
    const everyTime = counting(0);
    for (let i = 0; i < 3; i++) await everyTime.companyInfo();
    expect(reads).toBe(3);
  });

  it('a 401 that a refresh does not cure → QboReconnectRequiredError; no token string in any error', async () => {
    const realm = await h.realm();
    // A token source whose "refresh" hands back a token QuickBooks does not know.
    const broken: TokenSource = {
      accessToken: async () => realm.tokens.access,
      refreshAfterUnauthorized: async () => 'at-bogus-token-0123456789abcdef',
    };
    const { QboClient } = await import('../../activities/quickbooks');
    const client = new QboClient({
      baseUrl: h.emulator.url,
      realmId: realm.realmId,
      tenantId: realm.tenantId,
      tokens: broken,
    });
    await h.admin.expireTokens(realm.realmId);
    const error = await caught(realm, client.read('Customer', '1'));
    expect(error).toBeInstanceOf(QboReconnectRequiredError);
    expect(error.message).toContain(`qbsync connect ${realm.tenantId}`);
    expect(toActivityFailure(error)).toMatchObject({ type: 'QboReconnectRequiredError', nonRetryable: true });
    seen.push({
      error,
      tokens: [...realm.tokenStrings(), 'at-bogus-token-0123456789abcdef', realm.tokens.access.slice(0, 8), 'at-bog'],
    });
  });

  it('errors, their Temporal failures and details never contain a token', () => {
    expect(seen.length).toBeGreaterThanOrEqual(9);
    for (const { error, tokens } of seen) {
      const text = [
        error.message,
        error.stack,
        JSON.stringify(error),
        JSON.stringify(toActivityFailure(error as QboError).details),
        String(error),
      ].join('\n');
      for (const token of tokens) expect(text).not.toContain(token);
    }
  });
});
