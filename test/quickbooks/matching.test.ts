import { customer } from '../../activities/backends/quickbooks-online/entities/customer';
import { QboValidationError } from '../../activities/quickbooks';
import type { CustomerRecord } from '../../activities/sync/entities/customer';
import { failure, startHarness, type Harness } from './harness';

const base: CustomerRecord = {
  ...{ displayName: 'Jack Doe', companyName: null, givenName: null, familyName: null, email: 'jack@example.com' },
  ...{ phone: null, billingAddress: null, shippingAddress: null, parentId: null, active: true },
};

describe('matching customers by full name (issue 15)', () => {
  it('a job and a customer of the same name are different records: the one under the same parent is the twin', () => {
    const job = { ...base, parentId: 7 };
    expect(customer.pickQboMatch(base, [job, base])).toBe(1);
    expect(customer.pickQboMatch(job, [job, base])).toBe(0);
    expect(customer.pickQboMatch({ ...base, parentId: 8 }, [job, base])).toBeUndefined();
  });

  it('two candidates are never a guess: both are named', () => {
    const other = { ...base, displayName: 'J. Doe' };
    const again = { ...base, displayName: 'Jack D.' };
    expect(customer.pickQboMatch({ ...base, displayName: 'Jackie' }, [other, again])).toEqual({ ambiguous: [0, 1] });
    expect(customer.pickQboMatch(base, [other, base])).toBe(1);
  });
});

describe('QuickBooks ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('a malformed id is 2030 Invalid ID — a request error, never "the record is gone" (610)', async () => {
    const realm = await h.realm({ seed: 'empty' });
    const error = await failure(realm.client.read('Customer', '1.5'));
    expect(error).toBeInstanceOf(QboValidationError);
    expect((error as QboValidationError).code).toBe('2030');
    const gone = await failure(realm.client.read('Customer', '99999'));
    expect((gone as QboValidationError).code).toBe('610');
  });
});
