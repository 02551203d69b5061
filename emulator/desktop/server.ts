/**
 * The Desktop emulator's admin API under /_emulator (like the QuickBooks Online emulator's): seed, read the company,
 * run qbXML directly, inject faults, read the request log, drive the Web Connector and the clock, save state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, send } from '../http';
import { RequestLog } from '../requestLog';
import { createDesktopCompany, type DesktopCompany } from './desktopCompany';
import type { DesktopFault } from './faults';
import type { SeedName } from './seed';
import {
  NO_LATENCY,
  REALISTIC_LATENCY,
  WebConnector,
  type DesktopLogEntry,
  type LatencyModel,
  type WebConnectorOptions,
} from './webConnector';

export interface DesktopEmulatorOptions {
  port?: number;
  host?: string;
  seed?: SeedName;
  flavour?: 'us' | 'reckon';
  statePath?: string;
  timeScale?: number;
  latency?: LatencyModel | 'realistic' | 'none';
  /** When given, a Web Connector simulator calls this service (runOnce via the API; start() for the scheduler). */
  webConnector?: Omit<WebConnectorOptions, 'company' | 'log' | 'timeScale' | 'latency' | 'faults'>;
}

export interface RunningDesktopEmulator {
  /** Admin base URL: http://127.0.0.1:PORT (routes under /_emulator). */
  url: string;
  port: number;
  company: DesktopCompany;
  faults: DesktopCompany['faults'];
  requestLog: RequestLog<DesktopLogEntry>;
  connector?: WebConnector;
  close(): Promise<void>;
}

const READERS: Record<string, (c: DesktopCompany) => unknown> = {
  customers: (c) => c.customers(),
  items: (c) => c.items(),
  'price-levels': (c) => c.priceLevels(),
  'sales-tax-codes': (c) => c.salesTaxCodes(),
  'sales-orders': (c) => c.salesOrders(),
  invoices: (c) => c.invoices(),
  estimates: (c) => c.estimates(),
  payments: (c) => c.payments(),
  deleted: (c) => c.data.deleted,
};

export async function startDesktopEmulator(options: DesktopEmulatorOptions = {}): Promise<RunningDesktopEmulator> {
  const company = createDesktopCompany({ seed: options.seed, flavour: options.flavour, statePath: options.statePath });
  const requestLog = new RequestLog<DesktopLogEntry>();
  const latency =
    options.latency === 'none'
      ? NO_LATENCY
      : options.latency === 'realistic' || !options.latency
        ? REALISTIC_LATENCY
        : options.latency;
  const timeScale = options.timeScale ?? 1;
  const connector = options.webConnector
    ? new WebConnector({ ...options.webConnector, company, log: requestLog, timeScale, latency })
    : undefined;
  const session = company.newSession();
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    try {
      const body = await readBody(req);
      const reply = await route(req.method ?? 'GET', url, body);
      send(res, reply);
    } catch (error) {
      send(res, { status: 400, body: { error: (error as Error).message } });
    }
  };
  const json = (body: string): Record<string, unknown> => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
  const route = async (method: string, url: URL, body: string) => {
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== '_emulator') return { status: 404, body: { error: 'the admin API lives under /_emulator' } };
    const path = `/${parts.slice(1).join('/')}`;
    if (method === 'GET' && path === '/company')
      return {
        status: 200,
        body: {
          info: company.data.info,
          counts: Object.fromEntries(
            Object.entries(READERS).map(([k, read]) => [k, (read(company) as unknown[]).length]),
          ),
        },
      };
    if (method === 'GET' && path.startsWith('/company/') && READERS[parts[2]])
      return { status: 200, body: READERS[parts[2]](company) };
    if (method === 'POST' && path === '/seed') {
      const seed = String(json(body).seed ?? 'salesin') as SeedName;
      if (!['salesin', 'reckon', 'empty'].includes(seed))
        return { status: 400, body: { error: 'seed must be salesin, reckon or empty' } };
      company.seed(seed);
      return { status: 200, body: { seeded: seed } };
    }
    if (method === 'POST' && path === '/qbxml') {
      // Runs a qbXML document as QuickBooks would (outside any QBWC session's iterators but in the admin's own).
      const result = company.tryExecute(body, session);
      return result.ok
        ? { status: 200, body: result.response, headers: { 'content-type': 'text/xml; charset=utf-8' } }
        : { status: 200, body: { hresult: result.hresult, message: result.message, detail: result.detail } };
    }
    if (method === 'POST' && path === '/records/delete') {
      company.deleteRecord(String(json(body).id));
      return { status: 200, body: {} };
    }
    if (method === 'POST' && path === '/records/invoice-sales-order')
      return { status: 200, body: company.invoiceSalesOrder(String(json(body).id)) };
    if (method === 'POST' && path === '/records/touch') {
      const input = json(body);
      company.touchRecord(String(input.id), (input.fields ?? {}) as Record<string, string>);
      return { status: 200, body: {} };
    }
    if (method === 'GET' && path === '/faults') return { status: 200, body: company.faults.list() };
    if (method === 'POST' && path === '/faults') {
      company.faults.add(json(body) as unknown as DesktopFault);
      return { status: 200, body: company.faults.list() };
    }
    if (method === 'DELETE' && path === '/faults') {
      company.faults.clear();
      return { status: 200, body: {} };
    }
    if (method === 'GET' && path === '/requests')
      return { status: 200, body: requestLog.list({ sinceSeq: Number(url.searchParams.get('sinceSeq') ?? 0) }) };
    if (method === 'DELETE' && path === '/requests') {
      requestLog.clear();
      return { status: 200, body: {} };
    }
    if (method === 'POST' && path === '/clock') {
      company.clock.advance(Number(json(body).advanceMs ?? 0));
      return { status: 200, body: { now: new Date(company.clock.now()).toISOString() } };
    }
    if (method === 'POST' && path === '/run') {
      if (!connector) return { status: 400, body: { error: 'started without a Web Connector (--qwc or --url)' } };
      return { status: 200, body: await connector.runOnce() };
    }
    if (method === 'POST' && path === '/save') {
      if (!options.statePath) return { status: 400, body: { error: 'started without a state file' } };
      company.save(options.statePath);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { error: `no admin route ${method} ${path}` } };
  };
  const host = options.host ?? '127.0.0.1';
  const { server, port } = await listen((req, res) => void handler(req, res), options.port ?? 0, host);
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    company,
    faults: company.faults,
    requestLog,
    connector,
    close() {
      closed ??= (async () => {
        await connector?.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (options.statePath) company.save(options.statePath);
      })();
      return closed;
    },
  };
}
