import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { seedAppCompany } from '../../bench/appSeed';
import { syncTenant } from '../../workflows';
import { createStack, type Stack } from '../helpers/stack';

/**
 * A step is one activity, so its retry policy (12 attempts) counts the attempts of the whole step. Attempts that die
 * after moving the step on (a worker killed mid-step, again and again) must not fail it: the workflow asks for the
 * step again while its resume point moves. Attempts that move nothing still fail it after 12, with their error.
 */
let stack: Stack;
/** Per failing attempt of the customers step: whether it commits a page before it dies; then attempts run as usual. */
let failing: boolean[] = [];
let calls = 0;

beforeAll(async () => {
  stack = await createStack('step_retries', {
    // One page per attempt: each failing attempt below commits exactly one page (or none) before it dies.
    stepSliceMs: 0,
    wrapActivities: (activities) => ({
      ...activities,
      async syncStep(input) {
        if (input.step !== 'customers' || failing.length === 0) return activities.syncStep(input);
        const afterPage = failing.shift();
        calls++;
        if (afterPage) await activities.syncStep(input);
        throw ApplicationFailure.create({
          type: 'AttemptLost',
          message: afterPage ? 'the attempt died after its page committed' : 'the attempt died at once',
          nextRetryDelay: '10 milliseconds',
        });
      },
    }),
  });
});
afterAll(async () => stack?.close());

async function run(tenantId: string) {
  return stack.temporal.client.workflow.execute(syncTenant, {
    taskQueue: stack.temporal.taskQueue,
    workflowId: `step-retries-${tenantId}`,
    args: [{ tenantId, trigger: 'test' }],
  });
}

const dying = (n: number) => Array.from({ length: n }, () => false);

/** A new tenant whose app holds 400 customers for an empty QuickBooks company: its customers step pushes 3 pages. */
async function tenantWithCustomers() {
  const tenant = await stack.addTenant({ seed: 'empty' });
  const size = { customers: 400, items: 0, invoices: 0, payments: 0, maxLinesPerInvoice: 1 };
  await seedAppCompany(stack.database.db, tenant.tenantId, size);
  return tenant;
}

test('a step whose 12 attempts died, one of them after committing a page, is asked again and the run succeeds', async () => {
  const { tenantId, realmId } = await tenantWithCustomers();
  failing = [true, ...dying(13)];
  calls = 0;
  const result = await run(tenantId);
  expect(result.status).toBe('succeeded');
  expect(calls).toBe(14);
  expect(await stack.admin.entities(realmId, 'Customer')).toHaveLength(400);
});

test('attempts that move nothing fail the step after 12 more, with their own error', async () => {
  const { tenantId } = await tenantWithCustomers();
  // The first execution moved (one page), so it is asked again; the second moves nothing, so the step fails.
  failing = [true, ...dying(1000)];
  calls = 0;
  const failure = await run(tenantId).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(String((failure as WorkflowFailedError).cause?.message)).toContain('the attempt died at once');
  expect(calls).toBe(24);
});

describe('a retried step attempt', () => {
  let sliced: Stack;
  let dieFirst = false;
  const answers: Array<{ done: boolean; pages: number }> = [];
  beforeAll(async () => {
    // The default slice (20 s): a first attempt moves the whole small step at once.
    sliced = await createStack('step_retries_slice', {
      wrapActivities: (activities) => ({
        ...activities,
        async syncStep(input) {
          if (input.step !== 'customers') return activities.syncStep(input);
          if (dieFirst) {
            dieFirst = false;
            throw ApplicationFailure.create({
              type: 'AttemptLost',
              message: 'died',
              nextRetryDelay: '10 milliseconds',
            });
          }
          const result = await activities.syncStep(input);
          answers.push({ done: result.done, pages: result.pages });
          return result;
        },
      }),
    });
  });
  afterAll(async () => sliced?.close());

  test('hands back after its first page, so the next activity counts attempts and back-off afresh', async () => {
    const { tenantId } = await sliced.addTenant({ seed: 'empty' });
    const size = { customers: 400, items: 0, invoices: 0, payments: 0, maxLinesPerInvoice: 1 };
    await seedAppCompany(sliced.database.db, tenantId, size);
    dieFirst = true;
    const result = await sliced.temporal.client.workflow.execute(syncTenant, {
      taskQueue: sliced.temporal.taskQueue,
      workflowId: `step-slice-${tenantId}`,
      args: [{ tenantId, trigger: 'test' }],
    });
    expect(result.status).toBe('succeeded');
    // Attempt 2 of the first activity: the pull's one page, the first push page and the second (sent while the first
    // settled, so settled before handing back: a part's last page goes straight on to the next part); a new activity,
    // attempt 1: the push page left at once.
    expect(answers).toEqual([
      { done: false, pages: 3 },
      { done: true, pages: 1 },
    ]);
  });
});
