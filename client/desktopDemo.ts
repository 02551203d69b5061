import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { addDesktopConnection, setDesktopPassword } from '../activities/backends/quickbooks-desktop/connection';
import type { RunningEndpoint } from '../activities/backends/quickbooks-desktop/endpoint';
import { addTenant } from '../activities/connection/tenants';
import { requestSync, type TemporalAccess } from '../activities/operations/requestSync';
import { centsToString, toCents } from '../activities/money';
import { createDesktopCompany, REALISTIC_LATENCY, WebConnector, type DesktopCompany } from '../emulator/desktop';
import type { Db } from '../schema/db';
import type { Config } from '../workers/config';
import { summarize } from './demo';
import { follow } from './followSync';

export const DESKTOP_DEMO_TENANT = 'desktop-demo';

/**
 * `npm start`'s QuickBooks Desktop demo: the Desktop emulator's `salesin` company (state in the data directory), a
 * tenant on the Desktop backend, and the Web Connector simulator calling this machine's endpoint as QBWC would. A first
 * Full Integration, then a few demo sales handed over, printed like the QuickBooks Online demo.
 */
export async function runDesktopDemo(
  config: Config,
  db: Db,
  endpoint: RunningEndpoint,
  temporal: TemporalAccess,
  say: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const statePath = path.join(config.dataDir, 'desktop-emulator.json');
  const company: DesktopCompany = createDesktopCompany({ seed: 'salesin', statePath });
  const exists = await db.selectFrom('tenants').select('id').where('id', '=', DESKTOP_DEMO_TENANT).executeTakeFirst();
  if (!exists) {
    await addTenant(db, {
      id: DESKTOP_DEMO_TENANT,
      name: 'SalesIn demo (QuickBooks Desktop emulator)',
      mode: 'order-taking',
      backend: 'quickbooks-desktop',
    });
    await addDesktopConnection(db, DESKTOP_DEMO_TENANT, 'quickbooks');
    say(`added tenant "${DESKTOP_DEMO_TENANT}" (QuickBooks Desktop, order-taking)`);
  }
  // The demo's Web Connector gets a fresh password each start; only its hash is stored.
  const password = randomBytes(12).toString('base64url');
  await setDesktopPassword(db, DESKTOP_DEMO_TENANT, password);
  const connector = new WebConnector({
    url: endpoint.url,
    user: DESKTOP_DEMO_TENANT,
    password,
    company,
    latency: REALISTIC_LATENCY,
    // QuickBooks' own pace, five times faster, so the demo does not keep a first start waiting (the bench uses 1).
    timeScale: 5,
    everyMinutes: 1,
    maxNoOps: 1_000_000,
  });
  const close = async () => {
    await connector.stop();
    company.save(statePath);
  };
  const run = async (what: string) => {
    say(`synchronizing tenant "${DESKTOP_DEMO_TENANT}" through the Web Connector (${what})…`);
    const requestId = randomUUID();
    await requestSync(temporal, { tenantId: DESKTOP_DEMO_TENANT, trigger: 'npm-start', requestId });
    // "Update Selected": the simulated Web Connector connects now, then every minute.
    connector.start();
    const finished = await follow(temporal, DESKTOP_DEMO_TENANT, requestId, () => undefined);
    say(`sync ${finished.outcome}:`);
    for (const line of summarize(finished.steps, finished.failure)) say(line);
    return finished.outcome;
  };
  if ((await run('first Full Integration')) !== 'succeeded') return { close };

  const handed = await db
    .selectFrom('sales')
    .select('id')
    .where('tenant_id', '=', DESKTOP_DEMO_TENANT)
    .executeTakeFirst();
  if (!handed) {
    const customer = await db
      .selectFrom('customers')
      .select('id')
      .where('tenant_id', '=', DESKTOP_DEMO_TENANT)
      .where('display_name', '=', 'Abercrombie Hardware')
      .executeTakeFirst();
    const items = await db
      .selectFrom('items')
      .select(['id', 'unit_price', 'name'])
      .where('tenant_id', '=', DESKTOP_DEMO_TENANT)
      .where('type', '=', 'Inventory')
      .orderBy('id')
      .limit(3)
      .execute();
    if (customer && items.length) {
      for (const [i, type] of ['Order', 'Invoice', 'Quote'].entries()) {
        const item = items[i % items.length];
        await db.transaction().execute(async (trx) => {
          const sale = await trx
            .insertInto('sales')
            .values({
              tenant_id: DESKTOP_DEMO_TENANT,
              type,
              status: 'Open',
              customer_id: customer.id,
              txn_date: new Date().toISOString().slice(0, 10),
              memo: `Demo ${type.toLowerCase()} from SalesIn`,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('sale_lines')
            .values({
              sale_id: sale.id,
              line_num: 1,
              item_id: item.id,
              quantity: String(i + 1),
              unit_price: item.unit_price,
              amount: centsToString(toCents(item.unit_price ?? '0', { rounding: 'half-up' }) * (i + 1)),
            })
            .execute();
        });
      }
      say('added 3 demo sales (an order, an invoice, a quote), status Open');
      await run('sales handed over');
    }
  }
  const sales = await db
    .selectFrom('sales')
    .select(['id', 'type', 'status', 'qbo_entity', 'qbo_doc_number', 'total'])
    .where('tenant_id', '=', DESKTOP_DEMO_TENANT)
    .orderBy('id')
    .execute();
  for (const s of sales)
    say(
      `  sale ${s.id} (${s.type}) ${s.status}${s.qbo_entity ? ` → QuickBooks ${s.qbo_entity} ${s.qbo_doc_number ?? ''}, total ${s.total}` : ''}`,
    );
  say(`next: \`qbsync status ${DESKTOP_DEMO_TENANT}\`, \`qbsync qwc ${DESKTOP_DEMO_TENANT}\``);
  return { close };
}
