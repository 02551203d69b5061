import { WorkflowFailedError } from '@temporalio/client';
import { readHistory } from '../../activities/sync/history';
import { formatHistory } from '../../client/commands/history';
import type { Db } from '../../schema/db';
import { runCli } from '../helpers/cli';
import { createStack, type Stack } from '../helpers/stack';

let stack: Stack;
let db: Db;

beforeAll(async () => {
  stack = await createStack('stop');
  db = stack.database.db;
});
afterAll(async () => stack?.close());

test('a validation failure in the items step stops the run: later steps do not run, the workflow is Failed, history names the item and the error', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  await stack.qboFetch(realmId, 'POST', 'item', {
    Name: 'Taken Name',
    Type: 'Service',
    UnitPrice: 1,
    IncomeAccountRef: { value: '1' },
  });
  await stack.sync(tenantId);
  // An app item whose name QuickBooks already gives to another (inactive, so not matched) record.
  const inactive = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Old Product',
      Type: 'Service',
      UnitPrice: 1,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string; SyncToken: string };
  await stack.qboFetch(realmId, 'POST', 'item', {
    Id: inactive.Id,
    SyncToken: inactive.SyncToken,
    sparse: true,
    Active: false,
  });
  await stack.sync(tenantId);
  await db
    .insertInto('items')
    .values({ tenant_id: tenantId, type: 'Service', name: 'Bad: name', unit_price: '3', income_account: '1' })
    .execute();
  const c = (
    await db
      .insertInto('customers')
      .values({ tenant_id: tenantId, display_name: 'Waiting Customer' } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

  let failure: unknown;
  try {
    await stack.sync(tenantId);
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const message = ((failure as WorkflowFailedError).cause as Error).message;
  expect(message).toContain(`tenant ${tenantId}`);
  expect(message).toContain('failed in step items');
  expect(message).toContain('item "Bad: name"');
  expect(message).toMatch(/What to do: rename it/);

  const [run] = await readHistory(db, tenantId, 1);
  expect(run.status).toBe('failed');
  expect(run.steps.map((s) => [s.step, s.status])).toEqual([
    ['customers', 'succeeded'],
    ['items', 'failed'],
    ['taxes', 'skipped'],
    ['invoices', 'skipped'],
    ['payments', 'skipped'],
  ]);
  // Customers ran (and pushed the new customer) before items failed.
  expect(
    await db
      .selectFrom('sync_links')
      .select('remote_id')
      .where('tenant_id', '=', tenantId)
      .where('entity', '=', 'customer')
      .where('app_id', '=', c)
      .executeTakeFirst(),
  ).toBeDefined();
  expect(run.problems).toEqual([
    expect.objectContaining({
      step: 'items',
      entity: 'item',
      direction: 'push',
      record: expect.stringContaining('Bad: name'),
      skipped: false,
    }),
  ]);
  expect((run.error as { record?: string }).record).toContain('Bad: name');

  const text = formatHistory([run]);
  expect(text).toContain('FAILED');
  expect(text).toMatch(/items\s+failed/);
  expect(text).toMatch(/taxes\s+skipped/);
  expect(text).toContain('Bad: name');

  // The CLI prints the same, and --json parses.
  const cli = await runCli(['history', tenantId, '--json', '-n', '1'], { DATABASE_URL: stack.database.url });
  expect(cli.code).toBe(0);
  expect(JSON.parse(cli.stdout)[0].steps[1]).toMatchObject({ step: 'items', status: 'failed' });

  // Fixing the record lets the next run through; nothing was lost meanwhile.
  await db
    .updateTable('items')
    .set({ name: 'Good name' })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', 'Bad: name')
    .execute();
  const fixed = await stack.sync(tenantId);
  expect(fixed.status).toBe('succeeded');
  expect((await stack.admin.entities<{ Name: string }>(realmId, 'Item')).map((i) => i.Name).sort()).toEqual([
    'Good name',
    'Old Product',
    'Taken Name',
  ]);
});

test('an inactive QuickBooks item with the name of an app item is its twin: linked, not duplicated (no 6240)', async () => {
  const { tenantId, realmId } = await stack.addTenant();
  const item = (
    await stack.qboFetch(realmId, 'POST', 'item', {
      Name: 'Hidden',
      Type: 'Service',
      UnitPrice: 1,
      IncomeAccountRef: { value: '1' },
    })
  ).Item as { Id: string; SyncToken: string };
  await stack.qboFetch(realmId, 'POST', 'item', {
    Id: item.Id,
    SyncToken: item.SyncToken,
    sparse: true,
    Active: false,
  });
  const appId = (
    await db
      .insertInto('items')
      .values({ tenant_id: tenantId, type: 'Service', name: 'Hidden', unit_price: '2', income_account: '1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const run = await stack.sync(tenantId);
  expect(run.status).toBe('succeeded');
  expect(
    (await stack.admin.entities<{ Name: string }>(realmId, 'Item')).filter((i) => i.Name === 'Hidden'),
  ).toHaveLength(1);
  const link = await db
    .selectFrom('sync_links')
    .select('remote_id')
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', 'item')
    .where('app_id', '=', appId)
    .executeTakeFirstOrThrow();
  expect(link.remote_id).toBe(item.Id);
  // Both changed before they were linked; QuickBooks wins by default, so the app's item is now inactive at QuickBooks' price.
  expect(
    await db.selectFrom('items').select(['active', 'unit_price']).where('id', '=', appId).executeTakeFirstOrThrow(),
  ).toEqual({ active: false, unit_price: '1.00000' });
});
