import { z } from 'zod';
import { tenantSettingsSchema } from '../activities/connection/tenantSettings';
import { EVENT_TYPES } from '../schema/tables/events';

/**
 * The API's request and response shapes. Field names are the columns' (docs/app-contract.md), so SQL and the API
 * read the same. Money is integer cents (`*_cents`) or a decimal string (sales' `subtotal`, `tax`, `total`; unit
 * prices and quantities) — never a float. Times are ISO 8601 with a zone; dates are YYYY-MM-DD.
 */
const id = z.number().int().positive();
const cents = z.number().int().min(-9_007_199_254_740_991).max(9_007_199_254_740_991);
const decimal = z.string().regex(/^-?\d{1,13}(\.\d{1,5})?$/, 'a decimal number as a string, such as "12.50"');
const date = z.iso.date();
const time = z.iso.datetime({ offset: true });
const text = (max = 4000) => z.string().max(max);

export const address = z
  .object({
    line1: text(500).nullish(),
    line2: text(500).nullish(),
    line3: text(500).nullish(),
    city: text(255).nullish(),
    region: text(255).nullish(),
    postalCode: text(30).nullish(),
    country: text(255).nullish(),
  })
  .strict();

/** QuickBooks' identity of a record, once the sync linked it; null until then. */
const qbo = z.object({ id: z.string(), sync_token: z.string().nullable() }).nullable();
const stamps = { id, created_at: time, updated_at: time, qbo };

export const customerWrite = z
  .object({
    display_name: text(500).min(1),
    company_name: text(500).nullish(),
    given_name: text(100).nullish(),
    family_name: text(100).nullish(),
    email: z.email().max(100).nullish(),
    phone: text(30).nullish(),
    billing_address: address.nullish(),
    shipping_address: address.nullish(),
    parent_id: id.nullish(),
    active: z.boolean().optional(),
    notes: text(4000).nullish(),
  })
  .strict();
