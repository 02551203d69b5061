import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  createDesktopCompany,
  NO_LATENCY,
  parseQwc,
  parseXml,
  QBWC_NS,
  QBWC_OPERATIONS,
  WebConnector,
  type XmlElement,
} from '../../emulator/desktop';
import {
  addDesktopConnection,
  formatWebConnectorState,
  renderQwc,
  setDesktopPassword,
  webConnectorState,
} from '../../activities/backends/quickbooks-desktop/connection';
import { startEndpoint, type RunningEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { Exchanges, ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { qbxmlDocument, responsesOf, x } from '../../activities/backends/quickbooks-desktop/qbxml';
import { addTenant, TenantError } from '../../activities/connection/tenants';
import { createLogger } from '../../workers/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The Web Connector endpoint over real HTTP against the Web Connector simulator: authentication (nvu), nothing to do
 * (none), requests handed out from the exchange table and answers stored, NoOp while nothing is ready, a session
 * that dies with a write in flight (in doubt), QuickBooks closed (connectionError), the watchdog.
 */
let database: TestDatabase;
let endpoint: RunningEndpoint;
let waker: ExchangeWaker;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  database = await createTestDatabase('desktop_endpoint');
  waker = new ExchangeWaker(database.url);
  endpoint = await startEndpoint({
    db: database.db,
    logger: createLogger('silent'),
    waker,
    longPollMs: 300,
    staleAfterMs: 60_000,
  });
});
afterAll(async () => {
  await endpoint?.close();
  await database?.drop();
});

async function desktopTenant(id: string): Promise<void> {
  await addTenant(database.db, { id, mode: 'order-taking', backend: 'quickbooks-desktop' });
  await addDesktopConnection(database.db, id, 'quickbooks');
  await setDesktopPassword(database.db, id, PASSWORD);
}

function connector(tenantId: string, company = createDesktopCompany({ seed: 'salesin' }), password = PASSWORD) {
  return new WebConnector({
    url: endpoint.url,
    user: tenantId,
    password,
    company,
    latency: NO_LATENCY,
    timeScale: 1000,
    maxNoOps: 3,
  });
}

const customerQuery = (max: number) =>
  qbxmlDocument([x('CustomerQueryRq', [x('MaxReturned', max)], { requestID: '1' })], { version: '13.0' });

test('a Desktop tenant in billing mode is refused with a clear message', async () => {
  await expect(addTenant(database.db, { id: 'bill', backend: 'quickbooks-desktop' })).rejects.toThrow(TenantError);
  await expect(addTenant(database.db, { id: 'bill', backend: 'quickbooks-desktop' })).rejects.toThrow(
    /billing mode is not available on QuickBooks Desktop/,
  );
});

test('the .qwc file names the endpoint, the user and GUIDs kept per tenant; the password is stored hashed', async () => {
  await desktopTenant('qwc-shop');
  const first = parseQwc(await renderQwc(database.db, 'qwc-shop', endpoint.url));
  const again = parseQwc(await renderQwc(database.db, 'qwc-shop', endpoint.url));
  expect(first).toMatchObject({ AppURL: endpoint.url, UserName: 'qwc-shop', QBType: 'QBFS', RunEveryNMinutes: 60 });
  expect(again.OwnerID).toBe(first.OwnerID);
  expect(again.FileID).toBe(first.FileID);
  const row = await database.db
    .selectFrom('desktop_connections')
    .selectAll()
    .where('tenant_id', '=', 'qwc-shop')
    .executeTakeFirstOrThrow();
  expect(row.password_hash).toMatch(/^scrypt\$/);
  expect(row.password_hash).not.toContain(PASSWORD);
  await expect(renderQwc(database.db, 'qwc-shop', 'http://example.com/qbwc')).rejects.toThrow(/https/);
});

test('a wrong password is answered nvu; nothing to do is answered none', async () => {
  await desktopTenant('auth-shop');
  const wrong = await connector('auth-shop', undefined, 'not the password').runOnce();
  expect(wrong.outcome).toBe('nvu');
  const idle = await connector('auth-shop').runOnce();
  expect(idle.outcome).toBe('none');
  const unknown = await connector('nobody').runOnce();
  expect(unknown.outcome).toBe('nvu');
});

