import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DEMO_APP, DEMO_REALM_ID, EmulatorAdmin, signWebhookBody, startEmulator } from '../../emulator';
import { createCustomer } from './fixtures';
import { until } from '../helpers/until';
import { contract } from './target';

contract('admin API and fault injection', ({ target, emulatorOnly }) => {
  emulatorOnly('injects status faults in QuickBooks shapes for the next N matching requests only', async () => {
    const t = target();
    const realm = await t.realm();
    const read = () => realm.call('GET', `companyinfo/${realm.realmId}`);
    for (const status of [500, 503, 429, 401, 400] as const) {
      await t.admin!.injectFaults({
        realmId: realm.realmId,
        match: { entity: 'companyinfo', operation: 'read' },
        count: 1,
        fault: { kind: 'status', status },
      });
      const r = await read();
      expect(r.status).toBe(status);
      if (status === 429) expect(r.json.Fault.Error[0].code).toBe('3001');
      if (status === 401) expect(r.json.fault.error[0].code).toBe('3200');
      if (status === 500) expect(r.json.Fault.Error[0].code).toBe('10000');
      expect((await read()).status).toBe(200);
    }
    await t.admin!.injectFaults({
      realmId: realm.realmId,
      match: { method: 'POST', pathIncludes: '/customer' },
      count: 2,
      fault: { kind: 'status', status: 500 },
    });
    expect((await realm.call('POST', 'customer', { DisplayName: 'F1' })).status).toBe(500);
    expect((await realm.call('GET', `companyinfo/${realm.realmId}`)).status).toBe(200);
    expect((await realm.call('POST', 'customer', { DisplayName: 'F1' })).status).toBe(500);
    expect((await realm.call('POST', 'customer', { DisplayName: 'F1' })).status).toBe(200);
  });

  emulatorOnly(
    'injects a delay, a dropped connection and malformed JSON; clearFaults removes pending ones',
    async () => {
      const t = target();
      const realm = await t.realm();
      await t.admin!.injectFaults({
        realmId: realm.realmId,
        match: { operation: 'query' },
        count: 1,
        fault: { kind: 'delay', ms: 300 },
      });
      const started = Date.now();
      expect((await realm.query('select * from Customer')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await t.admin!.injectFaults({
        realmId: realm.realmId,
        match: { operation: 'query' },
        count: 1,
        fault: { kind: 'drop' },
      });
      await expect(realm.query('select * from Customer')).rejects.toThrow();
      await t.admin!.injectFaults({
        realmId: realm.realmId,
        match: { operation: 'query' },
        count: 1,
        fault: { kind: 'malformed-json' },
      });
      const malformed = await realm.query('select * from Customer');
      expect(malformed.status).toBe(200);
      expect(() => JSON.parse(malformed.text)).toThrow();
      await t.admin!.injectFaults({ realmId: realm.realmId, count: 5, fault: { kind: 'status', status: 500 } });
      await t.admin!.clearFaults();
      expect((await realm.query('select * from Customer')).status).toBe(200);
      const log = await t.admin!.requests({ realmId: realm.realmId });
      expect(log.map((e) => e.injected ?? null)).toEqual(['delay', 'drop', 'malformed-json', null]);
    },
  );

  emulatorOnly(
    'a drop after execution loses the answer but keeps the change; a retry with the same requestid does not repeat it',
    async () => {
      const t = target();
      const realm = await t.realm();
      await t.admin!.injectFaults({
        realmId: realm.realmId,
        match: { operation: 'create', entity: 'Customer' },
        count: 1,
        fault: { kind: 'drop', afterExecute: true },
      });
      await expect(realm.call('POST', 'customer?requestid=lost-1', { DisplayName: 'Lost Answer' })).rejects.toThrow();
      expect(await t.admin!.entities(realm.realmId, 'Customer')).toHaveLength(1);
      const retry = await realm.call('POST', 'customer?requestid=lost-1', { DisplayName: 'Lost Answer' });
      expect(retry.status).toBe(200);
      expect(await t.admin!.entities(realm.realmId, 'Customer')).toHaveLength(1);
    },
  );

  emulatorOnly('a delay after execution makes the change and logs it while the answer is still held', async () => {
    const t = target();
    const realm = await t.realm();
    await t.admin!.injectFaults({
      realmId: realm.realmId,
      match: { operation: 'create', entity: 'Customer' },
      count: 1,
      fault: { kind: 'delay', ms: 3000, afterExecute: true },
    });
    let answered = false;
    const pending = realm
      .call('POST', 'customer?requestid=held-1', { DisplayName: 'Held Answer' })
      .finally(() => (answered = true));
    const log = await until(
      'the held create in the request log',
      () => t.admin!.requests({ realmId: realm.realmId }),
      (l) => l.some((e) => e.injected === 'delay-after-execute'),
    );
    expect(log.find((e) => e.injected === 'delay-after-execute')).toMatchObject({
      entity: 'Customer',
      operation: 'create',
      status: 200,
    });
    expect(await t.admin!.entities(realm.realmId, 'Customer')).toHaveLength(1);
    expect(answered).toBe(false);
    expect((await pending).status).toBe(200);
  });

  emulatorOnly(
    'the request log records method, path, entity, operation, requestid, status and fault code; admin calls are not in it',
    async () => {
      const t = target();
      const realm = await t.realm();
      await t.admin!.clearRequests();
      await realm.call('POST', 'customer?requestid=r-1', { DisplayName: 'Logged' });
      await realm.call('POST', 'customer', { DisplayName: 'Logged' });
      await realm.query("select * from Customer where DisplayName = 'Logged'");
      const log = await t.admin!.requests({ realmId: realm.realmId });
      expect(
        log.map(({ method, path: p, entity, operation, requestid, status, faultCode }) => ({
          method,
          path: p,
          entity,
          operation,
          requestid,
          status,
          faultCode,
        })),
      ).toEqual([
        {
          method: 'POST',
          path: `/v3/company/${realm.realmId}/customer`,
          entity: 'Customer',
          operation: 'create',
          requestid: 'r-1',
          status: 200,
          faultCode: undefined,
        },
        {
          method: 'POST',
          path: `/v3/company/${realm.realmId}/customer`,
          entity: 'Customer',
          operation: 'create',
          requestid: undefined,
          status: 400,
          faultCode: '6240',
        },
        {
          method: 'GET',
          path: `/v3/company/${realm.realmId}/query`,
          entity: 'Customer',
          operation: 'query',
          requestid: undefined,
          status: 200,
          faultCode: undefined,
        },
      ]);
      expect(
        log.every((e) => typeof e.seq === 'number' && typeof e.ms === 'number' && !Number.isNaN(Date.parse(e.time))),
      ).toBe(true);
      const later = await t.admin!.requests({ realmId: realm.realmId, sinceSeq: log[1].seq });
      expect(later).toHaveLength(1);
      expect((await t.admin!.entities(realm.realmId, 'Customer')).map((c) => c.DisplayName)).toEqual(['Logged']);
    },
  );

  emulatorOnly(
    'a demo seed has ≥ 50 customers with addresses, categories, inventory, tax codes, ≥ 100 invoices, payments, estimates',
    async () => {
      const t = target();
      const { realmId } = await t.admin!.createCompany({ seed: 'demo' });
      const count = async (e: string) => (await t.admin!.entities(realmId, e)).length;
      expect(await count('Customer')).toBeGreaterThanOrEqual(50);
      expect(await count('Invoice')).toBeGreaterThanOrEqual(100);
      expect(await count('Payment')).toBeGreaterThan(0);
      expect(await count('Estimate')).toBeGreaterThan(0);
      const items = await t.admin!.entities<{ Type: string }>(realmId, 'Item');
      expect(new Set(items.map((i) => i.Type))).toEqual(new Set(['Category', 'Service', 'Inventory', 'NonInventory']));
      const codes = await t.admin!.entities<{ Id: string }>(realmId, 'TaxCode');
      expect(codes.map((c) => c.Id)).toEqual(expect.arrayContaining(['TAX', 'NON']));
      const customers = await t.admin!.entities<{ BillAddr?: { City?: string } }>(realmId, 'Customer');
      expect(customers.every((c) => c.BillAddr?.City)).toBe(true);
    },
  );

  emulatorOnly('posts signed eventNotifications to a registered webhook', async () => {
    const t = target();
    const realm = await t.realm();
    const received: Array<{ body: string; signature: string }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['intuit-signature']),
        });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const verifierToken = 'b5771f19b12ddb4bcdb9f08bdc50bc63878a';
      await t.admin!.setWebhook(realm.realmId, {
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
        verifierToken,
      });
      const customer = await createCustomer(realm);
      await until(
        'a webhook delivery',
        () => received.length,
        (n) => n > 0,
        { ms: 5000 },
      );
      expect(received.length).toBeGreaterThan(0);
      const { body, signature } = received[0];
      expect(signature).toBe(createHmac('sha256', verifierToken).update(body).digest('base64'));
      const parsed = JSON.parse(body) as {
        eventNotifications: Array<{ realmId: string; dataChangeEvent: { entities: Array<Record<string, string>> } }>;
      };
      expect(parsed.eventNotifications[0].realmId).toBe(realm.realmId);
      expect(parsed.eventNotifications[0].dataChangeEvent.entities[0]).toMatchObject({
        id: customer.Id,
        operation: 'Create',
        name: 'Customer',
      });
      expect(parsed.eventNotifications[0].dataChangeEvent.entities[0].lastUpdated).toMatch(/Z$/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('emulator lifecycle', () => {
  it('signs webhook bodies as Intuit does: base64 HMAC-SHA256 with the verifier token (independent vector)', () => {
    const body =
      '{"eventNotifications":[{"realmId":"310687","dataChangeEvent":{"entities":[{"id":"1234","operation":"Create","name":"Customer","lastUpdated":"2025-09-08T20:52:31.657Z"}]}}]}';
    const token = 'b5771f19b12ddb4bcdb9f08bdc50bc63878a';
    const expected = createHmac('sha256', Buffer.from(token, 'utf8'))
      .update(Buffer.from(body, 'utf8'))
      .digest()
      .toString('base64');
    expect(signWebhookBody(body, token)).toBe(expected);
    expect(expected).toHaveLength(44);
  });

  it('starts with the demo company and app, saves state at close and loads it at start (idempotent)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-emulator-'));
    const stateFile = path.join(dir, 'state.json');
    try {
      const first = await startEmulator({ port: 0, seed: 'demo', stateFile });
      const admin = new EmulatorAdmin(first.url);
      const tokens = await admin.issueTokens({ realmId: DEMO_REALM_ID, clientId: DEMO_APP.clientId });
      const created = await fetch(`${first.url}/v3/company/${DEMO_REALM_ID}/customer`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ DisplayName: 'Persisted Person' }),
      });
      expect(created.status).toBe(200);
      const before = await admin.entities(DEMO_REALM_ID, 'Customer');
      await first.close();
      expect(fs.existsSync(stateFile)).toBe(true);

      const second = await startEmulator({ port: 0, seed: 'demo', stateFile });
      const admin2 = new EmulatorAdmin(second.url);
      expect(await admin2.entities(DEMO_REALM_ID, 'Customer')).toEqual(before);
      // Tokens survive too, and the demo app's secret still works.
      const read = await fetch(`${second.url}/v3/company/${DEMO_REALM_ID}/companyinfo/${DEMO_REALM_ID}`, {
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
      });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { CompanyInfo: { CompanyName: string } }).CompanyInfo.CompanyName).toBe(
        'Demo Company',
      );
      const refreshed = await fetch(`${second.url}/oauth2/v1/tokens/bearer`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${DEMO_APP.clientId}:${DEMO_APP.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=refresh_token&refresh_token=${tokens.refresh_token}`,
      });
      expect(refreshed.status).toBe(200);
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reset forgets companies and tokens but keeps registered apps', async () => {
    const running = await startEmulator({ port: 0 });
    try {
      const admin = new EmulatorAdmin(running.url);
      const app = await admin.registerApp({ clientId: 'kept', redirectUris: ['http://127.0.0.1:1/cb'] });
      const { realmId } = await admin.createCompany({ name: 'Gone' });
      await admin.reset();
      await expect(admin.entities(realmId, 'Customer')).rejects.toThrow(/404/);
      const again = await admin.createCompany({});
      await expect(admin.issueTokens({ realmId: again.realmId, clientId: app.clientId })).resolves.toMatchObject({
        expires_in: 3600,
      });
    } finally {
      await running.close();
    }
  });
});
