import type { ActivityDeps } from '../activities/activities';
import { cipherFromConfig } from '../activities/connection/crypto';
import { notificationConfig } from '../activities/notifications/config';
import { IntuitOAuth, oauthSettings } from '../activities/connection/oauth';
import { loadWebhookSecret } from '../activities/connection/tenantSecrets';
import { TokenStore } from '../activities/connection/tokenStore';
import { RateLimiterRegistry, SharedRateLimiterRegistry } from '../activities/quickbooks';
import { backendFactory } from '../activities/backends';
import { quickbooksFactory } from '../activities/quickbooksFor';
import { Exchanges, ExchangeWaker } from '../activities/backends/quickbooks-desktop/exchange';
import type { Db } from '../schema/db';
import { systemClock } from './clock';
import type { Config } from './config';
import type { Logger } from './logger';

/** Assembles what activities receive in production; tests assemble their own. */
export function buildActivityDeps(config: Config, db: Db, logger: Logger): ActivityDeps {
  const cipher = cipherFromConfig(config);
  const tokens = new TokenStore(db, cipher, new IntuitOAuth(oauthSettings(config)), systemClock);
  const limits = { windowMs: config.QBO_LIMIT_WINDOW_MS };
  const limiters =
    config.QBSYNC_RATE_LIMITER === 'shared'
      ? new SharedRateLimiterRegistry(db, { limits })
      : new RateLimiterRegistry(limits);
  const quickbooks = quickbooksFactory(db, tokens, limiters);
  return {
    db,
    logger: logger.child({ component: 'activity' }),
    clock: systemClock,
    backendFor: backendFactory({
      db: db,
      clock: systemClock,
      quickbooksOnline: (tenantId) => quickbooks.api(tenantId),
      desktop: { exchanges: new Exchanges(db, new ExchangeWaker(config.DATABASE_URL)) },
    }),
    notifications: notificationConfig(config, (tenantId) => loadWebhookSecret(db, cipher, tenantId)),
  };
}
