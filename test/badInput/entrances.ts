import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { startEndpoint, type RunningEndpoint } from '../../activities/backends/quickbooks-desktop/endpoint';
import { ExchangeWaker } from '../../activities/backends/quickbooks-desktop/exchange';
import { addDesktopConnection, setDesktopPassword } from '../../activities/backends/quickbooks-desktop/connection';
import { addTenant } from '../../activities/connection/tenants';
import type { Db } from '../../schema/db';
import { createLogger } from '../../workers/logger';
import { startApiHarness, type ApiHarness } from '../api/harness';
import { createStack, type Stack } from '../helpers/stack';
import type { Outcome } from './corpus';

/**
 * Runners of the entrances added after the first corpus: app rows (through a real sync against the QuickBooks Online
 * emulator), the REST API (over HTTP, every answer checked against /openapi.json) and the Web Connector endpoint (SOAP
 * over HTTP). Each returns what the user sees: the problem row, the problem+json, the SOAP answer.
 */
export interface Observed {
  outcome: Outcome;
  text: string;
}

// ——— app rows: one tenant, bad rows beside a good one, one run with onRecordError=skip ———
let stack: Stack | undefined;
let appRun:
  Promise<{ tenantId: string; realmId: string; ids: Record<string, number>; db: Db; status: string }> | undefined;

const ROWS: Record<string, (db: Db, tenantId: string) => Promise<number>> = {
  'billing address as a JSON string': (db, t) =>
    insertCustomer(db, t, 'String Address Co', {
      billing_address: sql`to_jsonb('{"line1":"1 Main St","city":"Springfield"}'::text)`,
    }),
  'shipping address as a JSON array': (db, t) =>
    insertCustomer(db, t, 'Array Address Co', { shipping_address: sql`'["1 Main St"]'::jsonb` }),
  'customer that is its own parent': async (db, t) => {
    const id = await insertCustomer(db, t, 'Own Parent Co', {});
    await sql`update customers set parent_id = id where id = ${id}`.execute(db);
    return id;
  },
  'customer name with a colon': (db, t) => insertCustomer(db, t, 'Acme: West', {}),
  'item price NaN': async (db, t) =>
    (
      await sql<{ id: number }>`insert into items (tenant_id, type, name, unit_price, income_account)
        values (${t}, 'Service', 'NaN Priced', 'NaN', '1') returning id`.execute(db)
    ).rows[0].id,
  'good customer beside them': (db, t) => insertCustomer(db, t, 'Good Customer Co', {}),
};

async function insertCustomer(db: Db, tenantId: string, name: string, extra: Record<string, unknown>): Promise<number> {
  const columns = ['tenant_id', 'display_name', ...Object.keys(extra)];
  const values = [tenantId, name, ...Object.values(extra)];
  const r = await sql<{ id: number }>`insert into customers (${sql.join(columns.map((c) => sql.ref(c)))})
    values (${sql.join(values)}) returning id`.execute(db);
  return r.rows[0].id;
}

function syncedApp() {
  appRun ??= (async () => {
    stack = await createStack('bad_rows');
    const { tenantId, realmId } = await stack.addTenant({ settings: { onRecordError: 'skip' } });
    const db = stack.database.db;
    const ids: Record<string, number> = {};
    for (const [name, insert] of Object.entries(ROWS)) ids[name] = await insert(db, tenantId);
    const run = await stack.sync(tenantId);
    return { tenantId, realmId, ids, db, status: run.status };
  })();
  return appRun;
}

async function appRow(name: keyof typeof ROWS): Promise<Observed> {
  const { tenantId, ids, db, status } = await syncedApp();
  const entity = name.startsWith('item') ? 'item' : 'customer';
  const problems = await db
    .selectFrom('sync_problems')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .where('app_id', '=', ids[name])
    .execute();
  if (problems.length === 0) return { outcome: 'accepted', text: `run ${status}, no problem for app ${ids[name]}` };
  const p = problems[0];
  return { outcome: 'refused', text: `run ${status}: ${p.record_label}: ${p.message} — ${p.user_action}` };
}

