import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { dbSchemaName, SchemaNameError } from '../schema/db';

/** Thrown when the environment is unusable; the CLI prints its message as one line and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/qbsync';

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1
    );
  } catch {
    return false;
  }
}, 'a PostgreSQL URL such as postgres://user@host:5432/dbname');

const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'host:port, such as 127.0.0.1:7233');

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const port = z.coerce
  .number()
  .int()
  .min(0, 'a port number from 0 to 65535')
  .max(65535, 'a port number from 0 to 65535');

/** Secrets that may also come from a file named by `<NAME>_FILE` (Docker secrets), so they stay out of compose files. */
export const SECRET_FILE_VARIABLES = [
  'DATABASE_PASSWORD',
  'QBSYNC_ENCRYPTION_KEY',
  'QBSYNC_PAYLOAD_KEY',
  'QBO_CLIENT_SECRET',
  'SMTP_URL',
] as const;

export const configSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  /** The password of DATABASE_URL's user, kept out of the URL (e.g. DATABASE_PASSWORD_FILE=/run/secrets/…). */
  DATABASE_PASSWORD: optionalNonEmpty,
  TEMPORAL_ADDRESS: hostPort.optional(),
  /** mTLS to the Temporal frontend: PEM files of the client certificate and key, the CA that signed the server's. */
  TEMPORAL_TLS_CERT: optionalNonEmpty,
  TEMPORAL_TLS_KEY: optionalNonEmpty,
  TEMPORAL_TLS_CA: optionalNonEmpty,
  /** The name in the server's certificate when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: optionalNonEmpty,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('qbsync'),
  TEMPORAL_CLI: optionalNonEmpty,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  QBSYNC_DATA_DIR: z.string().min(1).default('.data'),
  QBSYNC_ENCRYPTION_KEY: optionalNonEmpty,
  QBSYNC_ENCRYPTION_KEYS_OLD: optionalNonEmpty,
  QBSYNC_PAYLOAD_KEY: optionalNonEmpty,
  QBSYNC_PAYLOAD_KEYS_OLD: optionalNonEmpty,
  QBO_ENV: z.enum(['emulator', 'sandbox', 'production']).default('emulator'),
  QBO_CLIENT_ID: optionalNonEmpty,
  QBO_CLIENT_SECRET: optionalNonEmpty,
  QBO_REDIRECT_URI: optionalNonEmpty,
  QBO_API_BASE_URL: z.string().url('an http(s) URL').optional(),
  QBO_OAUTH_BASE_URL: z.string().url('an http(s) URL').optional(),
  EMULATOR_PORT: port.default(8910),
  /** The Web Connector endpoint (`qbsync webconnector`): where it listens, and the URL .qwc files name. */
  QBWC_HOST: z.string().min(1).default('127.0.0.1'),
  QBWC_PORT: port.default(8930),
  QBWC_PUBLIC_URL: z.string().url('an http(s) URL').optional(),
  QBWC_TLS_CERT: z.string().min(1).optional(),
  QBWC_TLS_KEY: z.string().min(1).optional(),
  SMTP_URL: optionalNonEmpty,
  SMTP_FROM: z.string().default('qbsync <qbsync@localhost>'),
  /** Hosts (comma-separated) a tenant's webhook may reach over http or at a private address; everything else: https to public addresses. */
  QBSYNC_WEBHOOK_ALLOW_HOSTS: optionalNonEmpty,
  QBSYNC_MANAGE_SCHEDULES: z.enum(['true', 'false']).default('true'),
  /** The PostgreSQL schema of qbsync's tables (default qbsync); checked by dbSchemaName. */
  QBSYNC_DB_SCHEMA: optionalNonEmpty,
  /** `qbsync serve`: where the REST API listens (default 127.0.0.1:8920). */
  QBSYNC_API_HOST: optionalNonEmpty,
  QBSYNC_API_PORT: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), port.optional()),
  /** Commands that talk to a running `qbsync serve` (qbsync events list): its URL and an API key. */
  QBSYNC_API_URL: z.string().url('an http(s) URL').optional(),
  QBSYNC_API_KEY: optionalNonEmpty,
  /** `shared`: every worker keeps each company's QuickBooks limits together, in PostgreSQL; `process`: each alone. */
  QBSYNC_RATE_LIMITER: z.enum(['shared', 'process']).default('shared'),
  /** QuickBooks' limit "minute" in ms: 60000, shorter only against a time-scaled emulator (tests, benchmarks). */
  QBO_LIMIT_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * The worker's sticky workflow cache (unset: the SDK's default, ~600 per GB of heap limit). Every company's
   * coordinator stays cached between its runs, so with many companies per worker this is what its memory plateaus at;
   * it must stay above the workflows in flight (runs, their coordinators), or evicted runs replay on every task.
   */
  QBSYNC_MAX_CACHED_WORKFLOWS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(2, 'a whole number of workflows, at least 2').optional(),
  ),
  /** Each scheduled run starts up to this many ms after its time (activities/operations/scheduleSpec.ts). */
  QBSYNC_SCHEDULE_JITTER_MS: z.coerce.number().int().min(0).default(300_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  ...Object.fromEntries(SECRET_FILE_VARIABLES.map((name) => [`${name}_FILE`, optionalNonEmpty])),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends Omit<RawConfig, 'DATABASE_URL'> {
  /** The URL to use; `databaseUrlExplicit` tells whether the user chose it (no embedded fallback then). */
  DATABASE_URL: string;
  databaseUrlExplicit: boolean;
  /** QBSYNC_DB_SCHEMA, validated (default qbsync). */
  dbSchema: string;
  dataDir: string;
}

/** Reads `.env` (if present) under the real environment, validates, and names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const fromFile = readDotEnv(cwd);
  const merged: Record<string, string | undefined> = { ...fromFile, ...env };
  for (const name of SECRET_FILE_VARIABLES) {
    const file = merged[`${name}_FILE`];
    if (!file || merged[name]) continue;
    try {
      merged[name] = fs.readFileSync(path.resolve(cwd, file), 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(
        `${name}_FILE is invalid: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    const shown = merged[variable] === undefined ? 'missing' : 'invalid';
    throw new ConfigError(`${variable} is ${shown}: expected ${describeExpectation(issue)}`);
  }
  const raw = result.data;
  if (Boolean(raw.TEMPORAL_TLS_CERT) !== Boolean(raw.TEMPORAL_TLS_KEY))
    throw new ConfigError(
      `${raw.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'} is missing: expected the client certificate and its key together (scripts/certs.sh makes both)`,
    );
  let dbSchema: string;
  try {
    dbSchema = dbSchemaName({ QBSYNC_DB_SCHEMA: raw.QBSYNC_DB_SCHEMA });
  } catch (error) {
    if (error instanceof SchemaNameError) throw new ConfigError(error.message);
    throw error;
  }
  let databaseUrl = raw.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (raw.DATABASE_PASSWORD) {
    const url = new URL(databaseUrl);
    url.password = encodeURIComponent(raw.DATABASE_PASSWORD);
    databaseUrl = url.toString();
  }
  return {
    ...raw,
    DATABASE_URL: databaseUrl,
    databaseUrlExplicit: raw.DATABASE_URL !== undefined,
    dbSchema,
    dataDir: path.resolve(cwd, raw.QBSYNC_DATA_DIR),
  };
}

function describeExpectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) return `one of ${issue.values.join(', ')}`;
  if (issue.code === 'custom') return issue.message;
  return issue.message.replace(/^Invalid input: /, '');
}

function readDotEnv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  if (!fs.existsSync(file)) return {};
  return dotenv.parse(fs.readFileSync(file));
}
