import { createStack, type Stack } from '../helpers/stack';
import { runStackModel } from '../model/stackModel';
import { recordScenario } from './record';

/** The model-based test on the whole stack, long: MODEL_STACK_SEQUENCES (default 40) seeds of 30 operations. */
let stack: Stack;
beforeAll(async () => {
  stack = await createStack('stack_model_chaos', { inProcessWorker: false });
});
afterAll(async () => stack?.close());

test('many random two-sided sequences with worker SIGKILLs inside runs converge to the model', async () => {
  const startedAt = Date.now();
  const sequences = Number(process.env.MODEL_STACK_SEQUENCES ?? 40);
  const seed = Number(process.env.MODEL_SEED ?? 1000);
  const { totals, failures } = await runStackModel(stack, sequences, 30, seed);
  console.log(`stack model: ${JSON.stringify(totals)}`);
  recordScenario({
    scenario: 'model sequences with worker SIGKILL',
    what: `${sequences} random sequences (seeds ${seed}…) of two-sided creates, edits, clears, deactivations, reactivations, invoice edits and payments between runs, the worker SIGKILLed inside runs; after every run both sides equal the reference model field by field (a model divergence counts as a mismatch)`,
    disruptions: {
      sequences,
      runs: totals.syncs,
      kills: totals.kills,
      edits: totals.edits,
      conflicts: totals.conflicts,
    },
    comparison: {
      recordsCompared: totals.recordsCompared,
      duplicates: [],
      losses: [],
      mismatches: failures,
      perEntity: {},
    },
    startedAt,
  });
  expect(failures).toEqual([]);
}, 3_600_000);