async function goodRowSynced(): Promise<Observed> {
  const { realmId, status } = await syncedApp();
  const names = (await stack!.admin.entities<{ DisplayName: string }>(realmId, 'Customer')).map((c) => c.DisplayName);
  return { outcome: 'accepted', text: `run ${status}; QuickBooks has ${names.join(', ')}` };
}

// ——— REST API ———
let api: { h: ApiHarness; key: string; other: string; tenant: string } | undefined;
async function restApi(db: () => Promise<Db>) {
  if (api) return api;
  const d = await db();
  const h = await startApiHarness(d, {}, 16 * 1024);
  const tenant = 'api-t';
  await addTenant(d, { id: tenant }).catch(() => undefined);
  await addTenant(d, { id: 'api-other' }).catch(() => undefined);
  api = { h, key: await h.key(['*'], 'corpus'), other: await h.key(['api-other'], 'other-app'), tenant };
  return api;
}

/** One HTTP request; a 4xx/5xx answer must be problem+json naming a field (the contract checker says so). */
async function request(
  db: () => Promise<Db>,
  method: string,
  path: (tenant: string) => string,
  template: string | undefined,
  init: { body?: string; json?: unknown; headers?: Record<string, string>; key?: 'main' | 'other' | 'none' } = {},
): Promise<Observed> {
  const a = await restApi(db);
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== 'none') headers.authorization ??= `Bearer ${init.key === 'other' ? a.other : a.key}`;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(`${a.h.api.url}${path(a.tenant)}`, { method, headers, body });
  const type = r.headers.get('content-type') ?? '';
  const text = await r.text();
  const parsed: unknown = type.includes('json') ? JSON.parse(text) : text;
  if (template) a.h.checker.check({ method, path: template, status: r.status, contentType: type, body: parsed });
  if (r.status < 400) return { outcome: 'accepted', text: `${r.status} ${text.slice(0, 200)}` };
  const p = parsed as { detail: string; errors: Array<{ in: string; field: string; message: string }> };
  const fields = p.errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; ');
  return { outcome: 'refused', text: `${r.status} ${p.detail} [${fields}]` };
}

// ——— Web Connector ———
let wc: { endpoint: RunningEndpoint; waker: ExchangeWaker; tenant: string } | undefined;
const WC_PASSWORD = 'corpus password 123';
async function webConnector(db: () => Promise<Db>, url: () => string) {
  if (wc) return wc;
  const d = await db();
  const tenant = 'wc-t';
  await addTenant(d, { id: tenant, mode: 'order-taking', backend: 'quickbooks-desktop' }).catch(() => undefined);
  await addDesktopConnection(d, tenant, 'quickbooks').catch(() => undefined);
  await setDesktopPassword(d, tenant, WC_PASSWORD);
  const waker = new ExchangeWaker(url());
  const endpoint = await startEndpoint({ db: d, logger: createLogger('silent'), waker, longPollMs: 50 });
  wc = { endpoint, waker, tenant };
  return wc;
}