test('pending requests are handed out one at a time and their answers stored; the session then closes', async () => {
  await desktopTenant('xchg-shop');
  const exchanges = new Exchanges(database.db, waker);
  await exchanges.post('xchg-shop', 'read-1', 'read', customerQuery(2));
  await exchanges.post('xchg-shop', 'read-2', 'read', customerQuery(3));
  const wc = connector('xchg-shop');
  const t = await wc.runOnce();
  expect(t.outcome).toBe('done');
  const ops = t.calls.map((c) => c.operation);
  expect(ops.filter((o) => o === 'receiveResponseXML')).toHaveLength(2); // nothing left after the second: 100, no closing query
  expect(t.shown.at(-1)).toMatch(/^qbsync: /);
  const first = await exchanges.peek('xchg-shop', 'read-1');
  const second = await exchanges.peek('xchg-shop', 'read-2');
  expect(first).toMatchObject({ state: 'answered' });
  expect(responsesOf((first as { response: string }).response)[0].rets).toHaveLength(2);
  expect(responsesOf((second as { response: string }).response)[0].rets).toHaveLength(3);
  // Every request went out as a whole document; requests never overlapped.
  const sent = wc.log.list({}).filter((e) => e.operation === 'sendRequestXML' && e.qbxmlRequest);
  expect(sent.length).toBe(2);
});

test('a waiter is answered while it waits (LISTEN/NOTIFY), through a Web Connector session', async () => {
  await desktopTenant('wait-shop');
  const exchanges = new Exchanges(database.db, waker);
  const answer = exchanges.exchange('wait-shop', 'w-1', 'read', customerQuery(1), {
    attemptMs: 30_000,
    giveUpAfterMs: 60_000,
    company: 'Wait Shop',
  });
  const t = await connector('wait-shop').runOnce();
  expect(t.outcome).toBe('done');
  expect(await answer).toMatchObject({ state: 'answered' });
});

test('a write whose answer is lost is in doubt; a read whose answer is lost is asked again', async () => {
  await desktopTenant('lost-shop');
  const company = createDesktopCompany({ seed: 'salesin' });
  const exchanges = new Exchanges(database.db, waker);
  const add = qbxmlDocument(
    [x('CustomerAddRq', [x('CustomerAdd', [x('Name', 'Lost Answer Ltd')])], { requestID: '1' })],
    {
      version: '13.0',
      newMessageSetID: 'set-1',
    },
  );
  await exchanges.post('lost-shop', 'write-1', 'write', add, 'set-1');
  company.faults.add({ kind: 'responseLost', count: 1 });
  const t = await connector('lost-shop', company).runOnce();
  expect(t.outcome).toBe('aborted');
  // The Web Connector never comes back for that session: the watchdog (or the next authenticate) ends it.
  await endpoint.service.endStale(new Date(Date.now() + 120_000));
  expect(await exchanges.peek('lost-shop', 'write-1')).toMatchObject({ state: 'lost', messageSetId: 'set-1' });
  expect(company.customers().some((c) => c.Name === 'Lost Answer Ltd')).toBe(true);

  await exchanges.post('lost-shop', 'read-1', 'read', customerQuery(1));
  company.faults.add({ kind: 'responseLost', count: 1 });
  await connector('lost-shop', company).runOnce();
  // The next session supersedes the dead one; the read is handed out again and answered.
  const again = exchanges.await('lost-shop', 'read-1', { attemptMs: 30_000, giveUpAfterMs: 60_000, company: 'Lost' });
  await connector('lost-shop', company).runOnce();
  expect(await again).toMatchObject({ state: 'answered' });
});

