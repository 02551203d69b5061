import { getTenant, TenantError, type Tenant } from '../connection/tenants';
import type { Db } from '../../schema/db';
import type { NoticeChannel, NoticeStatus } from '../../schema/tables/notifications';
import type { Clock } from '../../workers/clock';
import type { Logger } from '../../workers/logger';
import type { NotificationConfig } from './config';
import type { Mailer } from './mailer';
import { renderRunNotice, type Rendered } from './render';
import { buildRunReport, type RunReport } from './report';
import { postWebhook } from './webhook';
import { legacySecretRefMessage } from '../connection/tenantSettings';

export interface NotifySyncOutcomeInput {
  tenantId: string;
  syncRunId: string | null;
  workflowId: string;
  trigger: string;
  outcome: 'succeeded' | 'failed';
}

export interface NoticeDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  config: NotificationConfig;
  mailer: Mailer | undefined;
}

/** A notice that failed is tried again when the activity runs again for the same run, at most this many times in all. */
const MAX_ATTEMPTS = 3;

interface Target {
  channel: NoticeChannel;
  recipient: string;
  status: NoticeStatus;
}

function targetsOf(tenant: Tenant, mailer: Mailer | undefined): Target[] {
  const n = tenant.settings.notifications;
  const targets: Target[] = n.email.map((recipient) => ({
    channel: 'email',
    recipient,
    status: mailer ? 'pending' : 'logged',
  }));
  if (n.webhookUrl) targets.push({ channel: 'webhook', recipient: n.webhookUrl, status: 'pending' });
  // Nobody to tell: the notice is still logged and kept, so `qbsync status` shows it.
  if (targets.length === 0) targets.push({ channel: 'log', recipient: 'log', status: 'logged' });
  return targets;
}

function wanted(tenant: Tenant, outcome: 'succeeded' | 'failed'): boolean {
  const on = tenant.settings.notifications.on;
  return on === 'all' || (on === 'failures' && outcome === 'failed');
}

/**
 * Tells the tenant's recipients how a run ended, once per run × channel × recipient (a unique key, so a retried
 * activity skips what it already sent). A notice that cannot be delivered is recorded as failed and logged; it
 * never fails the activity, and so never the run. Only an unreachable database makes it throw (to be retried).
 */
