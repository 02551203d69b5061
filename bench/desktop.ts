/**
 * The Desktop hand-over figure (`npm run bench -- --only desktop [--sales N]`): sales per minute handed over through
 * the QuickBooks Web Connector at the Desktop emulator's realistic latency, requests per sale, and the ratio to the
 * bound that QuickBooks' one-request-at-a-time processing imposes. Real Temporal, real PostgreSQL, the real endpoint
 * over HTTP and the Web Connector simulator, all on this machine.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import { backendFactory } from '../activities/backends';
import { addDesktopConnection, setDesktopPassword } from '../activities/backends/quickbooks-desktop/connection';
import { startEndpoint } from '../activities/backends/quickbooks-desktop/endpoint';
import { Exchanges, ExchangeWaker } from '../activities/backends/quickbooks-desktop/exchange';
import { addTenant } from '../activities/connection/tenants';
import { createDesktopCompany, REALISTIC_LATENCY, WebConnector } from '../emulator/desktop';
import { systemClock } from '../workers/clock';
import { createLogger } from '../workers/logger';
import { createWorker } from '../workers/worker';
import { syncTenant } from '../workflows/syncTenant';
import { freshDatabase, startTemporal } from './harness';

export interface DesktopBenchResult {
  sales: number;
  latency: typeof REALISTIC_LATENCY;
  batchSize: number;
  fullIntegrationMs: number;
  handoverMs: number;
  salesPerMinute: number;
  requestsPerSale: number;
  writeDocuments: number;
  boundSalesPerMinute: number;
  ratioToBound: number;
  duplicates: number;
  closedSales: number;
}

export async function runDesktopBench(log: (line: string) => void, sales = 60): Promise<DesktopBenchResult> {
  const temporal = await startTemporal(log);
  const database = await freshDatabase('qbsync_bench_desktop');
  const logger = createLogger('silent');
  const waker = new ExchangeWaker(database.url);
  const exchanges = new Exchanges(database.db, waker);
  const endpoint = await startEndpoint({ db: database.db, logger, waker });
  const native = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bench-desktop-${randomBytes(4).toString('hex')}`;
  const worker = await createWorker({
    // The bench's client (bench/harness.ts) sends plain payloads; its worker must read them as they are.
    dataConverter: {},
    connection: native,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      db: database.db,
      logger,
      clock: systemClock,
      backendFor: backendFactory({ db: database.db, clock: systemClock, desktop: { exchanges } }),
      temporal: { client: temporal.client, taskQueue },
    }),
    shutdownGraceTime: '1 second',
  });
  const running = worker.run();
  const tenantId = 'bench-desktop';
  const password = randomBytes(12).toString('hex');
  await addTenant(database.db, { id: tenantId, mode: 'order-taking', backend: 'quickbooks-desktop' });
  await addDesktopConnection(database.db, tenantId, 'quickbooks');
  await setDesktopPassword(database.db, tenantId, password);
  const company = createDesktopCompany({ seed: 'salesin' });
  const connector = new WebConnector({
    url: endpoint.url,
    user: tenantId,
    password,
    company,
    latency: REALISTIC_LATENCY,
    // The scheduler's rhythm is not what is measured: the Web Connector comes back within seconds of each run's start.
    everyMinutes: 0.05,
    maxNoOps: 1_000_000,
  });
  const sync = () =>
    temporal.client.workflow.execute(syncTenant, {
      taskQueue,
      workflowId: `bench-desktop-${randomBytes(4).toString('hex')}`,
      args: [{ tenantId, trigger: 'bench' }],
    });
  try {
    connector.start();
    let t0 = Date.now();
    await sync();
    const fullIntegrationMs = Date.now() - t0;
    log(`desktop: first Full Integration of salesin in ${fullIntegrationMs} ms`);
    const db = database.db;
    const customers = await db
      .selectFrom('customers')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('active', '=', true)
      .execute();
    const items = await db
      .selectFrom('items')
      .select(['id', 'unit_price'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', 'Inventory')
      .execute();
    const types = ['Order', 'Invoice', 'Quote'];
    for (let i = 0; i < sales; i++) {
      await db.transaction().execute(async (trx) => {
        const sale = await trx
          .insertInto('sales')
          .values({
            tenant_id: tenantId,
            type: types[i % 3],
            status: 'Open',
            customer_id: customers[i % customers.length].id,
            txn_date: '2026-11-20',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('sale_lines')
          .values(
            [0, 1].map((n) => {
              const item = items[(i + n) % items.length];
              return {
                sale_id: sale.id,
                line_num: n + 1,
                item_id: item.id,
                quantity: '2',
                unit_price: item.unit_price,
                amount: (Number(item.unit_price) * 2).toFixed(2),
              };
            }),
          )
          .execute();
      });
    }
    const seq = connector.log.list({}).at(-1)?.seq ?? 0;
    t0 = Date.now();
    await sync();
    const runMs = Date.now() - t0;
    const step = await db
      .selectFrom('sync_step_runs as s')
      .innerJoin('sync_runs as r', 'r.id', 's.run_id')
      .select(['s.started_at', 's.finished_at'])
      .where('r.tenant_id', '=', tenantId)
      .where('s.step', '=', 'invoices')
      .orderBy('r.started_at', 'desc')
      .executeTakeFirstOrThrow();
    const handoverMs = step.finished_at!.getTime() - step.started_at!.getTime();
    const docs = connector.log.list({ sinceSeq: seq }).filter((e) => e.qbxmlRequest);
    const writes = docs.filter((e) => /<\w+AddRq/.test(e.qbxmlRequest!));
    const inStep = docs.filter((e) => {
      const at = Date.parse(e.time);
      return at >= step.started_at!.getTime() - 1000 && at <= step.finished_at!.getTime() + 1000;
    });
    const batch = 20;
    // QuickBooks alone, one document at a time: a message set of `batch` adds takes base + batch × perWrite.
    const perSaleMs = REALISTIC_LATENCY.perWriteMs + REALISTIC_LATENCY.baseMs / batch;
    const bound = 60_000 / perSaleMs;
    const perMinute = sales / (handoverMs / 60_000);
    const docsWithGuid = [...company.salesOrders(), ...company.invoices(), ...company.estimates()].filter(
      (d) => d.ExternalGUID,
    );
    const closed = await db
      .selectFrom('sales')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'Closed')
      .executeTakeFirstOrThrow();
    const result: DesktopBenchResult = {
      sales,
      latency: REALISTIC_LATENCY,
      batchSize: batch,
      fullIntegrationMs,
      handoverMs,
      salesPerMinute: Math.round(perMinute),
      requestsPerSale: Math.round((inStep.length / sales) * 100) / 100,
      writeDocuments: writes.length,
      boundSalesPerMinute: Math.round(bound),
      ratioToBound: Math.round((perMinute / bound) * 1000) / 1000,
      duplicates: docsWithGuid.length - new Set(docsWithGuid.map((d) => d.ExternalGUID)).size,
      closedSales: Number(closed.n),
    };
    log(`desktop: whole run ${runMs} ms; ${JSON.stringify(result)}`);
    return result;
  } finally {
    await connector.stop();
    worker.shutdown();
    await running;
    await endpoint.close();
    await native.close();
    await database.close();
    await temporal.close();
  }
}

export function writeDesktopResult(result: DesktopBenchResult): string {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `desktop-${new Date().toISOString().slice(0, 10)}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`);
  return file;
}