test('QuickBooks closed: connectionError is answered done and the session ends with what to do', async () => {
  await desktopTenant('closed-shop');
  const company = createDesktopCompany({ seed: 'salesin' });
  const exchanges = new Exchanges(database.db, waker);
  await exchanges.post('closed-shop', 'read-1', 'read', customerQuery(1));
  company.faults.add({ kind: 'companyClosed', count: 1 });
  const t = await connector('closed-shop', company).runOnce();
  expect(t.outcome).toBe('connectionError');
  expect(await exchanges.peek('closed-shop', 'read-1')).toBe('waiting');
  const session = await database.db
    .selectFrom('qbwc_sessions')
    .selectAll()
    .where('tenant_id', '=', 'closed-shop')
    .executeTakeFirstOrThrow();
  expect(session.end_reason).toMatch(/QuickBooks could not be reached/);
  // Back at the next scheduled connection.
  expect((await connector('closed-shop', company).runOnce()).outcome).toBe('done');
  expect(await exchanges.peek('closed-shop', 'read-1')).toMatchObject({ state: 'answered' });
});

test('nothing ready yet: sendRequestXML answers "" and getLastError NoOp; the simulator waits and asks again', async () => {
  await desktopTenant('noop-shop');
  const exchanges = new Exchanges(database.db, waker);
  await database.db
    .insertInto('sync_runs')
    .values({ id: 'noop-run', tenant_id: 'noop-shop', workflow_id: 'w', trigger: 'manual', status: 'running' })
    .execute();
  const wc = connector('noop-shop');
  const session = wc.runOnce();
  // The run posts its request while the Web Connector is connected and waiting.
  const answered = exchanges.exchange('noop-shop', 'late', 'read', customerQuery(1), {
    attemptMs: 30_000,
    giveUpAfterMs: 60_000,
    company: 'Noop',
  });
  expect(await answered).toMatchObject({ state: 'answered' });
  await database.db.updateTable('sync_runs').set({ status: 'succeeded' }).where('id', '=', 'noop-run').execute();
  const t = await session;
  expect(t.outcome).toBe('done');
});

test('a client outside localhost must use https', async () => {
  await expect(startEndpoint({ db: database.db, logger: createLogger('silent'), host: '0.0.0.0' })).rejects.toThrow(
    /plain HTTP only on localhost/,
  );
});

test('a wrong password (nvu): requests wait, status says so, and the wait fails for good after the tenant’s limit', async () => {
  await desktopTenant('nvu-shop');
  const exchanges = new Exchanges(database.db, waker);
  const pending = exchanges.exchange('nvu-shop', 'nvu-read', 'read', customerQuery(1), {
    attemptMs: 60_000,
    giveUpAfterMs: 1_500,
    company: 'NVU Shop',
    pollMs: 200,
  });
  const failed = pending.catch((e: Error) => e);
  const t = await connector('nvu-shop', undefined, 'a wrong password').runOnce();
  expect(t.outcome).toBe('nvu');
  const state = await webConnectorState(database.db, 'nvu-shop');
  expect(state).toMatchObject({ waiting: true, connected: false });
  expect(formatWebConnectorState(state!)).toMatch(/^waiting for the Web Connector of nvu-shop since/);
  const error = (await failed) as Error & { nonRetryable?: boolean; type?: string };
  expect(error).toMatchObject({ type: 'WebConnectorAbsentError', nonRetryable: true });
  expect(error.message).toMatch(/tenant nvu-shop: the Web Connector of NVU Shop did not connect/);
  expect(error.message).not.toContain('a wrong password');
});

