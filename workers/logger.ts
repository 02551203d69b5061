import pino, { type Logger } from 'pino';

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

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino({ level, base: { app: 'qbsync' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