export async function notifySyncOutcome(deps: NoticeDeps, input: NotifySyncOutcomeInput): Promise<{ notices: number }> {
  const { db, logger } = deps;
  let tenant: Tenant;
  try {
    tenant = await getTenant(db, input.tenantId);
  } catch (error) {
    if (!(error instanceof TenantError)) throw error;
    logger.warn(
      { tenantId: input.tenantId, syncRunId: input.syncRunId },
      `no notice about run ${input.syncRunId ?? input.workflowId}: ${error.message}`,
    );
    return { notices: 0 };
  }
  if (!wanted(tenant, input.outcome)) return { notices: 0 };

  const report = await buildRunReport(db, { ...input, tenantName: tenant.name });
  const rendered = renderRunNotice(report, tenant.settings.schedule.timeZone);
  const inserted = await db
    .insertInto('notices')
    .values(
      targetsOf(tenant, deps.mailer).map((t) => ({
        tenant_id: input.tenantId,
        sync_run_id: input.syncRunId,
        workflow_id: input.workflowId,
        trigger: input.trigger,
        event: input.outcome,
        channel: t.channel,
        recipient: t.recipient,
        subject: rendered.subject,
        payload: JSON.stringify(report),
        status: t.status,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'run_key', 'channel', 'recipient']).doNothing())
    .returning(['id', 'channel', 'recipient', 'status'])
    .execute();
  for (const n of inserted.filter((r) => r.status === 'logged')) {
    const why = n.channel === 'email' ? ` (for ${n.recipient}; SMTP_URL is not set, so nothing was mailed)` : '';
    logger.info(
      { tenantId: input.tenantId, syncRunId: input.syncRunId, noticeId: n.id, outcome: input.outcome },
      `${rendered.subject}${why}\n${rendered.text}`,
    );
  }

  const runKey = input.syncRunId ?? input.workflowId;
  const open = await db
    .selectFrom('notices')
    .select(['id', 'channel', 'recipient', 'attempts'])
    .where('tenant_id', '=', input.tenantId)
    .where('run_key', '=', runKey)
    .where('status', 'in', ['pending', 'failed'])
    .where('attempts', '<', MAX_ATTEMPTS)
    .orderBy('id')
    .execute();
  for (const notice of open) await deliver(deps, tenant, notice, report, rendered);

  const total = await db
    .selectFrom('notices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', input.tenantId)
    .where('run_key', '=', runKey)
    .executeTakeFirstOrThrow();
  return { notices: Number(total.n) };
}

async function deliver(
  deps: NoticeDeps,
  tenant: Tenant,
  notice: { id: number; channel: NoticeChannel; recipient: string },
  report: RunReport,
  rendered: Rendered,
): Promise<void> {
  const messageId = `<notice.${tenant.id}.${notice.id}@qbsync>`;
  try {
    if (notice.channel === 'email') {
      if (!deps.mailer) throw new Error('SMTP_URL is not set');
      await deps.mailer.send({ to: notice.recipient, messageId, ...rendered });
    } else if (notice.channel === 'webhook') {
      await postWebhook(notice.recipient, JSON.stringify(report), {
        secret: await webhookSecret(deps.config, tenant),
        deliveryId: `notice-${notice.id}`,
        event: report.event,
        allowHosts: deps.config.webhookAllowHosts,
      });
    }
    await deps.db
      .updateTable('notices')
      .set((eb) => ({
        status: 'sent',
        error: null,
        attempts: eb('attempts', '+', 1),
        sent_at: deps.clock.now(),
        message_id: notice.channel === 'email' ? messageId : null,
      }))
      .where('id', '=', notice.id)
      .execute();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await deps.db
      .updateTable('notices')
      .set((eb) => ({ status: 'failed', error: reason, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', notice.id)
      .execute();
    deps.logger.warn(
      { tenantId: tenant.id, syncRunId: report.syncRunId, noticeId: notice.id, channel: notice.channel },
      `tenant ${tenant.id}: the ${notice.channel} notice about run ${report.syncRunId ?? report.workflowId} could not be delivered: ${reason}`,
    );
  }
}

/** The signing secret from the tenant's encrypted store; never from the environment, never in a message. */
async function webhookSecret(config: NotificationConfig, tenant: Tenant): Promise<string> {
  if (tenant.settings.notifications.webhookSecretRef !== undefined) throw new Error(legacySecretRefMessage(tenant.id));
  const secret = await config.webhookSecret?.(tenant.id);
  if (!secret)
    throw new Error(
      `webhooks are always signed and tenant ${tenant.id} has no webhook secret: store one with \`qbsync tenant set ${tenant.id} --webhook-secret\` (read from stdin, stored encrypted)`,
    );
  return secret;
}

export interface NoticeSummary {
  id: number;
  createdAt: Date;
  syncRunId: string | null;
  event: 'succeeded' | 'failed';
  channel: NoticeChannel;
  recipient: string;
  subject: string;
  status: NoticeStatus;
  error: string | null;
  sentAt: Date | null;
}

/** The newest notices of a tenant, newest first (`qbsync status`). */
export async function lastNotices(db: Db, tenantId: string, n = 5): Promise<NoticeSummary[]> {
  const rows = await db
    .selectFrom('notices')
    .select([
      'id',
      'created_at',
      'sync_run_id',
      'event',
      'channel',
      'recipient',
      'subject',
      'status',
      'error',
      'sent_at',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(n)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    syncRunId: r.sync_run_id,
    event: r.event,
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    status: r.status,
    error: r.error,
    sentAt: r.sent_at,
  }));
}
