import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { runModel } from './model';

/**
 * The model-based convergence test, a short seed set in `npm test` (test/chaos/model.chaos.ts runs 500). Each seed is
 * a random sequence of two-sided edits with syncs, some of which lose a write's answer after the backend applied it.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('model');
});
afterAll(() => database?.drop());

test('24 random sequences of two-sided edits converge to the model, field by field', async () => {
  const { totals, failures } = await runModel(database.db, 24, 30);
  console.log(`model-based convergence: ${JSON.stringify(totals)}`);
  expect(failures).toEqual([]);
  expect(totals.conflicts).toBeGreaterThan(0);
  expect(totals.crashes).toBeGreaterThan(0);
}, 600_000);
