import type { z } from 'zod';
import type * as s from '../server/schemas';

/**
 * A small typed client of qbsync's REST API. Its types are the server's own zod schemas (server/schemas.ts), the
 * ones /openapi.json is generated from; test/api checks that it covers every operation of the document, path for path.
 */
export type Tenant = z.infer<typeof s.tenant>;
export type TenantCreate = z.input<typeof s.tenantCreate>;
export type Customer = z.infer<typeof s.customer>;
export type CustomerWrite = z.input<typeof s.customerWrite>;
export type Item = z.infer<typeof s.item>;
export type ItemWrite = z.input<typeof s.itemWrite>;
export type Invoice = z.infer<typeof s.invoice>;
export type InvoiceWrite = z.input<typeof s.invoiceWrite>;
export type Payment = z.infer<typeof s.payment>;
export type PaymentWrite = z.input<typeof s.paymentWrite>;
export type Sale = z.infer<typeof s.sale>;
export type SaleWrite = z.input<typeof s.saleWrite>;
export type Status = z.infer<typeof s.status>;
export type Run = z.infer<typeof s.run>;
export type SyncProblem = z.infer<typeof s.syncProblem>;
export type Conflict = z.infer<typeof s.conflict>;
export type ConflictResolved = z.infer<typeof s.conflictResolved>;
export type SyncRequested = z.infer<typeof s.syncRequested>;
export type SyncRequest = z.infer<typeof s.syncRequest>;
export type Event = z.infer<typeof s.event>;
export type Endpoint = z.infer<typeof s.endpoint>;
export type EndpointCreated = z.infer<typeof s.endpointCreated>;
export type Problem = z.infer<typeof s.problemSchema>;
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** An answer that was not 2xx: the RFC 9457 problem, naming the field. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

export interface ResponseRecord {
  method: string;
  /** The OpenAPI path template, e.g. /v1/tenants/{tenant}/sales. */
  path: string;
  status: number;
  contentType: string;
  body: unknown;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** Every response, as read (tests validate each against /openapi.json). */
  onResponse?: (r: ResponseRecord) => void;
}

interface Call {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  idempotencyKey?: string;
}

/** operationId → method and path: what test/api compares with the OpenAPI document. */
export const OPERATIONS = {
  listTenants: ['GET', '/v1/tenants'],
  addTenant: ['POST', '/v1/tenants'],
  getTenant: ['GET', '/v1/tenants/{tenant}'],
  updateSettings: ['PATCH', '/v1/tenants/{tenant}/settings'],
  connectQuickBooks: ['POST', '/v1/tenants/{tenant}/connect'],
  oauthCallback: ['GET', '/oauth/callback'],
  synchronizeAll: ['POST', '/v1/tenants/{tenant}/syncs'],
  getSyncRequest: ['GET', '/v1/tenants/{tenant}/syncs/{request}'],
  getStatus: ['GET', '/v1/tenants/{tenant}/status'],
  listRuns: ['GET', '/v1/tenants/{tenant}/runs'],
  getRun: ['GET', '/v1/tenants/{tenant}/runs/{run}'],
  listProblems: ['GET', '/v1/tenants/{tenant}/problems'],
  listConflicts: ['GET', '/v1/tenants/{tenant}/conflicts'],
  resolveConflict: ['POST', '/v1/tenants/{tenant}/conflicts/{id}/resolve'],
  createCustomer: ['POST', '/v1/tenants/{tenant}/customers'],
  updateCustomer: ['PATCH', '/v1/tenants/{tenant}/customers/{id}'],
  getCustomer: ['GET', '/v1/tenants/{tenant}/customers/{id}'],
  listCustomers: ['GET', '/v1/tenants/{tenant}/customers'],
  createItem: ['POST', '/v1/tenants/{tenant}/items'],
  updateItem: ['PATCH', '/v1/tenants/{tenant}/items/{id}'],
  getItem: ['GET', '/v1/tenants/{tenant}/items/{id}'],
  listItems: ['GET', '/v1/tenants/{tenant}/items'],
  createInvoice: ['POST', '/v1/tenants/{tenant}/invoices'],
  updateInvoice: ['PATCH', '/v1/tenants/{tenant}/invoices/{id}'],
  getInvoice: ['GET', '/v1/tenants/{tenant}/invoices/{id}'],
  listInvoices: ['GET', '/v1/tenants/{tenant}/invoices'],
  createPayment: ['POST', '/v1/tenants/{tenant}/payments'],
  updatePayment: ['PATCH', '/v1/tenants/{tenant}/payments/{id}'],
  getPayment: ['GET', '/v1/tenants/{tenant}/payments/{id}'],
  listPayments: ['GET', '/v1/tenants/{tenant}/payments'],
  createSale: ['POST', '/v1/tenants/{tenant}/sales'],
  updateSale: ['PATCH', '/v1/tenants/{tenant}/sales/{id}'],
  getSale: ['GET', '/v1/tenants/{tenant}/sales/{id}'],
  listSales: ['GET', '/v1/tenants/{tenant}/sales'],
  listEvents: ['GET', '/v1/tenants/{tenant}/events'],
  replayEvents: ['POST', '/v1/tenants/{tenant}/events/replay'],
  listEndpoints: ['GET', '/v1/tenants/{tenant}/endpoints'],
  addEndpoint: ['POST', '/v1/tenants/{tenant}/endpoints'],
  removeEndpoint: ['DELETE', '/v1/tenants/{tenant}/endpoints/{id}'],
  openApi: ['GET', '/openapi.json'],
  // The console's operations (server/consoleApi.ts).
  signIn: ['POST', '/v1/session'],
  getSession: ['GET', '/v1/session'],
  signOut: ['DELETE', '/v1/session'],
  listAudit: ['GET', '/v1/audit'],
  listTenantSummaries: ['GET', '/v1/overview'],
  getTenantSummary: ['GET', '/v1/tenants/{tenant}/summary'],
  updateTenant: ['PATCH', '/v1/tenants/{tenant}'],
  applySchedule: ['POST', '/v1/tenants/{tenant}/schedule'],
  disconnectQuickBooks: ['POST', '/v1/tenants/{tenant}/disconnect'],
  addDesktopTenant: ['POST', '/v1/desktop-tenants'],
  setWebConnectorPassword: ['POST', '/v1/tenants/{tenant}/webconnector/password'],
  getQwc: ['GET', '/v1/tenants/{tenant}/qwc'],
} as const;

