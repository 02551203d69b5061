/**
 * The bad-input corpus of every entrance: environment, tenant settings, CLI arguments, QuickBooks answers, the OAuth
 * callback, app rows (through a real sync), the REST API and the Web Connector endpoint (over HTTP). Each case feeds one input through the real entrance and states the
 * outcome: `refused` (a clear error naming the thing and what to do, nothing changed), `retried` (a transient fault
 * for Temporal to retry: never read as data), `ignored` (answered and dropped, the pending work goes on) or
 * `accepted` (an odd but legal input that works). docs/reliability.md lists them (scripts/bad-input-doc.ts), and
 * test/badInput/corpus.test.ts runs each one and checks the doc did not drift.
 */
export type Entrance =
  | 'environment'
  | 'tenant settings'
  | 'CLI arguments'
  | 'QuickBooks answers'
  | 'OAuth callback'
  | 'app rows'
  | 'REST API'
  | 'Web Connector';
export type Outcome = 'refused' | 'retried' | 'ignored' | 'accepted';

export interface BadInputCase {
  entrance: Entrance;
  /** The input, as shown in the docs. */
  input: string;
  outcome: Outcome;
  /** What the message must say (a regular expression's source), shown in the docs. */
  says: string;
}

/** A case builder for one entrance, with the outcome most of its cases have. */
const at =
  (entrance: Entrance, usual: Outcome = 'refused') =>
  (input: string, says: string, outcome: Outcome = usual): BadInputCase => ({ entrance, input, outcome, says });
const env = at('environment');
const setting = at('tenant settings');
const cli = at('CLI arguments');
const qbo = at('QuickBooks answers', 'retried');
const callback = at('OAuth callback', 'ignored');
const row = at('app rows');
const rest = at('REST API');
const soap = at('Web Connector');

