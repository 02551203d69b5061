import { createStack, type Stack } from '../helpers/stack';
import { runStackModel } from './stackModel';

/**
 * The model-based test on the whole stack, a short seed set in `npm test` (test/chaos/stackModel.chaos.ts runs more):
 * customers, invoices and payments edited on both sides between runs of the real workflow, the worker process
 * SIGKILLed inside runs; after every run both sides equal the reference model field by field.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await createStack('stack_model', { inProcessWorker: false });
});
afterAll(async () => stack?.close());

test('random two-sided sequences with worker kills inside runs converge to the model, field by field', async () => {
  const { totals, failures } = await runStackModel(stack, Number(process.env.MODEL_STACK_SEQUENCES ?? 1), 18);
  console.log(`stack model: ${JSON.stringify(totals)}`);
  expect(failures).toEqual([]);
  expect(totals.kills).toBeGreaterThan(0);
  expect(totals.syncs).toBeGreaterThan(totals.sequences);
}, 900_000);
