import pino, { type Logger } from 'pino';
import { scrubSecrets } from '../activities/quickbooks/errors';

/**
 * Paths pino blanks wherever they appear in a log object. Tokens and secrets are never logged on purpose;
 * this is the second line of defence for objects that carry them by accident (errors, request options, Temporal's task tokens).
 */
export const REDACTED_PATHS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'id_token',
  'clientSecret',
  'client_secret',
  'password',
  'authorization',
  'Authorization',
  'token',
  'taskToken',
  'encryptionKey',
  'smtpPassword',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.taskToken',
  '*.encryptionKey',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

const MAX_CAUSES = 5;

/**
 * An error as a log field: message, type (a Temporal failure's type, else the class name), stack and the chain of
 * causes — the SDK logs `error` as an Error, which pino's default output prints as `{}`. Token fragments and bearer
 * values are cut from messages and stacks; failure details (which may hold record data) are not logged.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  // Errors logged from inside the workflow sandbox come from another realm: `instanceof Error` is false for them.
  const errorLike =
    value instanceof Error ||
    (typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && 'stack' in value);
  if (!errorLike) return value;
  const e = value as Error & { type?: string; nonRetryable?: boolean; code?: string | number; cause?: unknown };
  const out: Record<string, unknown> = {
    type: e.type ?? e.name ?? e.constructor?.name,
    message: scrubSecrets(e.message),
  };
  if (e.name && e.type && e.name !== e.type) out.class = e.name;
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.nonRetryable === 'boolean') out.nonRetryable = e.nonRetryable;
  if (e.stack) out.stack = scrubSecrets(e.stack);
  if (e.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { app: 'qbsync' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: (e: unknown) => serializeError(e), error: (e: unknown) => serializeError(e) },
    },
    destination,
  );
}

export type { Logger };