export const customer = customerWrite.required().extend({
  ...stamps,
  company_name: z.string().nullable(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  billing_address: address.nullable(),
  shipping_address: address.nullable(),
  parent_id: id.nullable(),
  /** QuickBooks Desktop: the customer's price level and sales tax code (read from QuickBooks). */
  price_level_id: id.nullable(),
  tax_code_id: id.nullable(),
  notes: z.string().nullable(),
  status: z.enum(['active', 'inactive', 'deleted']),
  balance_cents: cents,
});

export const itemWrite = z
  .object({
    type: z.enum(['Service', 'NonInventory', 'Inventory', 'Category']),
    name: text(100).min(1),
    sku: text(100).nullish(),
    description: text(4000).nullish(),
    unit_price: decimal.nullish(),
    income_account: text(100).nullish(),
    taxable: z.boolean().optional(),
    tax_code_id: id.nullish(),
    parent_id: id.nullish(),
    active: z.boolean().optional(),
  })
  .strict();
export const item = itemWrite.required().extend({
  ...stamps,
  sku: z.string().nullable(),
  description: z.string().nullable(),
  unit_price: decimal.nullable(),
  income_account: z.string().nullable(),
  tax_code_id: id.nullable(),
  parent_id: id.nullable(),
  quantity_on_hand: decimal.nullable(),
  status: z.enum(['active', 'inactive', 'deleted']),
});

const lineKind = z.enum(['item', 'description', 'discount']);
export const invoiceLine = z
  .object({
    kind: lineKind.optional(),
    item_id: id.nullish(),
    description: text(4000).nullish(),
    quantity: decimal.nullish(),
    unit_price: decimal.nullish(),
    amount_cents: cents,
    taxable: z.boolean().optional(),
  })
  .strict();
export const invoiceWrite = z
  .object({
    customer_id: id,
    txn_date: date,
    doc_number: text(21).nullish(),
    due_date: date.nullish(),
    tax_code_id: id.nullish(),
    subtotal_cents: cents.optional(),
    tax_cents: cents.optional(),
    total_cents: cents.optional(),
    status: z.enum(['draft', 'open', 'voided', 'deleted']).optional(),
    email: z.email().nullish(),
    customer_memo: text(1000).nullish(),
    private_note: text(4000).nullish(),
    lines: z.array(invoiceLine).max(1000).optional(),
  })
  .strict();
export const invoice = z.object({
  ...stamps,
  customer_id: id,
  txn_date: date,
  doc_number: z.string().nullable(),
  due_date: date.nullable(),
  tax_code_id: id.nullable(),
  subtotal_cents: cents,
  tax_cents: cents,
  total_cents: cents,
  balance_cents: cents,
  status: z.enum(['draft', 'open', 'paid', 'voided', 'deleted']),
  origin: z.enum(['app', 'quickbooks']),
  email: z.string().nullable(),
  customer_memo: z.string().nullable(),
  private_note: z.string().nullable(),
  sent_at: time.nullable(),
  lines: z.array(
    invoiceLine.required().extend({
      line_num: z.number().int(),
      item_id: id.nullable(),
      description: z.string().nullable(),
      quantity: decimal.nullable(),
      unit_price: decimal.nullable(),
    }),
  ),
});

export const paymentWrite = z
  .object({
    customer_id: id,
    txn_date: date,
    amount_cents: cents,
    unapplied_cents: cents.optional(),
    method: text(100).nullish(),
    reference: text(100).nullish(),
    status: z.enum(['active', 'voided', 'deleted']).optional(),
    applications: z
      .array(z.object({ invoice_id: id, amount_cents: cents }).strict())
      .max(1000)
      .optional(),
  })
  .strict();
export const payment = z.object({
  ...stamps,
  customer_id: id,
  txn_date: date,
  amount_cents: cents,
  unapplied_cents: cents,
  method: z.string().nullable(),
  reference: z.string().nullable(),
  status: z.enum(['active', 'voided', 'deleted']),
  applications: z.array(z.object({ invoice_id: id, amount_cents: cents })),
});

export const saleLine = z
  .object({
    kind: lineKind.optional(),
    item_id: id.nullish(),
    description: text(4000).nullish(),
    quantity: decimal.nullish(),
    unit_price: decimal.nullish(),
    amount: decimal,
    tax_code_id: id.nullish(),
  })
  .strict();
export const saleWrite = z
  .object({
    type: text(100).min(1),
    status: text(100).min(1),
    number: text(21).nullish(),
    customer_id: id,
    txn_date: date,
    due_date: date.nullish(),
    tax_code_id: id.nullish(),
    subtotal: decimal.optional(),
    tax: decimal.optional(),
    total: decimal.optional(),
    memo: text(1000).nullish(),
    private_note: text(4000).nullish(),
    lines: z.array(saleLine).max(1000).optional(),
  })
  .strict();
export const sale = z.object({
  ...stamps,
  type: z.string(),
  status: z.string(),
  number: z.string().nullable(),
  customer_id: id,
  txn_date: date,
  due_date: date.nullable(),
  tax_code_id: id.nullable(),
  subtotal: decimal,
  tax: decimal,
  total: decimal,
  memo: z.string().nullable(),
  private_note: z.string().nullable(),
  qbo_entity: z.enum(['Invoice', 'Estimate']).nullable(),
  qbo_id: z.string().nullable(),
  qbo_doc_number: z.string().nullable(),
  handed_over_at: time.nullable(),
  lines: z.array(
    saleLine.required().extend({
      line_num: z.number().int(),
      item_id: id.nullable(),
      description: z.string().nullable(),
      quantity: decimal.nullable(),
      unit_price: decimal.nullable(),
      tax_code_id: id.nullable(),
    }),
  ),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const tenantPath = z.object({ tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a tenant id') });
export const recordPath = tenantPath.extend({ id: z.coerce.number().int().positive() });

export const connectionHealth = z.object({
  status: z.enum(['connected', 'needs-reconnect', 'disconnected', 'not-connected']),
  realm_id: z.string().nullable(),
  environment: z.string().nullable(),
  connected_at: time.nullable(),
  refresh_token_expires_at: time.nullable(),
  last_error: z.string().nullable(),
  warnings: z.array(z.string()),
});

export const tenantCreate = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes (at most 63)'),
    name: text(200).min(1).optional(),
    mode: z.enum(['billing', 'order-taking']).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export const tenant = z.object({
  id: z.string(),
  name: z.string(),
  mode: z.enum(['billing', 'order-taking']),
  settings: tenantSettingsSchema,
  connection: connectionHealth,
});
export const settingsPatch = z.record(z.string(), z.unknown());

export const connectStart = z.object({ authorize_url: z.url(), expires_at: time });

export const syncRequest = z.object({
  request_id: z.string(),
  /** Follows this request: GET it until phase is succeeded or failed. */
  request_url: z.string(),
  phase: z
    .enum(['unseen', 'queued', 'running', 'succeeded', 'failed'])
    .describe('unseen: no worker took the request yet; queued: it runs right after the running run'),
  run: z
    .object({
      number: z.number().int(),
      workflow_id: z.string(),
      id: z.string().nullable().describe('the run id of GET /v1/tenants/{tenant}/runs/{run}; null until it started'),
      url: z.string().nullable(),
    })
    .nullable()
    .describe('the run that serves the request: null while unseen'),
});
export const syncRequested = syncRequest.extend({
  tenant: z.string(),
  coordinator: z.string(),
  status_url: z.string(),
});

const counts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  failed: z.number().int(),
  deleted: z.number().int(),
});
export const step = z.object({
  step: z.string(),
  position: z.number().int(),
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
  started_at: time.nullable(),
  finished_at: time.nullable(),
  pages: z.number().int(),
  conflicts: z.number().int(),
  pulled: counts,
  pushed: counts,
  error: z.unknown().nullable(),
});
export const run = z.object({
  id: z.string(),
  workflow_id: z.string(),
  trigger: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  started_at: time,
  finished_at: time.nullable(),
  error: z.unknown().nullable(),
  steps: z.array(step),
});
export const status = z.object({
  tenant: z.string(),
  state: z.enum(['idle', 'running']),
  current: run.nullable(),
  last_run: run.nullable(),
  connection: connectionHealth,
  events: z.object({ pending: z.number().int(), failed: z.number().int() }),
});

export const syncProblem = z.object({
  id,
  run_id: z.string().nullable(),
  step: z.string(),
  entity: z.string(),
  direction: z.enum(['pull', 'push']),
  app_id: id.nullable(),
  remote_id: z.string().nullable(),
  record_label: z.string().nullable(),
  code: z.string().nullable(),
  message: z.string(),
  detail: z.string().nullable(),
  user_action: z.string().nullable(),
  skipped: z.boolean(),
  created_at: time,
});

const side = z.enum(['app', 'quickbooks']);
export const conflict = z.object({
  id,
  run_id: z.string().nullable(),
  entity: z.string(),
  app_id: id.nullable(),
  remote_id: z.string().nullable(),
  policy: z.string(),
  winner: side,
  app_version: z.record(z.string(), z.unknown()),
  remote_version: z.record(z.string(), z.unknown()),
  decided_at: time,
  /** Open (null) until a person chose a side (POST …/conflicts/{id}/resolve). */
  resolution: z
    .object({ keep: side, by: z.string(), at: time })
    .nullable()
    .describe('who chose which side, and when; null while the conflict is open'),
});
export const conflictQuery = listQuery.extend({
  state: z.enum(['open', 'resolved', 'all']).default('all').describe('open: not resolved by a person yet'),
});
export const conflictResolve = z
  .object({
    keep: side.describe(
      "the side whose version stands: 'quickbooks' writes QuickBooks' version into the app row now; 'app' writes the app's version back into the app row, and the next run sends it to QuickBooks",
    ),
    sync: z.boolean().default(false).describe('also request a sync now (as Synchronize All does)'),
  })
  .strict();
export const conflictResolved = z.object({
  conflict,
  action: z
    .enum(['nothing-to-do', 'written-to-app', 'queued-for-push'])
    .describe(
      'nothing-to-do: the kept side is the one the policy let win, both sides hold it; written-to-app: the app row holds the kept version, which QuickBooks holds too; queued-for-push: the app row holds the kept version and the next run sends it to QuickBooks',
    ),
  sync: syncRequested.nullable(),
});

const eventType = z.enum(EVENT_TYPES);
export const delivery = z.object({
  endpoint_id: id,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt_at: time.nullable(),
  last_attempt_at: time.nullable(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  delivered_at: time.nullable(),
});
export const event = z.object({
  id: z.string(),
  type: eventType,
  subject: z.string(),
  created_at: time,
  data: z.record(z.string(), z.unknown()),
  deliveries: z.array(delivery),
});
export const endpointCreate = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    types: z.array(eventType).optional(),
    description: text(500).optional(),
  })
  .strict();
export const endpoint = z.object({
  id,
  url: z.string(),
  types: z.array(eventType).nullable(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  created_at: time,
});
export const endpointCreated = endpoint.extend({
  secret: z.string().describe('whsec_… signing secret: shown this once'),
});
export const replayRequest = z.object({ since: time }).strict();
export const replayed = z.object({ deliveries: z.number().int() });
export const deleted = z.object({ deleted: z.boolean() });

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z
    .array(z.object({ in: z.enum(['body', 'query', 'path', 'header']), field: z.string(), message: z.string() }))
    .min(1),
});
