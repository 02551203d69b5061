import { sql } from 'kysely';
import { TokenCipher } from '../../activities/connection/crypto';
import { IntuitOAuth, oauthSettings } from '../../activities/connection/oauth';
import { EventDispatcher } from '../../activities/events';
import type { QbsyncApi } from '../../client/api';
import { createDb, type Db } from '../../schema/db';
import { systemClock } from '../../workers/clock';
import { loadConfig } from '../../workers/config';
import { freePort } from '../../workers/devServer';
import { createLogger } from '../../workers/logger';
import { createStack, type Stack } from '../helpers/stack';
import { until } from '../helpers/until';
import { startReceiver } from '../events/receiver';
import { ORDER_TAKING } from '../orderTaking/helpers';
import { startApiHarness, type ApiHarness } from './harness';

let stack: Stack;
let h: ApiHarness;
let api: QbsyncApi;
/** The app's own connection: its search_path is its own (public); it names qbsync's tables by schema. */
let app: Db;

beforeAll(async () => {
  stack = await createStack('api_handoff');
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/oauth/callback`;
  const registered = await stack.admin.registerApp({ redirectUris: [callback] });
  const config = loadConfig(
    {
      QBO_ENV: 'emulator',
      QBO_OAUTH_BASE_URL: stack.emulator.url,
      QBO_CLIENT_ID: registered.clientId,
      QBO_CLIENT_SECRET: registered.clientSecret,
      QBO_REDIRECT_URI: callback,
    },
    '/nonexistent',
  );
  const cipher = new TokenCipher(stack.env.QBSYNC_ENCRYPTION_KEY);
  h = await startApiHarness(
    stack.database.db,
    {
      cipher,
      connect: { oauth: new IntuitOAuth(oauthSettings(config)), cipher, clock: systemClock },
      temporal: async () => ({ client: stack.temporal.client, taskQueue: stack.temporal.taskQueue }),
    },
    undefined,
    port,
  );
  api = h.client(await h.key(['*'], 'shop-app'));
  app = createDb(stack.database.url, { max: 2, schema: 'public' });
});

afterAll(async () => {
  await app?.destroy();
  await h?.close();
  await stack?.close();
});

async function syncAndWait(tenant: string): Promise<void> {
  // Synchronize All names the run that serves it; its request is followed to the end, and the run read by its id.
  const requested = await api.synchronizeAll(tenant);
  expect(requested.coordinator).toContain(tenant);
  expect(requested.phase).not.toBe('unseen');
  expect(requested.run!.workflow_id).toContain(tenant);
  const done = await until(
    'the requested run finished',
    () => api.getSyncRequest(tenant, requested.request_id),
    (r) => r.phase === 'succeeded' || r.phase === 'failed',
  );
  expect(done.run!.workflow_id).toBe(requested.run!.workflow_id);
  const run = await api.getRun(tenant, done.run!.id!);
  expect(run).toMatchObject({ workflow_id: requested.run!.workflow_id, status: 'succeeded' });
}

test('an app connects QuickBooks and synchronizes through the API, writes sales by SQL and by the API, and learns the numbers QuickBooks gave them', async () => {
  const { realmId } = await stack.admin.createCompany({ customTxnNumbers: false, seed: 'demo' });
  await api.addTenant({ id: 'shop', name: 'Shop', mode: 'order-taking', settings: { orderTaking: ORDER_TAKING } });

  // Connect to QuickBooks: the browser goes to authorize_url; Intuit (here the emulator) redirects to the API's callback.
  const { authorize_url } = await api.connectQuickBooks('shop');
  const authorize = new URL(authorize_url);
  authorize.searchParams.set('realmId', realmId);
  const consent = await fetch(authorize, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(`${h.api.url}/oauth/callback`);
  const page = await api.call<string>('oauthCallback', {}, { query: Object.fromEntries(back.searchParams) });
  expect(page).toContain(`QuickBooks company ${realmId}`);
  expect((await api.getTenant('shop')).connection).toMatchObject({ status: 'connected', realm_id: realmId });

  // Master data arrives.
  await syncAndWait('shop');
  const customer = (await api.customers.list('shop', { limit: 500 })).data.find(
    (c) => c.display_name === "Amy O'Brien 1",
  )!;
  const item = (await api.items.list('shop', { limit: 500 })).data.find((i) => i.name === 'Installation')!;
  expect(customer.qbo?.id).toBeDefined();

  // The app hears about hand-overs.
  let secret = '';
  const receiver = await startReceiver(
    () => secret,
    () => 'ok',
  );
  ({ secret } = await api.addEndpoint('shop', { url: receiver.url, types: ['sale.handed_over'] }));
  const dispatcher = new EventDispatcher({
    // The receivers listen on loopback: allowed as an operator would (QBSYNC_WEBHOOK_ALLOW_HOSTS).
    allowHosts: ['127.0.0.1', 'localhost'],
    db: stack.database.db,
    databaseUrl: stack.database.url,
    cipher: new TokenCipher(stack.env.QBSYNC_ENCRYPTION_KEY),
    logger: createLogger('silent'),
    pollMs: 100,
  });
  await dispatcher.start();
  try {
    // By SQL, on the app's own connection.
    const bySql = await app.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: number }>`
        insert into qbsync.sales (tenant_id, type, status, number, customer_id, txn_date, subtotal, total)
        values ('shop', 'Invoice', 'Open', 'S-SQL-1', ${customer.id}, '2026-11-27', '75.00', '75.00') returning id`.execute(
        trx,
      );
      await sql`
        insert into qbsync.sale_lines (sale_id, line_num, item_id, quantity, unit_price, amount)
        values (${rows[0].id}, 1, ${item.id}, 1, 75, '75.00')`.execute(trx);
      return rows[0].id;
    });
    // By the API.
    const byApi = await api.sales.create(
      'shop',
      {
        type: 'Invoice',
        status: 'Open',
        number: 'S-API-1',
        customer_id: customer.id,
        txn_date: '2026-11-27',
        subtotal: '150.00',
        total: '150.00',
        lines: [{ item_id: item.id, quantity: '2', unit_price: '75', amount: '150.00' }],
      },
      'sale-S-API-1',
    );

    await syncAndWait('shop');

    const { rows } = await sql<{ status: string; qbo_doc_number: string | null; qbo_id: string | null }>`
      select status, qbo_doc_number, qbo_id from qbsync.sales where id = ${bySql}`.execute(app);
    expect(rows[0]).toMatchObject({ status: 'Closed', qbo_doc_number: expect.stringMatching(/\d+/) });
    const read = await api.sales.get('shop', byApi.id);
    expect(read).toMatchObject({
      status: 'Closed',
      qbo_entity: 'Invoice',
      qbo_doc_number: expect.stringMatching(/\d+/),
    });
    expect(read.handed_over_at).not.toBeNull();

    const events = await until(
      'both hand-overs delivered',
      () => receiver.accepted,
      (a) => a.length >= 2,
    );
    const numbers = Object.fromEntries(
      events.map((e) => {
        const s = (e.body.data as { sale: { number: string; qbo_doc_number: string } }).sale;
        return [s.number, s.qbo_doc_number];
      }),
    );
    expect(numbers).toEqual({ 'S-SQL-1': rows[0].qbo_doc_number, 'S-API-1': read.qbo_doc_number });
    expect((await api.getStatus('shop')).state).toBe('idle');
  } finally {
    await dispatcher.stop();
    await receiver.close();
  }
});
