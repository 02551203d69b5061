/** How qbsync reaches people: SMTP for mail, and where named secrets (webhook signing keys) are looked up. */
export interface NotificationConfig {
  /** SMTP connection URL (smtp://user:pass@host:587, smtps://…); unset: notices are logged and kept, invoices wait. */
  smtpUrl?: string;
  /** The From of every message qbsync sends. */
  from: string;
  /** A named secret (the tenant setting `notifications.webhookSecretRef` names one); the worker's environment in production. */
  secret(name: string): string | undefined;
}

export const DEFAULT_FROM = 'qbsync <qbsync@localhost>';

/** The worker's notification configuration from its validated config and environment. */
export function notificationConfig(
  config: { SMTP_URL?: string; SMTP_FROM: string },
  env: NodeJS.ProcessEnv,
): NotificationConfig {
  return { smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, secret: (name) => env[name] };
}

/** Without configuration: nothing is mailed, no secret resolves. */
export const NO_NOTIFICATIONS: NotificationConfig = { from: DEFAULT_FROM, secret: () => undefined };
