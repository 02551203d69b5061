import { createStack, type Stack } from '../helpers/stack';
import { runStackModel } from '../model/stackModel';

/** The model-based test on the whole stack, long: MODEL_STACK_SEQUENCES (default 40) seeds of 30 operations. */
let stack: Stack;
beforeAll(async () => {
  stack = await createStack('stack_model_chaos', { inProcessWorker: false });
});
afterAll(async () => stack?.close());

test('many random two-sided sequences with worker SIGKILLs inside runs converge to the model', async () => {
  const sequences = Number(process.env.MODEL_STACK_SEQUENCES ?? 40);
  const { totals, failures } = await runStackModel(stack, sequences, 30, Number(process.env.MODEL_SEED ?? 1000));
  console.log(`stack model: ${JSON.stringify(totals)}`);
  expect(failures).toEqual([]);
}, 3_600_000);
