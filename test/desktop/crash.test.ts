import { sql } from 'kysely';
import { addSale, appIdByName, saleRow } from '../orderTaking/helpers';
import type { Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { startWorkerProcess } from '../helpers/workerProcess';
import { createDesktopStack, type DesktopStack } from './desktopStack';

/**
 * The worker is SIGKILLed while a sales write is in flight through the Web Connector: QuickBooks applies it, the answer
 * lands in the exchange table with nobody waiting. The next worker resends the saved plan, finds the exchange answered
 * and adopts it: one document per sale, every sale Closed (0 duplicates, 0 losses).
 */
let stack: DesktopStack;
beforeAll(async () => {
  stack = await createDesktopStack('desktop_crash', { inProcessWorker: false });
});
afterAll(async () => {
  await stack?.close();
});

test('SIGKILL while a write is in flight: no duplicate, no loss', async () => {
  const asStack = { env: stack.env } as unknown as Stack;
  let worker = await startWorkerProcess(asStack);
  try {
    const t = await stack.addTenant({ seed: 'salesin', settings: { orderTaking: { statuses: ['Open', 'Closed'] } } });
    await stack.sync(t.tenantId);
    const db = stack.database.db;
    const customer = await appIdByName(db, t.tenantId, 'customers', 'Baker Street Builders');
    const hammer = await appIdByName(db, t.tenantId, 'items', 'Claw Hammer');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        await addSale(db, t.tenantId, {
          type: i % 2 ? 'Invoice' : 'Order',
          status: 'Open',
          customerId: customer,
          lines: [{ itemId: hammer, qty: String(i + 1), price: '24.95', amount: ((i + 1) * 24.95).toFixed(2) }],
        }),
      );
    // QuickBooks takes its time over the write, long enough to kill the worker waiting for it.
    t.company.faults.add({ kind: 'slow', count: 50, ms: 100_000 });
    const run = stack.sync(t.tenantId);
    await until(
      'a sales write in flight',
      async () =>
        (
          await sql<{ n: number }>`select count(*)::int as n from qbxml_exchanges
            where tenant_id = ${t.tenantId} and kind = 'write' and state = 'sent'`.execute(db)
        ).rows[0].n,
      (n) => n > 0,
      { ms: 60_000 },
    );
    await worker.kill('SIGKILL');
    t.company.faults.clear();
    worker = await startWorkerProcess(asStack);
    await run;
    const docs = [...t.company.salesOrders(), ...t.company.invoices()].filter((d) => d.ExternalGUID);
    expect(docs).toHaveLength(5);
    expect(new Set(docs.map((d) => d.ExternalGUID)).size).toBe(5);
    for (const id of ids) expect(await saleRow(db, id)).toMatchObject({ status: 'Closed' });
    const linked = new Set(await Promise.all(ids.map(async (id) => (await saleRow(db, id)).qbo_id)));
    expect([...linked].sort()).toEqual(docs.map((d) => d.TxnID).sort());
  } finally {
    await worker.kill('SIGKILL');
  }
});
