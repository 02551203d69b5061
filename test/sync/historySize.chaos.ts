import { randomBytes } from 'node:crypto';
import { PULL_PAGE_SIZE } from '../../activities/sync/engine';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, type Stack } from '../helpers/stack';

/**
 * A run's Temporal history grows with pages of work, not with records, and long runs continue as new, so no
 * company size can reach Temporal's 50k-event limit. Counts are structural (events per page), never timings.
 * The worker's step activities hand back after every page (slice 0): the most history a run can make, so the bound
 * holds for any slice, and long runs really continue as new.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('history', { stepSliceMs: 0 });
});
afterAll(async () => stack?.close());

interface RunShape {
  runs: number;
  events: number;
  largestRun: number;
  pages: number;
  requests: number;
}

async function syncAndMeasure(tenantId: string, realmId: string): Promise<RunShape> {
  const before = (await stack.admin.requests({ realmId })).at(-1)?.seq ?? 0;
  const workflowId = `history-${tenantId}-${randomBytes(3).toString('hex')}`;
  const result = await stack.temporal.client.workflow.execute(syncTenant, {
    taskQueue: stack.temporal.taskQueue,
    workflowId,
    args: [{ tenantId, trigger: 'test' }],
  });
  expect(result.status).toBe('succeeded');
  const sizes: number[] = [];
  for await (const execution of stack.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await stack.temporal.client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    sizes.push(history.events?.length ?? 0);
  }
  const requests = (await stack.admin.requests({ realmId, sinceSeq: before })).length;
  return {
    runs: sizes.length,
    events: sizes.reduce((a, b) => a + b, 0),
    largestRun: Math.max(...sizes),
    pages: result.steps.reduce((n, s) => n + s.pages, 0),
    requests,
  };
}

test('the demo company: a first run and a run with nothing to do', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'demo' });
  const first = await syncAndMeasure(tenantId, realmId);
  const idle = await syncAndMeasure(tenantId, realmId);
  console.log(`history-size demo company: first run ${JSON.stringify(first)}; no-op run ${JSON.stringify(idle)}`);
  // Fixed per-run bookkeeping (start, five steps opened and closed, end) plus a few events per page.
  expect(first.events).toBeLessThanOrEqual(60 + 10 * first.pages);
  expect(idle.events).toBeLessThanOrEqual(60 + 10 * idle.pages);
});

test('20 pages of invoices and 20 of payments: history per page stays bounded and the run continues as new', async () => {
  // Sized in pages, not records: enough pages that one run's history passes the test server's suggestion (200 events).
  const records = 20 * PULL_PAGE_SIZE;
  const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
  await stack.admin.seed(realmId, {
    kind: 'bulk',
    customers: 2000,
    items: 2000,
    invoices: records,
    payments: records,
    maxLinesPerInvoice: 5,
  });
  const shape = await syncAndMeasure(tenantId, realmId);
  console.log(`history-size ${records} invoices: ${JSON.stringify(shape)}`);
  expect(shape.events).toBeLessThanOrEqual(60 * shape.runs + 10 * shape.pages);
  // The test server suggests continue-as-new at 200 events (jest global setup); a run never grows far past that.
  expect(shape.largestRun).toBeLessThan(400);
  expect(shape.runs).toBeGreaterThan(1);
  const invoices = await stack.database.db
    .selectFrom('invoices')
    .select(stack.database.db.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(invoices.n)).toBe(records);
}, 600_000);
