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

/** No QuickBooks connection was ever made for the tenant. */
export class UnknownConnectionError extends Error {
  override name = 'UnknownConnectionError';
}
