import nodemailer from 'nodemailer';
import type { NotificationConfig } from './config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The full Message-ID header, `<…@…>`; the same on every resend of one message, so copies collapse into one. */
  messageId: string;
}

export interface Mailer {
  /** Resolves once the server has accepted the message (its final 250); rejects with a MailError otherwise. */
  send(mail: OutgoingMail): Promise<{ response: string }>;
}

/** A send that failed; `permanent` when the server refused it for good (5xx), so sending again cannot help. */
export class MailError extends Error {
  override name = 'MailError';
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code?: string,
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

// Bounded, so a hung server cannot hold an invoice's send lock (or an activity) for long.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

/** An SMTP mailer from SMTP_URL and SMTP_FROM, or undefined when no mail server is configured. */
export function createMailer(config: NotificationConfig): Mailer | undefined {
  if (!config.smtpUrl) return undefined;
  const transport = nodemailer.createTransport({ url: config.smtpUrl, ...TIMEOUTS });
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
        });
        return { response: String(info.response ?? '') };
      } catch (error) {
        throw toMailError(error);
      }
    },
  };
}

/**
 * nodemailer's error as one line without connection details (the SMTP URL may carry a password). Permanent only when
 * the server refused this recipient or this message for good (5xx to RCPT TO or DATA); a refused login or sender is
 * qbsync's configuration, which the operator fixes, so it is worth trying again later.
 */
export function toMailError(error: unknown): MailError {
  const e = error as { message?: string; code?: string; command?: string; responseCode?: number; response?: string };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent =
    responseCode !== undefined && responseCode >= 500 && (e.command === 'RCPT TO' || e.command === 'DATA');
  const message = (e.message ?? String(error))
    .split('\n')[0]
    .replace(/\w+:\/\/\S*@/g, '[smtp]@')
    .slice(0, 300);
  const reply =
    e.response && !message.includes(e.response.trim())
      ? ` (server said: ${e.response.trim().split('\n')[0].slice(0, 200)})`
      : '';
  return new MailError(`${message}${reply}`, permanent, e.code, responseCode);
}
