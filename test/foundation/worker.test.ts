import { createActivities } from '../../activities/activities';
import { systemClock } from '../../workers/clock';
import { createLogger } from '../../workers/logger';
import { checkWorker } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

let database: TestDatabase;
let temporal: TestTemporal;

beforeAll(async () => {
  database = await createTestDatabase('worker');
  temporal = await connectTestTemporal('worker');
});

afterAll(async () => {
  await temporal?.close();
  await database?.drop();
});

test('a workflow on the real dev server runs an activity that reads and writes the real PostgreSQL', async () => {
  const activities = createActivities({
    db: database.db,
    logger: createLogger('silent'),
    clock: systemClock,
    backendFor: () => Promise.reject(new Error('this test reaches no QuickBooks')),
  });
  const result = await temporal.withWorker(activities, () =>
    temporal.client.workflow.execute(checkWorker, {
      taskQueue: temporal.taskQueue,
      workflowId: `check-${temporal.taskQueue}`,
      args: ['test-worker'],
    }),
  );
  expect(result.latestMigration).toMatch(/^\d{4}_/);
  const row = await database.db
    .selectFrom('installation')
    .selectAll()
    .where('key', '=', 'worker.test-worker.seen_at')
    .executeTakeFirstOrThrow();
  expect(row.value).toBe(result.workerSeenAt);
});