test('GET <AppURL>?wsdl serves the WSDL: XML naming every QBWC operation with its soapAction and parameters', async () => {
  const res = await fetch(`${endpoint.url}?wsdl`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
  const root = parseXml(await res.text()).root;
  expect(root.name).toBe('wsdl:definitions');
  expect(root.attrs.targetNamespace).toBe(QBWC_NS);
  const kid = (e: XmlElement, name: string) => e.children.filter((c) => c.name === name);
  const portType = kid(root, 'wsdl:portType')[0];
  expect(
    kid(portType, 'wsdl:operation')
      .map((o) => o.attrs.name)
      .sort(),
  ).toEqual([...QBWC_OPERATIONS].sort());
  const binding = kid(root, 'wsdl:binding')[0];
  const actions = Object.fromEntries(
    kid(binding, 'wsdl:operation').map((o) => [o.attrs.name, kid(o, 'soap:operation')[0].attrs.soapAction]),
  );
  expect(actions).toEqual(Object.fromEntries(QBWC_OPERATIONS.map((op) => [op, `${QBWC_NS}${op}`])));
  const address = kid(kid(kid(root, 'wsdl:service')[0], 'wsdl:port')[0], 'soap:address')[0];
  expect(address.attrs.location).toBe(endpoint.url);
  // Each request element's parameters are those the Web Connector (the simulator) sends, in its order.
  const schema = kid(kid(root, 'wsdl:types')[0], 's:schema')[0];
  const params = (op: string) =>
    kid(
      kid(
        kid(schema, 's:element').find((e) => e.attrs.name === op)!,
        's:complexType',
      )[0],
      's:sequence',
    )[0].children.map((e) => e.attrs.name);
  expect(params('sendRequestXML')).toEqual([
    'ticket',
    'strHCPResponse',
    'strCompanyFileName',
    'qbXMLCountry',
    'qbXMLMajorVers',
    'qbXMLMinorVers',
  ]);
  expect(params('receiveResponseXML')).toEqual(['ticket', 'response', 'hresult', 'message']);
  expect(params('authenticate')).toEqual(['strUserName', 'strPassword']);
  // A plain GET without ?wsdl is still refused.
  expect((await fetch(endpoint.url)).status).toBe(405);
});

test('HTTPS with the configured certificate (scripts/certs.sh): the Web Connector trusting its CA exchanges over TLS', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-qbwc-tls-'));
  try {
    execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'certs.sh'), dir], {
      env: { ...process.env, QBSYNC_TLS_SERVER_NAMES: 'localhost,127.0.0.1' },
      stdio: 'pipe',
    });
    const tls = {
      cert: fs.readFileSync(path.join(dir, 'server.pem')),
      key: fs.readFileSync(path.join(dir, 'server.key')),
    };
    const ca = fs.readFileSync(path.join(dir, 'ca.pem'));
    // Any interface, since it is TLS: the certificate names localhost and 127.0.0.1.
    const secure = await startEndpoint({
      db: database.db,
      logger: createLogger('silent'),
      waker: new ExchangeWaker(database.url),
      host: '0.0.0.0',
      tls,
    });
    try {
      const url = `https://localhost:${secure.port}/qbwc`;
      await desktopTenant('tls-shop');
      const exchanges = new Exchanges(database.db, waker);
      await exchanges.post('tls-shop', 'tls-read', 'read', customerQuery(2));
      const company = createDesktopCompany({ seed: 'salesin' });
      const wc = (trust?: Buffer) =>
        new WebConnector({ url, user: 'tls-shop', password: PASSWORD, company, latency: NO_LATENCY, ca: trust });
      // Without the CA the certificate is not trusted: the Web Connector cannot reach the service at all.
      const untrusted = await wc().runOnce();
      expect(untrusted.outcome).toBe('transportError');
      expect(await exchanges.peek('tls-shop', 'tls-read')).toBe('waiting');
      const t = await wc(ca).runOnce();
      expect(t.outcome).toBe('done');
      const answer = await exchanges.peek('tls-shop', 'tls-read');
      expect(answer).toMatchObject({ state: 'answered' });
      expect(responsesOf((answer as { response: string }).response)[0].rets).toHaveLength(2);
      // Plain HTTP to the TLS port gets no SOAP answer.
      const plain = await fetch(`http://127.0.0.1:${secure.port}/qbwc`, { method: 'POST', body: '' }).then(
        (r) => r.status,
        () => 'refused',
      );
      expect(plain === 'refused' || plain === 400).toBe(true);
      // The WSDL names the https address.
      const wsdl = await new Promise<string>((resolve, reject) =>
        https
          .get(`${url}?wsdl`, { ca }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(body));
          })
          .on('error', reject),
      );
      expect(wsdl).toContain(`location="${url}"`);
    } finally {
      await secure.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
