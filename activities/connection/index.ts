// The connection layer: tenants, the QuickBooks OAuth connection, tokens encrypted at rest and their lifecycle.
export { TokenCipher, cipherFromConfig, ensureDevelopmentKey, EncryptionKeyError, DecryptionError } from './crypto';
export { ReconnectRequiredError, UnknownConnectionError } from './errors';
export {
  IntuitOAuth,
  oauthSettings,
  OAuthGrantError,
  OAuthConfigError,
  SCOPE,
  DEV_REDIRECT_URI,
  type OAuthSettings,
  type TokenJson,
  type QboEnvironment,
} from './oauth';
export {
  TokenStore,
  describeConnection,
  tokenColumns,
  REFRESH_MARGIN_MS,
  EXPIRY_WARNING_MS,
  type ConnectionHealth,
} from './tokenStore';
export { addTenant, getTenant, listTenants, setTenant, TenantError, type Tenant } from './tenants';
export {
  startConnect,
  completeConnect,
  connectNonInteractive,
  runCallbackServer,
  disconnect,
  ConnectError,
  STATE_TTL_MS,
  type ConnectDeps,
  type ConnectResult,
  type CallbackServer,
} from './connect';
export {
  parseSettings,
  applySettingPairs,
  tenantSettingsSchema,
  SettingsError,
  type TenantSettings,
} from './tenantSettings';
