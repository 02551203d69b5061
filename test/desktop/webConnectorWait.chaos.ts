import { WorkflowFailedError } from '@temporalio/client';
import { buildRunReport } from '../../activities/notifications/report';
import { renderRunNotice } from '../../activities/notifications/render';
import { createDesktopStack, type DesktopStack } from './desktopStack';

/**
 * The wait for an absent Web Connector is bounded by the tenant's `desktop.waitMinutes`, not by the page activities'
 * retry policy (12 attempts): each page attempt waits `attemptMs` (here 2 s), then the run asks for the same page
 * again, until the tenant's limit (here 1 minute, the smallest) fails the run with a clear message and its notice.
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_wait', { attemptMs: 2_000 });
});
afterAll(async () => {
  await stack?.close();
});

test('an absent Web Connector is waited for the tenant’s waitMinutes, then the run fails clearly and the notice says so', async () => {
  const t = await stack.addTenant({ seed: 'salesin', settings: { desktop: { waitMinutes: 1 } }, connect: false });
  const failure = await stack.sync(t.tenantId).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const db = stack.database.db;
  const run = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('tenant_id', '=', t.tenantId)
    .executeTakeFirstOrThrow();
  expect(run.status).toBe('failed');
  const message = `tenant ${t.tenantId}: the Web Connector of ${t.tenantId} did not connect for 1 minutes; open QuickBooks with the company file and make sure the Web Connector runs qbsync (Update Selected), then run the sync again`;
  expect(run.error).toMatchObject({ type: 'WebConnectorAbsentError', message });
  // Far more step activities than the retry policy's 12 attempts, each a first attempt: the tenant's limit decided.
  const history = await stack.temporal.client.workflow.getHandle(run.workflow_id).fetchHistory();
  const events = history.events ?? [];
  const pages = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncStep');
  expect(pages.length).toBeGreaterThan(12);
  const attempts = events.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
  expect(Math.max(...attempts)).toBe(1);

  const report = await buildRunReport(db, {
    tenantId: t.tenantId,
    tenantName: t.tenantId,
    syncRunId: run.id,
    workflowId: run.workflow_id,
    trigger: 'test',
    outcome: 'failed',
  });
  const notice = renderRunNotice(report, 'UTC');
  expect(notice.text).toContain(message);
});
