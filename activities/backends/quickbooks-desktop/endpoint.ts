import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../workers/logger';
import type { Db } from '../../sync/backend';
import { verifyPassword } from './credentials';
import { ExchangeWaker, Exchanges, notify } from './exchange';
import { parseQbxml, qbxmlDocument, x, type XNode } from './qbxml';
import { qbwcWsdl } from './wsdl';

/**
 * The QuickBooks Web Connector's web service (SOAP 1.1, document/literal, namespace http://developer.intuit.com/).
 * The Web Connector calls; qbsync can only answer. A session is authenticate … closeConnection, by its ticket, kept in
 * PostgreSQL. Requests come from the qbxml_exchanges table (posted by the Desktop backend inside sync activities), one
 * in flight per company; while the sync prepares the next one, sendRequestXML waits a little, then says NoOp.
 */
export const QBWC_NS = 'http://developer.intuit.com/';
const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

export interface EndpointOptions {
  db: Db;
  logger: Logger;
  exchanges?: Exchanges;
  waker?: ExchangeWaker;
  /** How long sendRequestXML waits for the sync's next request before answering NoOp. */
  longPollMs?: number;
  /** A session the Web Connector stopped calling for this long is ended by the watchdog. */
  staleAfterMs?: number;
  version?: string;
  /**
   * Called (not awaited) when a company's Web Connector logged in: `qbsync webconnector` signals the tenant's
   * coordinator (webConnectorArrived, ids only). A failure is logged; the login goes on.
   */
  onArrival?: (tenantId: string, at: Date) => Promise<void>;
}

type Answer = string | string[];

const local = (name: string) => name.slice(name.indexOf(':') + 1);

export class WebConnectorService {
  readonly exchanges: Exchanges;
  private readonly waker: ExchangeWaker;
  private readonly longPollMs: number;
  readonly staleAfterMs: number;
  /** Sessions that were sent the closing query (its answer ends the session with 100). */
  private readonly closing = new Set<string>();

  constructor(private readonly options: EndpointOptions) {
    this.waker = options.waker ?? new ExchangeWaker();
    this.exchanges = options.exchanges ?? new Exchanges(options.db, this.waker);
    this.longPollMs = options.longPollMs ?? 15_000;
    this.staleAfterMs = options.staleAfterMs ?? 3 * 60_000;
  }

  private get db(): Db {
    return this.options.db;
  }

  /** One SOAP call: the operation and its arguments by name. */
  async call(operation: string, args: Record<string, string>): Promise<Answer> {
    switch (operation) {
      case 'serverVersion':
        return this.options.version ?? 'qbsync 0.1.0';
      case 'clientVersion':
        return '';
      case 'authenticate':
        return this.authenticate(args.strUserName ?? '', args.strPassword ?? '');
      case 'sendRequestXML':
        return this.sendRequestXML(args);
      case 'receiveResponseXML':
        return String(await this.receiveResponseXML(args));
      case 'getLastError':
        return this.getLastError(args.ticket ?? '');
      case 'connectionError':
        return this.connectionError(args.ticket ?? '', args.hresult ?? '', args.message ?? '');
      case 'closeConnection':
        return this.closeConnection(args.ticket ?? '');
      default:
        throw new SoapClientFault(`unknown operation ${operation}`);
    }
  }

  private async session(ticket: string) {
    if (!ticket) return undefined;
    return this.db
      .selectFrom('qbwc_sessions')
      .selectAll()
      .where('ticket', '=', ticket)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
  }

  private async touch(ticket: string, extra: { requests?: boolean; last_error?: string | null } = {}) {
    await this.db
      .updateTable('qbwc_sessions')
      .set((eb) => ({
        last_seen_at: new Date(),
        ...(extra.requests ? { requests: eb('requests', '+', 1) } : {}),
        ...(extra.last_error !== undefined ? { last_error: extra.last_error } : {}),
      }))
      .where('ticket', '=', ticket)
      .execute();
  }

  private async runInProgress(tenantId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('sync_runs')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return !!row;
  }

  private async hasWork(tenantId: string): Promise<boolean> {
    return (await this.exchanges.pendingCount(tenantId)) > 0 || (await this.runInProgress(tenantId));
  }

