import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { runModel } from '../model/model';

/** The model-based convergence test, long: MODEL_SEQUENCES (default 500) seeds of 40 operations. */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('model_chaos');
});
afterAll(() => database?.drop());

test('hundreds of random two-sided sequences with lost answers converge to the model', async () => {
  const sequences = Number(process.env.MODEL_SEQUENCES ?? 500);
  const { totals, failures } = await runModel(database.db, sequences, 40, Number(process.env.MODEL_SEED ?? 1000));
  console.log(`model-based convergence: ${JSON.stringify(totals)}`);
  expect(failures).toEqual([]);
}, 1_800_000);
