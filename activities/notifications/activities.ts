import type { ActivityDeps } from '../activities';
import { withHeartbeat } from '../heartbeat';
import { NO_NOTIFICATIONS } from './config';
import { deliverInvoices, type DeliverInvoicesResult } from './invoiceDelivery';
import { createMailer } from './mailer';
import { notifySyncOutcome, type NotifySyncOutcomeInput } from './notices';

export type { DeliverInvoicesResult } from './invoiceDelivery';
export type { NotifySyncOutcomeInput } from './notices';
export { lastNotices, type NoticeSummary } from './notices';

/** Notices about sync runs, and the automatic emailing of invoices that arrive from QuickBooks. */
export function createNotificationActivities(deps: ActivityDeps) {
  const config = deps.notifications ?? NO_NOTIFICATIONS;
  const mailer = createMailer(config);
  return {
    /** Tells the tenant's recipients how a run ended; a notice that cannot be delivered is recorded, never fails the run. */
    async notifySyncOutcome(input: NotifySyncOutcomeInput): Promise<{ notices: number }> {
      return withHeartbeat(() =>
        notifySyncOutcome({ db: deps.db, logger: deps.logger, clock: deps.clock, config, mailer }, input),
      );
    },

    /** Emails one page (at most 25) of due QuickBooks-born invoices to their customers; call again while `remaining` > 0. */
    async deliverInvoices(input: { tenantId: string }): Promise<DeliverInvoicesResult> {
      return withHeartbeat(() =>
        deliverInvoices({ db: deps.db, logger: deps.logger, clock: deps.clock, mailer }, input.tenantId),
      );
    },
  };
}