const envelope = (operation: string, args: Record<string, string>) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><${operation} xmlns="http://developer.intuit.com/">${Object.entries(
    args,
  )
    .map(([k, v]) => `<${k}>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${k}>`)
    .join('')}</${operation}></soap:Body></soap:Envelope>`;

/** A SOAP exchange: a fault or non-200 is refused; a 200 whose answer says no (nvu, an error text) as the case says. */
async function soap(
  db: () => Promise<Db>,
  url: () => string,
  body: string | ((tenant: string) => string),
  method = 'POST',
  refusedWhen?: RegExp,
): Promise<Observed> {
  const w = await webConnector(db, url);
  const r = await fetch(w.endpoint.url, {
    method,
    headers: method === 'POST' ? { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' } : {},
    body: method === 'POST' ? (typeof body === 'string' ? body : body(w.tenant)) : undefined,
  });
  const text = (await r.text()).replace(/<\?xml[^>]*>/, '');
  const answer = /<(?:\w+:)?faultstring>([\s\S]*?)<\/|Result>([\s\S]*?)<\/\w*Result>/.exec(text);
  const shown = `${r.status} ${answer ? (answer[1] ?? answer[2]) : text.trim()}`;
  const refused = r.status !== 200 || (refusedWhen?.test(shown) ?? false);
  return { outcome: refused ? 'refused' : 'accepted', text: shown };
}

export function entranceRunners(
  db: () => Promise<Db>,
  databaseUrl: () => string,
): Record<string, () => Promise<Observed>> {
  const customers = (t: string) => `/v1/tenants/${t}/customers`;
  const authenticate = (user: string, password: string) =>
    soap(
      db,
      databaseUrl,
      (t) => envelope('authenticate', { strUserName: user || t, strPassword: password }),
      'POST',
      /nvu/,
    );
  /** A call the endpoint answers normally and that changes nothing: ignored. */
  const answeredAndDropped = async (body: string): Promise<Observed> => {
    const r = await soap(db, databaseUrl, body);
    return r.outcome === 'accepted' ? { ...r, outcome: 'ignored' } : r;
  };
  return {
    // app rows
    'customers.billing_address holding a JSON string': () => appRow('billing address as a JSON string'),
    'customers.shipping_address holding a JSON array': () => appRow('shipping address as a JSON array'),
    'customers.parent_id = its own id': () => appRow('customer that is its own parent'),
    'customers.display_name "Acme: West"': () => appRow('customer name with a colon'),
    "items.unit_price = 'NaN'": () => appRow('item price NaN'),
    'a good customer in the same run as the bad rows': () => goodRowSynced(),

    // REST API
    'POST customers {"display_nam": …} (misspelt key)': () =>
      request(db, 'POST', customers, '/v1/tenants/{tenant}/customers', { json: { display_nam: 'X' } }),
    'POST /v1/tenants {"settings": {"conflictPolicyy": …}}': () =>
      request(db, 'POST', () => '/v1/tenants', '/v1/tenants', {
        json: { id: `new-${randomBytes(2).toString('hex')}`, settings: { conflictPolicyy: 'app-wins' } },
      }),
    'PATCH settings {"schedule": {"hourly": true}}': () =>
      request(db, 'PATCH', (t) => `/v1/tenants/${t}/settings`, '/v1/tenants/{tenant}/settings', {
        json: { schedule: { hourly: true } },
      }),
    'GET a tenant whose stored settings hold a misspelt key': async () => {
      const d = await db();
      await addTenant(d, { id: 'api-stale' }).catch(() => undefined);
      await sql`update tenants set settings = settings || '{"onRecordErrors":"skip"}' where id = 'api-stale'`.execute(
        d,
      );
      return request(db, 'GET', () => '/v1/tenants/api-stale', '/v1/tenants/{tenant}');
    },
    'POST customers with a body that is not JSON': () =>
      request(db, 'POST', customers, '/v1/tenants/{tenant}/customers', {
        body: '{"display_name": ',
        headers: { 'content-type': 'application/json' },
      }),
    'POST customers as text/plain': () =>
      request(db, 'POST', customers, '/v1/tenants/{tenant}/customers', {
        body: 'display_name=X',
        headers: { 'content-type': 'text/plain' },
      }),
    'POST customers with a 20 KB body (limit 16 KB)': () =>
      request(db, 'POST', customers, '/v1/tenants/{tenant}/customers', { json: { display_name: 'x'.repeat(20_000) } }),
    'Idempotency-Key "two words"': () =>
      request(db, 'POST', customers, '/v1/tenants/{tenant}/customers', {
        json: { display_name: 'Idem Co' },
        headers: { 'idempotency-key': 'two words' },
      }),
    'Idempotency-Key on a GET': () =>
      request(db, 'GET', customers, '/v1/tenants/{tenant}/customers', { headers: { 'idempotency-key': 'k1' } }),
    'GET customers?limit=0': () =>
      request(db, 'GET', (t) => `${customers(t)}?limit=0`, '/v1/tenants/{tenant}/customers'),
    'GET customers?limt=5 (misspelt)': () =>
      request(db, 'GET', (t) => `${customers(t)}?limt=5`, '/v1/tenants/{tenant}/customers'),
    'GET customers?cursor=garbage': () =>
      request(db, 'GET', (t) => `${customers(t)}?cursor=%25%25`, '/v1/tenants/{tenant}/customers'),
    'GET customers/abc': () => request(db, 'GET', (t) => `${customers(t)}/abc`, '/v1/tenants/{tenant}/customers/{id}'),
    'Authorization: Basic …': () =>
      request(db, 'GET', customers, '/v1/tenants/{tenant}/customers', {
        headers: { authorization: 'Basic dXNlcjpwdw==' },
      }),
    'no Authorization header': () => request(db, 'GET', customers, '/v1/tenants/{tenant}/customers', { key: 'none' }),
    'a key for another tenant': () => request(db, 'GET', customers, '/v1/tenants/{tenant}/customers', { key: 'other' }),
    'POST payments {"amount_cents": 1.5}': () =>
      request(db, 'POST', (t) => `/v1/tenants/${t}/payments`, '/v1/tenants/{tenant}/payments', {
        json: { customer_id: 1, txn_date: '2026-11-01', amount_cents: 1.5 },
      }),
    'POST conflicts/1/resolve {"keep": "both"}': () =>
      request(
        db,
        'POST',
        (t) => `/v1/tenants/${t}/conflicts/1/resolve`,
        '/v1/tenants/{tenant}/conflicts/{id}/resolve',
        {
          json: { keep: 'both' },
        },
      ),
    'POST conflicts/999/resolve (no such conflict)': () =>
      request(
        db,
        'POST',
        (t) => `/v1/tenants/${t}/conflicts/999/resolve`,
        '/v1/tenants/{tenant}/conflicts/{id}/resolve',
        {
          json: { keep: 'app' },
        },
      ),
    'DELETE /v1/tenants/{tenant}/customers': () => request(db, 'DELETE', customers, undefined),
    'GET /v1/nothing-here': () => request(db, 'GET', () => '/v1/nothing-here', undefined),

    // Web Connector (SOAP over HTTP)
    'GET /qbwc': () => soap(db, databaseUrl, '', 'GET'),
    'POST a body that is not XML': () => soap(db, databaseUrl, 'hello'),
    'POST XML that is not a SOAP envelope': () => soap(db, databaseUrl, '<?xml version="1.0"?><note>hi</note>'),
    'POST a SOAP envelope with an empty body': () =>
      soap(
        db,
        databaseUrl,
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body></soap:Body></soap:Envelope>',
      ),
    'POST an unknown operation (deleteCompany)': () => soap(db, databaseUrl, envelope('deleteCompany', {})),
    'authenticate with a wrong password': () => authenticate('', 'not the password'),
    'authenticate an unknown user': () => authenticate('nobody-here', WC_PASSWORD),
    'sendRequestXML with an unknown ticket': async () => {
      const r = await soap(
        db,
        databaseUrl,
        envelope('sendRequestXML', { ticket: 'forged-ticket', strHCPResponse: '' }),
      );
      return r.outcome === 'accepted' ? { ...r, outcome: 'ignored' } : r;
    },
    'receiveResponseXML with an unknown ticket, then getLastError': async () => {
      const received = await soap(
        db,
        databaseUrl,
        envelope('receiveResponseXML', { ticket: 'forged-ticket', response: '<QBXML/>' }),
      );
      const last = await soap(db, databaseUrl, envelope('getLastError', { ticket: 'forged-ticket' }));
      const ignored = received.outcome === 'accepted' && last.outcome === 'accepted';
      return { outcome: ignored ? 'ignored' : 'refused', text: `${received.text}; getLastError: ${last.text}` };
    },
    'closeConnection with an unknown ticket': () =>
      answeredAndDropped(envelope('closeConnection', { ticket: 'forged-ticket' })),
  };
}

export async function closeEntrances(): Promise<void> {
  await api?.h.close();
  await wc?.endpoint.close();
  await wc?.waker.close();
  if (appRun) await appRun.catch(() => undefined);
  await stack?.close();
}
