import { seedAppCompany } from '../../bench/appSeed';
import { createStack, type Stack } from '../helpers/stack';

/**
 * QuickBooks answering HTTP 500 (SystemFault 10000) twice in a row to the same request is a passing outage, not a
 * verdict on the request: Intuit asks for one prompt resubmission, not a loop, so the step retries it with growing
 * delays and the nightly run still succeeds — with every record once.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('repeated_500');
});
afterAll(async () => stack?.close());

test('a 500 answered twice in a row to the same batch write and to the same query is retried later: the run succeeds, no duplicates', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
  const size = { customers: 40, items: 0, invoices: 0, payments: 0, maxLinesPerInvoice: 1 };
  await seedAppCompany(stack.database.db, tenantId, size);
  const fault = { kind: 'status', status: 500 } as const;
  await stack.admin.injectFaults({ realmId, match: { operation: 'batch' }, count: 2, fault });
  await stack.admin.injectFaults({ realmId, match: { operation: 'query', entity: 'Item' }, count: 2, fault });

  const result = await stack.sync(tenantId);

  expect(result.status).toBe('succeeded');
  const log = await stack.admin.requests({ realmId });
  const failedBatches = log.filter((e) => e.operation === 'batch' && e.injected === 'status');
  const failedQueries = log.filter((e) => e.operation === 'query' && e.entity === 'Item' && e.injected === 'status');
  // The same request twice: the batch under one requestid, the query with one text.
  expect(failedBatches.map((e) => [e.status, e.requestid])).toEqual([
    [500, failedBatches[0].requestid],
    [500, failedBatches[0].requestid],
  ]);
  expect(failedQueries.map((e) => [e.status, e.path])).toEqual([
    [500, failedQueries[0].path],
    [500, failedQueries[0].path],
  ]);
  const customers = await stack.admin.entities<{ DisplayName: string }>(realmId, 'Customer');
  expect(customers).toHaveLength(40);
  expect(new Set(customers.map((c) => c.DisplayName)).size).toBe(40);
});
