import {
  QboMalformedAnswerError,
  QboTransientError,
  QboValidationError,
  toActivityFailure,
} from '../../activities/quickbooks';
import type { FaultRule } from '../../emulator/injection';
import { failure, startHarness, type Harness, type TestRealm } from '../quickbooks/harness';

/**
 * Issue 16 item 2: a 200 that is not what QuickBooks sends is a retryable fault, never an empty page. Each case has
 * the emulator execute the request and then answer 200 with a body of the test's choosing.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function answering(realm: TestRealm, match: FaultRule['match'], body: unknown): Promise<void> {
  await h.admin.injectFaults({ realmId: realm.realmId, match, count: 1, fault: { kind: 'body', body } });
}

async function malformed(promise: Promise<unknown>, what: string): Promise<QboMalformedAnswerError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(QboMalformedAnswerError);
  expect(error).toBeInstanceOf(QboTransientError);
  expect(error.message).toContain(`QuickBooks answered 200 without ${what}`);
  expect(error.message).toContain('What to do: nothing: the request is retried');
  const failureForTemporal = toActivityFailure(error as QboMalformedAnswerError);
  expect(failureForTemporal.nonRetryable).toBe(false);
  expect(failureForTemporal.type).toBe('QboMalformedAnswerError');
  return error as QboMalformedAnswerError;
}

describe('answers that are not what QuickBooks sends', () => {
  let realm: TestRealm;
  beforeAll(async () => {
    realm = await h.realm({ seed: 'demo' });
  });

  it.each([
    ['{}', {}],
    ['[]', []],
    ['null', null],
    ['a QueryResponse that is a list', { QueryResponse: [] }],
    ['customers that are not a list', { QueryResponse: { Customer: { Id: '1' } } }],
    ['customers that are not records', { QueryResponse: { Customer: [1, 2] } }],
  ])('a query answered %s is a retryable fault, not an empty page', async (_name, body) => {
    await answering(realm, { operation: 'query' }, body);
    const error = await failure(realm.client.queryPage('Customer'));
    if (body === null) expect(error).toBeInstanceOf(QboTransientError);
    else await malformed(Promise.reject(error), 'a QueryResponse');
    // The next answer is QuickBooks' own again: the demo company's customers are all there.
    expect((await realm.client.queryPage('Customer')).items.length).toBeGreaterThan(0);
  });

  it('the raw query the sync core uses refuses {} too', async () => {
    await answering(realm, { operation: 'query' }, {});
    await malformed(realm.client.rawQuery('SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 10'), 'a QueryResponse');
  });

  it('QuickBooks\' own empty result, {"QueryResponse":{},"time":…}, is zero rows', async () => {
    await answering(realm, { operation: 'query' }, { QueryResponse: {}, time: '2026-01-01T00:00:00.000-08:00' });
    const page = await realm.client.queryPage('Customer');
    expect(page.items).toEqual([]);
    expect(page.time).toBe('2026-01-01T00:00:00.000-08:00');
  });

  it('a count without a totalCount is a fault, not zero', async () => {
    await answering(realm, { operation: 'query' }, { QueryResponse: {} });
    await malformed(realm.client.count('Customer'), 'a QueryResponse with a totalCount');
    expect(await realm.client.count('Customer')).toBeGreaterThan(0);
  });

  it.each([
    ['{}', {}],
    ['a CDCResponse that is not a list', { CDCResponse: {} }],
    ['entities that are not lists', { CDCResponse: [{ QueryResponse: [{ Customer: 'x' }] }] }],
  ])('a CDC call answered %s is a fault, not "nothing changed"', async (_name, body) => {
    await answering(realm, { operation: 'cdc' }, body);
    await malformed(realm.client.cdcOnce(['Customer'], new Date(Date.now() - 3600_000)), 'a CDCResponse');
  });

  it('a read answered {} is a fault', async () => {
    const [first] = (await realm.client.queryPage('Customer', undefined, { maxResults: 1 })).items;
    await answering(realm, { operation: 'read' }, {});
    await malformed(realm.client.read('Customer', first.Id), 'a Customer');
  });

  it('a create answered {} is a fault, and its retry replays by requestid: one customer, not two', async () => {
    await answering(realm, { entity: 'Customer', operation: 'create' }, {});
    const body = { DisplayName: 'Malformed Answer Ltd' };
    const error = await malformed(realm.client.create('Customer', body, { requestId: 'malformed-1' }), 'a Customer');
    expect(error.entity).toBe('Customer');
    const created = await realm.client.create('Customer', body, { requestId: 'malformed-1' });
    expect(created.DisplayName).toBe('Malformed Answer Ltd');
    expect(await realm.client.count('Customer', "DisplayName = 'Malformed Answer Ltd'")).toBe(1);
  });

  it('a batch answered {} is a fault for the whole batch, not "no item answered"', async () => {
    await answering(realm, { operation: 'batch' }, {});
    await malformed(
      realm.client.batch([{ operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Malformed' } }], {
        requestId: 'malformed-batch-1',
      }),
      'a BatchItemResponse',
    );
  });

  it('CompanyInfo and Preferences answered {} are faults', async () => {
    await answering(realm, { pathIncludes: 'companyinfo' }, {});
    await malformed(realm.client.companyInfo(), 'a CompanyInfo');
    await answering(realm, { pathIncludes: 'preferences' }, {});
    await malformed(realm.client.preferences(), 'a Preferences');
  });

  it('an entity that is there but unreadable is still a validation error (report as a bug), not retried', async () => {
    await answering(realm, { operation: 'query' }, { QueryResponse: { Customer: [{ Id: '1' }] } });
    const error = await failure(realm.client.queryPage('Customer'));
    expect(error).toBeInstanceOf(QboValidationError);
  });
});
