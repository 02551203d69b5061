import type { IncomingMessage, ServerResponse } from 'node:http';
import { executeApi } from './api';
import { canonicalEntity, classify } from './classify';
import { EmulatorClock, qboTime } from './clock';
import { Company, newRealmId, type StoredReply } from './company';
import { authenticationFault, authorizationFault, faults, QboFault, type Reply } from './faults';
import { readBody, send, sendJson } from './http';
import { FaultInjector, injectedReply, type FaultKind, type RequestFacts } from './injection';
import { PRODUCTION_LIMITS, RealmLimiter } from './limits';
import { OAuthServer } from './oauth';
import { DEMO_APP, DEMO_COMPANY_NAME, DEMO_REALM_ID, type EmulatorOptions } from './options';
import { RequestLog } from './requestLog';
import { seedDemo } from './seed';
import { loadState, saveState } from './store';
import { WebhookDispatcher } from './webhooks';
import { handleAdmin } from './adminRoutes';

const MALFORMED_JSON = '{"QueryResponse":{"Customer":[{"Id":"1","Displ';
const OAUTH_OPERATIONS = new Set(['token', 'authorize', 'revoke']);

/** The emulator's whole state and behaviour, independent of the listening socket. */
export class Emulator {
  readonly clock = new EmulatorClock();
  readonly oauth = new OAuthServer(() => this.clock.now());
  readonly companies = new Map<string, Company>();
  readonly faults = new FaultInjector();
  readonly log = new RequestLog();
  readonly webhooks = new WebhookDispatcher();
  readonly limiter: RealmLimiter;

  constructor(readonly options: EmulatorOptions) {
    this.limiter = new RealmLimiter(
      options.limits === 'off' ? undefined : { ...PRODUCTION_LIMITS, timeScale: options.timeScale ?? 1 },
    );
  }

  createCompany(
    input: { name?: string; realmId?: string; customTxnNumbers?: boolean; seed?: 'demo' | 'empty' } = {},
  ): Company {
    const realmId = input.realmId ?? newRealmId();
    const existing = this.companies.get(realmId);
    if (existing) return existing;
    const company = new Company(
      realmId,
      input.name ?? `Sandbox Company ${realmId.slice(-4)}`,
      input.customTxnNumbers ?? false,
      () => this.clock.now(),
    );
    this.attach(company);
    if (input.seed === 'demo') seedDemo(company);
    return company;
  }

  private attach(company: Company): void {
    company.onChange = (entity, id, operation) =>
      this.webhooks.record(company.realmId, entity, id, operation, this.clock.now());
    this.companies.set(company.realmId, company);
  }

  /** Forgets companies, grants, faults, webhooks, the log and the clock offset; registered apps stay (and the demo, if started with it). */
  reset(): void {
    this.companies.clear();
    this.oauth.resetGrants();
    this.log.clear();
    this.faults.clear();
    this.webhooks.clear();
    this.clock.offsetMs = 0;
    if (this.options.seed === 'demo') this.ensureDemo();
  }

  ensureDemo(): void {
    if (!this.oauth.apps.has(DEMO_APP.clientId)) this.oauth.registerApp(DEMO_APP);
    if (!this.companies.has(DEMO_REALM_ID))
      this.createCompany({ realmId: DEMO_REALM_ID, name: DEMO_COMPANY_NAME, seed: 'demo' });
  }

  save(file: string): void {
    saveState(file, this.companies.values(), this.oauth, this.clock.offsetMs);
  }

  load(file: string): void {
    const state = loadState(file);
    if (!state) return;
    this.clock.offsetMs = state.clockOffsetMs;
    this.oauth.restore(state.oauth);
    for (const s of state.companies) this.attach(Company.restore(s, () => this.clock.now()));
  }

