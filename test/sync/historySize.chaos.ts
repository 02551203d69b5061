import { randomBytes } from 'node:crypto';
import { syncTenant } from '../../workflows/syncTenant';
import { createStack, type Stack } from '../helpers/stack';

/**
 * A run's Temporal history grows with pages of work, not with records, and long runs continue as new, so no
 * company size can reach Temporal's 50k-event limit. Counts are structural (events per page), never timings.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('history');
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

test('10,000 invoices and 10,000 payments: history per page stays bounded and the run continues as new', async () => {
  const { tenantId, realmId } = await stack.addTenant({ seed: 'empty' });
  await stack.admin.seed(realmId, {
    kind: 'bulk',
    customers: 2000,
    items: 2000,
    invoices: 10_000,
    payments: 10_000,
    maxLinesPerInvoice: 5,
  });
  const shape = await syncAndMeasure(tenantId, realmId);
  console.log(`history-size 10,000 invoices: ${JSON.stringify(shape)}`);
  expect(shape.events).toBeLessThanOrEqual(60 * shape.runs + 10 * shape.pages);
  // The test server suggests continue-as-new at 200 events (jest global setup); a run never grows far past that.
  expect(shape.largestRun).toBeLessThan(400);
  expect(shape.runs).toBeGreaterThan(1);
  const invoices = await stack.database.db
    .selectFrom('invoices')
    .select(stack.database.db.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(Number(invoices.n)).toBe(10_000);
}, 600_000);
