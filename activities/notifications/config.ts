import { parseAllowHosts } from './webhookPolicy';

/** How qbsync reaches people: SMTP for mail, the webhook policy, and where a tenant's webhook secret is read. */
export interface NotificationConfig {
  /** SMTP connection URL (smtp://user:pass@host:587, smtps://…); unset: notices are logged and kept, invoices wait. */
  smtpUrl?: string;
  /** The From of every message qbsync sends. */
  from: string;
  /** Hosts a tenant's webhook may reach over http or at a private address (QBSYNC_WEBHOOK_ALLOW_HOSTS). */
  webhookAllowHosts?: string[];
  /** The tenant's webhook signing secret from the encrypted store (`qbsync tenant set <t> --webhook-secret`). */
  webhookSecret?(tenantId: string): Promise<string | undefined>;
}

export const DEFAULT_FROM = 'qbsync <qbsync@localhost>';

/** The worker's notification configuration from its validated config; secrets come from the encrypted store. */
export function notificationConfig(
  config: { SMTP_URL?: string; SMTP_FROM: string; QBSYNC_WEBHOOK_ALLOW_HOSTS?: string },
  webhookSecret?: (tenantId: string) => Promise<string | undefined>,
): NotificationConfig {
  return {
    smtpUrl: config.SMTP_URL,
    from: config.SMTP_FROM,
    webhookAllowHosts: parseAllowHosts(config.QBSYNC_WEBHOOK_ALLOW_HOSTS),
    webhookSecret,
  };
}

/** Without configuration: nothing is mailed, no webhook secret resolves. */
export const NO_NOTIFICATIONS: NotificationConfig = { from: DEFAULT_FROM };