  async authenticate(user: string, password: string): Promise<string[]> {
    const connection = await this.db
      .selectFrom('desktop_connections')
      .select(['tenant_id', 'password_hash'])
      .where('username', '=', user)
      .executeTakeFirst();
    // The same answer (and about the same time) for an unknown user as for a wrong password.
    const ok = await verifyPassword(password, connection?.password_hash ?? 'scrypt$16384$8$1$AAAA$AAAA');
    if (!connection || !ok) {
      this.options.logger.warn({ user }, 'Web Connector login refused (nvu)');
      return ['', 'nvu'];
    }
    const tenantId = connection.tenant_id;
    await this.endStale();
    // The Web Connector never overlaps two runs of one application: an open session of this company is dead.
    const open = await this.db
      .selectFrom('qbwc_sessions')
      .select('ticket')
      .where('tenant_id', '=', tenantId)
      .where('ended_at', 'is', null)
      .execute();
    for (const s of open) await this.end(tenantId, s.ticket, 'superseded by a new Web Connector session');
    const ticket = randomBytes(24).toString('hex');
    const work = await this.hasWork(tenantId);
    await this.db
      .insertInto('qbwc_sessions')
      .values({
        ticket,
        tenant_id: tenantId,
        end_reason: work ? null : 'nothing to do',
        ended_at: work ? null : new Date(),
      })
      .execute();
    await this.db
      .updateTable('desktop_connections')
      .set({ last_seen_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .execute();
    this.options.logger.info({ tenantId, work }, 'Web Connector connected');
    // A run waiting for this company wakes now (its exchange waiters listen on the tenant's channel).
    await notify(this.db, tenantId);
    void this.options
      .onArrival?.(tenantId, new Date())
      .catch((error: Error) =>
        this.options.logger.warn({ tenantId, error: error.message }, 'could not tell the coordinator of the arrival'),
      );
    // "" = use the company file open in QuickBooks; "none" = nothing to exchange now.
    return [ticket, work ? '' : 'none'];
  }

  async sendRequestXML(args: Record<string, string>): Promise<string> {
    const ticket = args.ticket ?? '';
    const s = await this.session(ticket);
    if (!s) return '';
    const version = `${args.qbXMLMajorVers ?? ''}.${args.qbXMLMinorVers ?? ''}`;
    if (args.strCompanyFileName || version !== '.')
      await this.db
        .updateTable('qbwc_sessions')
        .set({ company_file: args.strCompanyFileName || s.company_file, qbxml_version: version })
        .where('ticket', '=', ticket)
        .execute();
    if (args.strCompanyFileName)
      await this.db
        .updateTable('desktop_connections')
        .set({ company_file: args.strCompanyFileName })
        .where('tenant_id', '=', s.tenant_id)
        .execute();
    const deadline = Date.now() + this.longPollMs;
    for (;;) {
      const next = await this.exchanges.claimNext(s.tenant_id, ticket);
      if (next) {
        await this.touch(ticket, { requests: true, last_error: null });
        return next.request;
      }
      if (!(await this.hasWork(s.tenant_id))) {
        // Nothing left: a harmless query whose answer lets receiveResponseXML say 100 (done).
        this.closing.add(ticket);
        await this.touch(ticket, { requests: true });
        return qbxmlDocument([x('HostQueryRq', [], { requestID: 'qbsync-close' })], { version: '6.1' });
      }
      if (Date.now() >= deadline) break;
      await this.waker.wait(s.tenant_id, Math.min(1000, Math.max(1, deadline - Date.now())));
    }
    await this.touch(ticket, { last_error: 'NoOp' });
    return '';
  }

  async receiveResponseXML(args: Record<string, string>): Promise<number> {
    const ticket = args.ticket ?? '';
    const s = await this.session(ticket);
    if (!s) return -1;
    await this.touch(ticket);
    if (this.closing.delete(ticket)) return 100;
    const response = args.response ?? '';
    const answered =
      response !== ''
        ? await this.exchanges.answer(s.tenant_id, ticket, { response })
        : await this.exchanges.answer(s.tenant_id, ticket, {
            hresult: args.hresult ?? '',
            message: args.message ?? 'QuickBooks gave no answer',
          });
    if (answered === undefined) this.options.logger.warn({ tenantId: s.tenant_id }, 'an answer for no request');
    return this.progress(s.tenant_id);
  }

  /** 1–99 from the running sync's steps; 100 when nothing is left to exchange. */
  private async progress(tenantId: string): Promise<number> {
    const run = await this.db
      .selectFrom('sync_runs')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'running')
      .orderBy('started_at', 'desc')
      .executeTakeFirst();
    if (!run) return (await this.exchanges.pendingCount(tenantId)) > 0 ? 99 : 100;
    const steps = await this.db.selectFrom('sync_step_runs').select(['status']).where('run_id', '=', run.id).execute();
    const done = steps.filter((st) => st.status !== 'pending' && st.status !== 'running').length;
    const total = Math.max(steps.length, 5);
    return Math.max(1, Math.min(99, Math.round(((done + 0.5) / total) * 100)));
  }

  async getLastError(ticket: string): Promise<string> {
    const s = await this.db.selectFrom('qbwc_sessions').selectAll().where('ticket', '=', ticket).executeTakeFirst();
    if (!s) return 'qbsync: unknown session; the Web Connector will connect again at its next scheduled run';
    if (s.ended_at) return `qbsync: this session has ended (${s.end_reason ?? 'closed'})`;
    // "NoOp": the Web Connector waits 5 seconds and asks for the next request again.
    return 'NoOp';
  }

  async connectionError(ticket: string, hresult: string, message: string): Promise<string> {
    const s = await this.session(ticket);
    if (s) {
      await this.touch(ticket, { last_error: `${hresult} ${message}` });
      await this.end(s.tenant_id, ticket, `QuickBooks could not be reached: ${message} (${hresult})`);
      this.options.logger.warn({ tenantId: s.tenant_id, hresult, message }, 'Web Connector could not reach QuickBooks');
    }
    return 'done';
  }

  async closeConnection(ticket: string): Promise<string> {
    const s = await this.db.selectFrom('qbwc_sessions').selectAll().where('ticket', '=', ticket).executeTakeFirst();
    if (!s) return 'qbsync: unknown session';
    if (!s.ended_at) await this.end(s.tenant_id, ticket, 'closed');
    return this.summary(s.tenant_id);
  }

  /** What the user sees at the end of a session: the last run's counts, or what failed. */
  private async summary(tenantId: string): Promise<string> {
    const run = await this.db
      .selectFrom('sync_runs')
      .select(['id', 'status', 'error'])
      .where('tenant_id', '=', tenantId)
      .orderBy('started_at', 'desc')
      .executeTakeFirst();
    if (!run) return 'qbsync: nothing to synchronise';
    const steps = await this.db.selectFrom('sync_step_runs').selectAll().where('run_id', '=', run.id).execute();
    const count = (step: string, col: 'pushed_created' | 'pushed_updated' | 'pulled_created' | 'pulled_updated') =>
      steps.filter((st) => st.step === step).reduce((n, st) => n + st[col], 0);
    const parts: string[] = [];
    const sent = count('invoices', 'pushed_created');
    if (sent) parts.push(`${sent} sales sent`);
    const customersIn = count('customers', 'pulled_created') + count('customers', 'pulled_updated');
    if (customersIn) parts.push(`${customersIn} customers updated`);
    const customersOut = count('customers', 'pushed_created');
    if (customersOut) parts.push(`${customersOut} customers added to QuickBooks`);
    const itemsIn = count('items', 'pulled_created') + count('items', 'pulled_updated');
    if (itemsIn) parts.push(`${itemsIn} items and price lists updated`);
    const state =
      run.status === 'running'
        ? ' (the sync continues at the next connection)'
        : run.status === 'failed'
          ? ` — failed: ${(run.error as { message?: string } | null)?.message ?? 'see qbsync history'}`
          : '';
    return `qbsync: ${parts.length ? parts.join(', ') : 'everything up to date'}${state}`;
  }

  private async end(tenantId: string, ticket: string, reason: string): Promise<void> {
    this.closing.delete(ticket);
    await this.db
      .updateTable('qbwc_sessions')
      .set({ ended_at: new Date(), end_reason: reason })
      .where('ticket', '=', ticket)
      .where('ended_at', 'is', null)
      .execute();
    await this.exchanges.abandon(tenantId, ticket);
  }

  /** The watchdog: sessions the Web Connector stopped calling are ended and what they had in flight is in doubt. */
  async endStale(now = new Date()): Promise<number> {
    const stale = await this.db
      .selectFrom('qbwc_sessions')
      .select(['ticket', 'tenant_id'])
      .where('ended_at', 'is', null)
      .where('last_seen_at', '<', new Date(now.getTime() - this.staleAfterMs))
      .execute();
    for (const s of stale) await this.end(s.tenant_id, s.ticket, 'the Web Connector stopped calling (stale session)');
    return stale.length;
  }

  async close(): Promise<void> {
    await this.waker.close();
  }
}

export class SoapClientFault extends Error {}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function soapEnvelope(operation: string, answer: Answer): string {
  const result = Array.isArray(answer)
    ? answer.map((s) => `<string>${escapeXml(s)}</string>`).join('')
    : escapeXml(answer);
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    `<soap:Body><${operation}Response xmlns="${QBWC_NS}"><${operation}Result>${result}</${operation}Result></${operation}Response></soap:Body></soap:Envelope>`
  );
}