export const CASES: BadInputCase[] = [
  // ——— environment (loadConfig, key and TLS loading) ———
  env('DATABASE_URL=mysql://db/qbsync', 'DATABASE_URL is invalid: expected a PostgreSQL URL'),
  env('DATABASE_URL=postgres://db', 'DATABASE_URL is invalid: expected a PostgreSQL URL'),
  env('TEMPORAL_ADDRESS=temporal', 'TEMPORAL_ADDRESS is invalid: expected host:port'),
  env('TEMPORAL_ADDRESS=http://temporal:7233', 'TEMPORAL_ADDRESS is invalid: expected host:port'),
  env('TEMPORAL_DEV_PORT=70000', 'TEMPORAL_DEV_PORT is invalid: expected a port number'),
  env('TEMPORAL_UI_PORT=abc', 'TEMPORAL_UI_PORT is invalid'),
  env('QBO_ENV=prod', 'QBO_ENV is invalid: expected one of emulator, sandbox, production'),
  env('LOG_LEVEL=verbose', 'LOG_LEVEL is invalid: expected one of'),
  env('QBO_API_BASE_URL=quickbooks', 'QBO_API_BASE_URL is invalid: expected an http\\(s\\) URL'),
  env('QBSYNC_MANAGE_SCHEDULES=yes', 'QBSYNC_MANAGE_SCHEDULES is invalid: expected one of true, false'),
  env('TEMPORAL_TLS_CERT without TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_KEY is missing: .*scripts/certs.sh'),
  env('TEMPORAL_TLS_KEY without TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CERT is missing'),
  env(
    'TEMPORAL_TLS_CA=/nonexistent/ca.pem',
    'TEMPORAL_TLS_CA is invalid: cannot read /nonexistent/ca.pem \\(ENOENT\\)',
  ),
  env(
    'DATABASE_PASSWORD_FILE=/nonexistent',
    'DATABASE_PASSWORD_FILE is invalid: cannot read /nonexistent \\(ENOENT\\)',
  ),
  env('QBSYNC_ENCRYPTION_KEY_FILE=/nonexistent', 'QBSYNC_ENCRYPTION_KEY_FILE is invalid: cannot read'),
  env('QBSYNC_ENCRYPTION_KEY=short', 'QBSYNC_ENCRYPTION_KEY is invalid: expected 32 random bytes in base64'),
  env(
    'QBSYNC_ENCRYPTION_KEY unset, NODE_ENV=production',
    'QBSYNC_ENCRYPTION_KEY is missing: .*openssl rand -base64 32',
  ),
  env('QBSYNC_ENCRYPTION_KEYS_OLD=a,b', 'QBSYNC_ENCRYPTION_KEYS_OLD is invalid: expected 32 random bytes'),
  env('QBSYNC_PAYLOAD_KEY=short', 'QBSYNC_PAYLOAD_KEY is invalid: expected 32 random bytes'),
  env('QBSYNC_PAYLOAD_KEYS_OLD=x', 'QBSYNC_PAYLOAD_KEYS_OLD is invalid'),
  env('QBO_ENV=sandbox without QBO_CLIENT_ID', 'QBO_CLIENT_ID is missing: QBO_ENV=sandbox needs'),
  env('DATABASE_PASSWORD=p@ss:w/rd (from a file)', 'postgres://qbsync:p%40ss%3Aw%2Frd@db', 'accepted'),

  // ——— tenant settings (`qbsync tenant set`, stored settings, the webhook policy and secret) ———
  setting('conflictPolicy=random', 'setting conflictPolicy is invalid: expected one of quickbooks-wins, app-wins'),
  setting('onRecordError=ignore', 'setting onRecordError is invalid: expected one of stop, skip'),
  setting('schedule.times=["25:00"]', 'setting schedule.times.0 is invalid: a time as HH:MM'),
  setting('schedule.times="22:30"', 'setting schedule.times is invalid: expected array'),
  setting('schedule.times=[]', 'setting schedule.times is invalid: at least one time'),
  setting('schedule.times=[1,440 times]', 'setting schedule.times is invalid: at most 48 times a day'),
  setting('schedule.timeZone=Mars/Olympus', 'setting schedule.timeZone is invalid: an IANA time zone'),
  setting('schedule.enabled=maybe', 'setting schedule.enabled is invalid: expected boolean'),
  setting('notifications.on=sometimes', 'setting notifications.on is invalid: expected one of all, failures, none'),
  setting('notifications.email=["not-an-email"]', 'setting notifications.email.0 is invalid'),
  setting('notifications.email="ops@acme.example"', 'setting notifications.email is invalid: expected array'),
  setting(
    'notifications.webhookUrl=file:///etc/passwd',
    'setting notifications.webhookUrl is invalid: an https:// URL',
  ),
  setting('notifications.webhookUrl=javascript:alert(1)', 'setting notifications.webhookUrl is invalid'),
  setting('notifications.webhookUrl=https://user:pw@hooks.example', 'a URL without credentials'),
  setting(
    'notifications.webhookUrl=http://hooks.example (not allowed)',
    'http is allowed only to hosts the operator lists in QBSYNC_WEBHOOK_ALLOW_HOSTS',
  ),
  setting('notifications.webhookUrl=https://169.254.169.254/', 'loopback, private or link-local address'),
  setting('notifications.webhookUrl=https://[::1]/', 'loopback, private or link-local address'),
  setting('notifications.webhookUrl=http://receiver.internal (allowed)', 'receiver.internal', 'accepted'),
  setting(
    'notifications.webhookSecretRef=DATABASE_URL',
    'webhookSecretRef .* is no longer accepted: .*--webhook-secret',
  ),
  setting('webhook secret of 5 characters', 'the webhook secret must be 16 to 512 characters'),
  setting('webhook secret with a control character', 'must not contain control characters'),
  setting('foo=1', 'unknown setting foo \\(known: conflictPolicy'),
  setting('schedule.hourly=true', 'unknown setting schedule.hourly \\(known under schedule: enabled, times, timeZone'),
  setting('__proto__.polluted=1', '"__proto__\\.polluted" is not a setting name'),
  setting('conflictPolicy (no =)', '"conflictPolicy" is not key=value'),
  setting(
    'orderTaking.doneStatus=Open',
    'setting orderTaking.doneStatus is invalid: readyStatus and doneStatus must differ',
  ),
  setting('orderTaking.orderAs=Order', 'setting orderTaking.orderAs is invalid: expected one of Estimate, Invoice'),
  setting('sendInvoicesAutomatically="yes"', 'setting sendInvoicesAutomatically is invalid: expected boolean'),
  setting('mode=retail', 'mode "retail" is invalid: billing or order-taking'),
  setting('stored settings holding webhookSecretRef, then any set', 'qbsync tenant set legacy-t --webhook-secret'),
  setting('schedule.times=["22:30","22:30"]', '22:30', 'accepted'),

  // ——— CLI arguments (the real `qbsync` binary) ———
  cli('qbsync synchronize', "unknown command 'synchronize'"),
  cli('qbsync sync', "missing required argument 'tenant'"),
  cli('qbsync tenant add Bad_ID', 'tenant id "Bad_ID" is invalid: use lowercase letters, digits and dashes'),
  cli('qbsync tenant add shop --mode retail', '--mode must be billing or order-taking, not retail'),
  cli('qbsync tenant show nosuch', 'tenant nosuch does not exist: add it with `qbsync tenant add nosuch`'),
  cli('qbsync tenant set cli-t', 'nothing to set: give key=value pairs, --webhook-secret or --clear-webhook-secret'),
  cli(
    'qbsync tenant set cli-t --webhook-secret --clear-webhook-secret',
    '--webhook-secret and --clear-webhook-secret exclude each other',
  ),
  cli('qbsync tenant set cli-t --webhook-secret (empty stdin)', 'the webhook secret must be 16 to 512 characters'),
  cli('qbsync connect cli-t --port 99999', '--port must be a port number, not 99999'),
  cli('qbsync codec-server --port 99999', '--port 99999 is not a port number'),
  cli('qbsync history nosuch', 'tenant nosuch does not exist'),
  cli('qbsync history cli-t --limit zero', '--limit must be a whole number ≥ 1, not zero'),
  cli('qbsync replay /nonexistent/history.json', 'ENOENT.*nonexistent/history.json'),
  cli('qbsync tenant list, DATABASE_URL naming a missing database', 'DATABASE_URL=.*does not exist.*qbsync migrate'),

  // ——— QuickBooks answers (the emulator answers 200 with the body shown) ———
  qbo('query answered {}', 'QuickBooks answered 200 without a QueryResponse'),
  qbo('query answered []', 'QuickBooks answered 200 without a QueryResponse'),
  qbo('query answered null', 'QuickBooks answered with unreadable JSON'),
  qbo('query answered "ok"', 'QuickBooks answered with unreadable JSON'),
  qbo('query answered {"QueryResponse":[]}', 'QuickBooks answered 200 without a QueryResponse'),
  qbo(
    'query answered {"QueryResponse":{"Customer":{}}}',
    'without a QueryResponse.*Customer: expected a list of records',
  ),
  qbo('query answered {"QueryResponse":{"Customer":[1]}}', 'expected a list of records'),
  qbo('query answered malformed JSON', 'QuickBooks answered with unreadable JSON'),
  qbo('count answered {"QueryResponse":{}}', 'QuickBooks answered 200 without a QueryResponse with a totalCount'),
  qbo('CDC answered {}', 'QuickBooks answered 200 without a CDCResponse'),
  qbo('CDC answered {"CDCResponse":{}}', 'QuickBooks answered 200 without a CDCResponse'),
  qbo('read answered {}', 'QuickBooks answered 200 without a Customer'),
  qbo(
    'create answered {} (the retry replays by requestid: one customer)',
    'QuickBooks answered 200 without a Customer',
  ),
  qbo('batch answered {}', 'QuickBooks answered 200 without a BatchItemResponse'),
  qbo('batch answered {"BatchItemResponse":{}}', 'QuickBooks answered 200 without a BatchItemResponse'),
  qbo(
    'query answered a Customer without DisplayName',
    'QuickBooks returned a Customer qbsync cannot read.*report this as a qbsync bug',
    'refused',
  ),
  qbo('query answered {"QueryResponse":{},"time":…}', '0 rows', 'accepted'),

  // ——— OAuth callback (the local server `qbsync connect` runs) ———
  callback('GET /callback (no state)', 'does not belong to the pending qbsync connect'),
  callback('GET /callback?state=x', 'does not belong to the pending qbsync connect'),
  callback('GET /callback?state=<pending state>x', 'does not belong to the pending qbsync connect'),
  callback('GET /callback?error=access_denied&state=forged', 'does not belong to the pending qbsync connect'),
  callback(`GET /callback?state=${'A'.repeat(20)}… (8 KB)`, 'does not belong to the pending qbsync connect'),
  callback('POST /callback?state=<pending state>', 'not found'),
  callback('GET /elsewhere?state=<pending state>', 'not found'),
  callback(
    'GET /callback?state=<pending>&error=access_denied',
    'QuickBooks did not grant access to tenant cb-t: access_denied',
    'refused',
  ),
  callback('GET /callback?state=<pending>&code=…&realmId=abc', 'the callback carries no realmId', 'refused'),
  callback('the real callback again (replayed)', 'the OAuth state is unknown, already used or expired', 'refused'),
  callback('the real callback, after stray ones', 'connected', 'accepted'),

  // ——— app rows (one run with onRecordError=skip: each bad row a problem naming it, the good one synced) ———
  row(
    'customers.billing_address holding a JSON string',
    'String Address Co.*billing_address is a JSON string .*not an address object.*#>> .\\{\\}.*next run',
  ),
  row('customers.shipping_address holding a JSON array', 'Array Address Co.*shipping_address is a JSON array'),
  row('customers.parent_id = its own id', 'Own Parent Co.*a customer cannot be its own parent.*set parent_id'),
  row('customers.display_name "Acme: West"', 'Acme: West.*contains a colon.*rename it in the app'),
  row("items.unit_price = 'NaN'", 'item .* holds a value qbsync cannot carry.*correct the value in the app'),
  row(
    'a good customer in the same run as the bad rows',
    'run succeeded; QuickBooks has .*Good Customer Co',
    'accepted',
  ),

  // ——— REST API (over HTTP; every answer problem+json naming the field, checked against /openapi.json) ———
  rest('POST customers {"display_nam": …} (misspelt key)', '400 .*body display_nam: unknown field'),
  rest('POST /v1/tenants {"settings": {"conflictPolicyy": …}}', '400 .*body settings.conflictPolicyy: unknown setting'),
  rest('PATCH settings {"schedule": {"hourly": true}}', '400 .*body schedule.hourly: unknown field'),
  rest(
    'GET a tenant whose stored settings hold a misspelt key',
    '422 tenant api-stale: its stored settings are invalid: unknown setting onRecordErrors.*PATCH /v1/tenants/api-stale/settings',
  ),
  rest('POST customers with a body that is not JSON', '400 the body is not valid JSON'),
  rest('POST customers as text/plain', '415 send the body as application/json'),
  rest('POST customers with a 20 KB body (limit 16 KB)', '413 the body is larger than 16384 bytes'),
  rest('Idempotency-Key "two words"', '400 .*header Idempotency-Key: 1 to 255 visible ASCII characters'),
  rest('Idempotency-Key on a GET', '422 GET /v1/tenants/\\{tenant\\}/customers does not take an Idempotency-Key'),
  rest('GET customers?limit=0', '400 .*query limit:'),
  rest('GET customers?limt=5 (misspelt)', '400 .*query limt: unknown field'),
  rest('GET customers?cursor=garbage', '400 .*query cursor: a next_cursor from a previous page'),
  rest('GET customers/abc', '400 .*path id:'),
  rest('Authorization: Basic …', '401 .*header Authorization'),
  rest('no Authorization header', '401 .*header Authorization'),
  rest('a key for another tenant', '403 this API key may not act on tenant api-t'),
  rest('POST payments {"amount_cents": 1.5}', '400 .*body amount_cents'),
  rest('POST conflicts/1/resolve {"keep": "both"}', '400 .*body keep'),
  rest('POST conflicts/999/resolve (no such conflict)', '404 tenant api-t has no conflict 999'),
  rest(
    'DELETE /v1/tenants/{tenant}/customers',
    '405 DELETE /v1/tenants/api-t/customers is not an operation; use POST, GET',
  ),
  rest('GET /v1/nothing-here', '404 no API operation at /v1/nothing-here; see /openapi.json'),

  // ——— Web Connector endpoint (SOAP over HTTP; the answer the Web Connector shows its user) ———
  soap('GET /qbwc', '405 the Web Connector endpoint answers SOAP POSTs'),
  soap('POST a body that is not XML', '500 the request is not XML .*; the Web Connector sends SOAP'),
  soap('POST XML that is not a SOAP envelope', '500 not a SOAP envelope'),
  soap('POST a SOAP envelope with an empty body', '500 the SOAP body is empty'),
  soap('POST an unknown operation (deleteCompany)', '500 unknown operation deleteCompany'),
  soap('authenticate with a wrong password', '200 <string></string><string>nvu</string>'),
  soap('authenticate an unknown user', '200 <string></string><string>nvu</string>'),
  soap('sendRequestXML with an unknown ticket', '^200 $', 'ignored'),
  soap(
    'receiveResponseXML with an unknown ticket, then getLastError',
    '200 -1; getLastError: 200 qbsync: unknown session; the Web Connector will connect again',
    'ignored',
  ),
  soap('closeConnection with an unknown ticket', '200 qbsync: unknown session', 'ignored'),
];