  /** Handles one HTTP request end to end. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    try {
      if (url.pathname.startsWith('/_emulator'))
        return sendJson(res, await handleAdmin(this, method, url, await readBody(req)));
      const facts = classify(method, url);
      const requestid = url.searchParams.get('requestid') ?? undefined;
      const entry = (status: number, extra: { faultCode?: string; replayed?: boolean; injected?: string } = {}) =>
        this.log.record(
          {
            method,
            path: url.pathname,
            realmId: facts.realmId,
            entity: facts.entity,
            operation: facts.operation,
            requestid,
            status,
            ms: Date.now() - started,
            ...extra,
          },
          started,
        );
      const body = await readBody(req);
      if (facts.operation === 'write') facts.operation = /"Id"\s*:/.test(body) ? 'update' : 'create';
      if (facts.operation === 'query' && !facts.entity)
        facts.entity = canonicalEntity(/\bfrom\s+(\w+)/i.exec(body)?.[1]);
      const injected = this.faults.take(facts);
      if (injected?.kind === 'drop' && !injected.afterExecute) {
        entry(0, { injected: 'drop' });
        res.socket?.destroy();
        return;
      }
      const { reply, replayed } = await this.answer(req, url, facts, body, injected);
      if (injected?.kind === 'drop') {
        entry(0, { injected: 'drop', faultCode: faultCodeOf(reply.body), replayed: replayed || undefined });
        res.socket?.destroy();
        return;
      }
      if (injected?.kind === 'delay' && injected.afterExecute) {
        entry(reply.status, {
          faultCode: faultCodeOf(reply.body),
          replayed: replayed || undefined,
          injected: 'delay-after-execute',
        });
        await sleep(injected.ms);
        send(res, reply);
        return;
      }
      const finalReply =
        injected?.kind === 'malformed-json' && reply.status === 200
          ? { status: 200, body: MALFORMED_JSON, headers: { 'content-type': 'application/json;charset=UTF-8' } }
          : injected?.kind === 'body' && reply.status === 200
            ? { status: 200, body: injected.body }
            : reply;
      entry(finalReply.status, {
        faultCode: faultCodeOf(reply.body),
        replayed: replayed || undefined,
        injected: injected?.kind,
      });
      send(res, finalReply);
    } catch (error) {
      sendJson(res, { status: 500, body: { error: (error as Error).message } });
    }
  }

  private async answer(
    req: IncomingMessage,
    url: URL,
    facts: RequestFacts,
    body: string,
    injected: FaultKind | undefined,
  ): Promise<{ reply: Reply; replayed: boolean }> {
    if (!facts.realmId) {
      if (injected?.kind === 'delay') await sleep(injected.ms);
      if (injected?.kind === 'status')
        return { reply: injectedReply(injected.status, this.clock.now()), replayed: false };
      if (OAUTH_OPERATIONS.has(facts.operation))
        return { reply: this.oauthRequest(facts.operation, req, url, body), replayed: false };
      return {
        reply: {
          status: 404,
          body: {
            Fault: {
              Error: [{ Message: 'Not found', Detail: `No resource at ${url.pathname}`, code: '404' }],
              type: 'ValidationFault',
            },
            time: qboTime(this.clock.now(), true),
          },
        },
        replayed: false,
      };
    }
    const now = this.clock.now();
    const auth = this.oauth.check(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]);
    if ('error' in auth) return { reply: authenticationFault(auth.error, now), replayed: false };
    const company = this.companies.get(facts.realmId);
    if (!company || auth.realmId !== facts.realmId) return { reply: authorizationFault(now), replayed: false };
    if (!this.limiter.admit(company.realmId, facts.operation === 'batch'))
      return { reply: { status: 429, body: faults.throttled().toBody(qboTime(now, true)) }, replayed: false };
    try {
      // The delay holds a concurrency slot, as a slow QuickBooks request would.
      if (injected?.kind === 'delay' && !injected.afterExecute) await sleep(injected.ms);
      if (injected?.kind === 'status')
        return { reply: injectedReply(injected.status, this.clock.now()), replayed: false };
      return this.accountingRequest(company, req, url, facts, body);
    } finally {
      this.limiter.release(company.realmId);
    }
  }

  private accountingRequest(
    company: Company,
    req: IncomingMessage,
    url: URL,
    facts: RequestFacts,
    body: string,
  ): { reply: Reply; replayed: boolean } {
    const now = this.clock.now();
    const requestId = url.searchParams.get('requestid');
    const isWrite = req.method === 'POST' && facts.operation !== 'query';
    if (requestId && isWrite) {
      if (requestId.length > 50)
        return {
          reply: {
            status: 400,
            body: faults
              .invalidValue('requestid', 'requestid must be at most 50 characters')
              .toBody(qboTime(now, true)),
          },
          replayed: false,
        };
      const previous = company.requestIds.get(requestId);
      if (previous)
        return {
          reply: {
            status: previous.status,
            body: previous.json,
            headers: { 'content-type': 'application/json;charset=UTF-8' },
          },
          replayed: true,
        };
    }
    let stored: StoredReply;
    try {
      const result = executeApi(company, {
        method: req.method ?? 'GET',
        url,
        body,
        contentType: req.headers['content-type'] ?? '',
        now,
      });
      stored = { status: result.status, json: JSON.stringify({ ...result.body, time: qboTime(now, true) }) };
    } catch (error) {
      if (!(error instanceof QboFault)) throw error;
      stored = { status: error.status, json: JSON.stringify(error.toBody(qboTime(now, true))) };
    }
    // Only successful writes are remembered: QuickBooks lets a client retry a request that failed validation.
    if (requestId && isWrite && stored.status === 200) company.requestIds.set(requestId, stored);
    return {
      reply: {
        status: stored.status,
        body: stored.json,
        headers: { 'content-type': 'application/json;charset=UTF-8' },
      },
      replayed: false,
    };
  }

  private oauthRequest(operation: string, req: IncomingMessage, url: URL, body: string): Reply {
    if (operation === 'authorize') {
      return this.oauth.authorize(url.searchParams, (requested) => {
        if (requested) return this.createCompany({ realmId: requested }).realmId;
        const first = this.companies.values().next().value as Company | undefined;
        return (first ?? this.createCompany()).realmId;
      });
    }
    if (operation === 'token')
      return this.oauth.token(req.headers.authorization, new URLSearchParams(body), req.headers);
    let presented = '';
    try {
      presented = String((JSON.parse(body || '{}') as { token?: string }).token ?? '');
    } catch {
      presented = new URLSearchParams(body).get('token') ?? '';
    }
    return this.oauth.revoke(req.headers.authorization, presented);
  }

  async close(): Promise<void> {
    await this.webhooks.close();
    if (this.options.stateFile) this.save(this.options.stateFile);
  }
}

/** Unref'd: a held answer must not keep a closed emulator's process alive (its server already does while open). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The QuickBooks error code (or OAuth error) in a reply body, for the request log. */
function faultCodeOf(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    // Only a top-level fault is logged, and a fault answer is small: its first characters say whether it is one, so
    // a page of records (megabytes) is not scanned three times over.
    const head = body.slice(0, 256);
    if (!head.includes('"Fault"') && !head.includes('"fault"') && !head.includes('"error"')) return undefined;
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const b = parsed as
    | { Fault?: { Error?: Array<{ code?: string }> }; fault?: { error?: Array<{ code?: string }> }; error?: string }
    | undefined;
  return (
    b?.Fault?.Error?.[0]?.code ?? b?.fault?.error?.[0]?.code ?? (typeof b?.error === 'string' ? b.error : undefined)
  );
}