function soapFault(message: string, code = 'soap:Client'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}"><soap:Body><soap:Fault><faultcode>${code}</faultcode><faultstring>${escapeXml(message)}</faultstring></soap:Fault></soap:Body></soap:Envelope>`
  );
}

/** The operation and its arguments from a SOAP request body. */
export function parseSoapCall(body: string): { operation: string; args: Record<string, string> } {
  let root: XNode;
  try {
    root = parseQbxml(body);
  } catch (error) {
    // A body that is not XML is the sender's fault: say so, as the Web Connector shows this text to its user.
    throw new SoapClientFault(`the request is not XML (${(error as Error).message}); the Web Connector sends SOAP`);
  }
  if (local(root.name) !== 'Envelope') throw new SoapClientFault('not a SOAP envelope');
  const soapBody = root.children.find((c) => local(c.name) === 'Body');
  const call: XNode | undefined = soapBody?.children[0];
  if (!call) throw new SoapClientFault('the SOAP body is empty');
  const args: Record<string, string> = {};
  for (const c of call.children) args[local(c.name)] = c.text ?? '';
  return { operation: local(call.name), args };
}

export interface RunningEndpoint {
  url: string;
  port: number;
  service: WebConnectorService;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Serves the Web Connector service on `path` (default /qbwc): HTTPS with the configured certificate, plain HTTP only on
 * the loopback interface (the Web Connector itself refuses http anywhere but localhost).
 */
export async function startEndpoint(
  options: EndpointOptions & {
    host?: string;
    port?: number;
    tls?: { cert: string | Buffer; key: string | Buffer };
    watchdogMs?: number;
  },
): Promise<RunningEndpoint> {
  const host = options.host ?? '127.0.0.1';
  if (!options.tls && !LOOPBACK.has(host))
    throw new Error(
      `the Web Connector endpoint serves plain HTTP only on localhost, not on ${host}: set QBWC_TLS_CERT and QBWC_TLS_KEY`,
    );
  const service = new WebConnectorService(options);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://endpoint');
        if (req.method === 'GET' && url.pathname.endsWith('/support')) {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('qbsync Web Connector endpoint: see the README, "QuickBooks Desktop and Reckon Accounts".\n');
          return;
        }
        if (req.method === 'GET' && [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'wsdl')) {
          // The service description the Web Connector (and SOAP tooling) may ask for, addressed as it was reached.
          const location = `${options.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${url.pathname}`;
          const body = qbwcWsdl(location);
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        if (req.method !== 'POST') {
          res.writeHead(405, { 'content-type': 'text/plain' });
          res.end('the Web Connector endpoint answers SOAP POSTs\n');
          return;
        }
        let operation = 'unknown';
        try {
          const call = parseSoapCall(Buffer.concat(chunks).toString('utf8'));
          operation = call.operation;
          const answer = await service.call(call.operation, call.args);
          const body = soapEnvelope(call.operation, answer);
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        } catch (error) {
          const client = error instanceof SoapClientFault;
          options.logger.error({ operation, error: (error as Error).message }, 'Web Connector call failed');
          const body = soapFault(
            client ? (error as Error).message : 'qbsync: internal error; see the qbsync log',
            client ? 'soap:Client' : 'soap:Server',
          );
          res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' });
          res.end(body);
        }
      })();
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const watchdog = setInterval(() => void service.endStale().catch(() => undefined), options.watchdogMs ?? 30_000);
  watchdog.unref();
  const shown = host.includes(':') ? `[${host}]` : host === '127.0.0.1' ? 'localhost' : host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${shown}:${port}/qbwc`,
    port,
    service,
    async close() {
      clearInterval(watchdog);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await service.close();
    },
  };
}
