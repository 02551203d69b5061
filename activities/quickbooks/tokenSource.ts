/**
 * How the QuickBooks API client gets access tokens without ever holding refresh tokens or secrets itself.
 * The connection layer (activities/connection/) implements it on PostgreSQL with single-flight refreshes.
 */
export interface TokenSource {
  /** A valid access token for the realm, refreshed first when it is within 5 minutes of expiry. */
  accessToken(): Promise<string>;
  /**
   * Called once after QuickBooks answered 401 (code 3200) to `rejected`. Returns a fresh access token
   * (refreshing unless another caller already has), or throws ReconnectRequiredError.
   */
  refreshAfterUnauthorized(rejected: string): Promise<string>;
}
