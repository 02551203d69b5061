import { ApplicationFailure } from '@temporalio/common';
import { QboReconnectRequiredError } from '../quickbooks/errors';

/**
 * The connection must be authorised again by a person (invalid_grant, revoked, disconnected). It is the API client's
 * non-retryable `QboReconnectRequiredError` (same class, same Temporal failure type), built with the tenant named and
 * the command to run; the message never carries a token.
 */
export class ReconnectRequiredError extends QboReconnectRequiredError {
  override name = 'QboReconnectRequiredError' as const;

  constructor(tenantId: string, reason: string, code = 'invalid_grant') {
    super(`the QuickBooks connection must be authorised again (${reason})`, {
      tenantId,
      code,
      userAction: `run \`qbsync connect ${tenantId}\` and approve access in QuickBooks`,
    });
  }
}

/** What to say when a tenant's stored tokens do not decrypt with the configured keys. */
export function keyMismatchMessage(tenantId: string, keyVersion: string | null | undefined): string {
  return `tenant ${tenantId}: the stored QuickBooks tokens do not decrypt with this process's keys${keyVersion ? ` (they were stored under key ${keyVersion})` : ''}: check QBSYNC_ENCRYPTION_KEY, and put the former key in QBSYNC_ENCRYPTION_KEYS_OLD if it was rotated; if that key is lost, run \`qbsync connect ${tenantId}\` again`;
}

/**
 * The worker's key cannot read a tenant's tokens: retrying cannot help, so the activity fails at once (a non-retryable
 * ApplicationFailure, whatever the workflow's retry policy lists), naming the tenant and what to check.
 */
export function tokenKeyFailure(tenantId: string, keyVersion: string | null | undefined): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'TokenKeyError',
    message: keyMismatchMessage(tenantId, keyVersion),
    nonRetryable: true,
  });
}

/** No QuickBooks connection was ever made for the tenant. */
export class UnknownConnectionError extends Error {
  override name = 'UnknownConnectionError';
}