type Op = keyof typeof OPERATIONS;
type PathParams = Record<string, string | number>;

type RecordOps<T, W> = {
  create(tenant: string, body: W, idempotencyKey?: string): Promise<T>;
  update(tenant: string, id: number, body: Partial<W>, idempotencyKey?: string): Promise<T>;
  get(tenant: string, id: number): Promise<T>;
  list(tenant: string, query?: { limit?: number; cursor?: string; updated_since?: string }): Promise<Page<T>>;
};

export class QbsyncApi {
  constructor(private readonly options: ClientOptions) {}

  /** Any operation by id: the answer's body, or an ApiProblem. */
  async call<T>(op: Op, params: PathParams = {}, call: Call = {}): Promise<T> {
    const [method, template] = OPERATIONS[op];
    const path = template.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(String(params[n])));
    const url = new URL(path, this.options.baseUrl);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.idempotencyKey) headers['idempotency-key'] = call.idempotencyKey;
    const response = await fetch(url, {
      method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    const body: unknown = contentType.includes('json') ? JSON.parse(text) : text;
    this.options.onResponse?.({ method, path: template, status: response.status, contentType, body });
    if (!response.ok) throw new ApiProblem(response.status, body as Problem);
    return body as T;
  }

  listTenants = () => this.call<{ data: Tenant[] }>('listTenants');
  addTenant = (body: TenantCreate, idempotencyKey?: string) =>
    this.call<Tenant>('addTenant', {}, { body, idempotencyKey });
  getTenant = (tenant: string) => this.call<Tenant>('getTenant', { tenant });
  updateSettings = (tenant: string, patch: Record<string, unknown>) =>
    this.call<Tenant>('updateSettings', { tenant }, { body: patch });
  connectQuickBooks = (tenant: string) =>
    this.call<{ authorize_url: string; expires_at: string }>('connectQuickBooks', { tenant });
  synchronizeAll = (tenant: string, idempotencyKey?: string) =>
    this.call<SyncRequested>('synchronizeAll', { tenant }, { idempotencyKey });
  getSyncRequest = (tenant: string, request: string) => this.call<SyncRequest>('getSyncRequest', { tenant, request });
  getStatus = (tenant: string) => this.call<Status>('getStatus', { tenant });
  listRuns = (tenant: string, query: { limit?: number; cursor?: string } = {}) =>
    this.call<Page<Run>>('listRuns', { tenant }, { query });
  getRun = (tenant: string, run: string) => this.call<Run>('getRun', { tenant, run });
  listProblems = (tenant: string, query: { limit?: number; cursor?: string } = {}) =>
    this.call<Page<SyncProblem>>('listProblems', { tenant }, { query });
  listConflicts = (
    tenant: string,
    query: { limit?: number; cursor?: string; state?: 'open' | 'resolved' | 'all' } = {},
  ) => this.call<Page<Conflict>>('listConflicts', { tenant }, { query });
  resolveConflict = (tenant: string, id: number, body: { keep: 'app' | 'quickbooks'; sync?: boolean }) =>
    this.call<ConflictResolved>('resolveConflict', { tenant, id }, { body });
  listEvents = (tenant: string, query: { limit?: number; cursor?: string; type?: string } = {}) =>
    this.call<Page<Event>>('listEvents', { tenant }, { query });
  replayEvents = (tenant: string, since: string) =>
    this.call<{ deliveries: number }>('replayEvents', { tenant }, { body: { since } });
  listEndpoints = (tenant: string) => this.call<{ data: Endpoint[] }>('listEndpoints', { tenant });
  addEndpoint = (tenant: string, body: { url: string; types?: string[]; description?: string }) =>
    this.call<EndpointCreated>('addEndpoint', { tenant }, { body });
  removeEndpoint = (tenant: string, id: number) => this.call<{ deleted: boolean }>('removeEndpoint', { tenant, id });
  openApi = () => this.call<Record<string, unknown>>('openApi');

  customers = this.records<Customer, CustomerWrite>('Customer');
  items = this.records<Item, ItemWrite>('Item');
  invoices = this.records<Invoice, InvoiceWrite>('Invoice');
  payments = this.records<Payment, PaymentWrite>('Payment');
  sales = this.records<Sale, SaleWrite>('Sale');

  private records<T, W>(name: 'Customer' | 'Item' | 'Invoice' | 'Payment' | 'Sale'): RecordOps<T, W> {
    return {
      create: (tenant, body, idempotencyKey) => this.call<T>(`create${name}`, { tenant }, { body, idempotencyKey }),
      update: (tenant, id, body, idempotencyKey) =>
        this.call<T>(`update${name}`, { tenant, id }, { body, idempotencyKey }),
      get: (tenant, id) => this.call<T>(`get${name}`, { tenant, id }),
      list: (tenant, query = {}) => this.call<Page<T>>(`list${name}s`, { tenant }, { query }),
    };
  }
}
