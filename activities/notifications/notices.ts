import { sql } from 'kysely';
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

/**
 * What the coordinator passes after each run. The notices no longer take the outcome from it: they are produced from
 * the outbox's `sync.*` events (see notifySyncOutcome); the run ids only name the run whose notices are counted. The
 * shape stays, because recorded workflow histories call the activity with it.
 */
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

/** A notice that failed is tried again when the activity runs again, at most this many times in all. */
const MAX_ATTEMPTS = 3;
/** Outbox events turned into notices per call (a tenant's backlog is worked off over later runs). */
const EVENTS_PER_CALL = 20;

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

/** A `sync.succeeded` / `sync.failed` event of the outbox, as the notices read it. */
interface RunEvent {
  id: number;
  outcome: 'succeeded' | 'failed';
  syncRunId: string;
  trigger: string;
  workflowId: string;
}

/** The tenant's `sync.*` events after the notices' cursor, oldest first (with each run's workflow id). */
async function pendingRunEvents(db: Db, tenantId: string): Promise<RunEvent[]> {
  const rows = await db
    .selectFrom('events as e')
    .leftJoin('notice_cursors as c', 'c.tenant_id', 'e.tenant_id')
    .leftJoin('sync_runs as r', (j) => j.on(sql<boolean>`r.id = e.data -> 'run' ->> 'id'`))
    .select(['e.id', 'e.type', 'e.data', 'r.workflow_id'])
    .where('e.tenant_id', '=', tenantId)
    .where('e.type', 'in', ['sync.succeeded', 'sync.failed'])
    .where((eb) => eb('e.id', '>', eb.fn.coalesce('c.last_event_id', eb.lit(0))))
    .orderBy('e.id')
    .limit(EVENTS_PER_CALL)
    .execute();
  return rows.map((r) => {
    const run = (r.data as { run: { id: string; trigger: string } }).run;
    return {
      id: r.id,
      outcome: r.type === 'sync.failed' ? 'failed' : 'succeeded',
      syncRunId: run.id,
      trigger: run.trigger,
      workflowId: r.workflow_id ?? run.id,
    };
  });
}

/**
 * The per-run notices, as a subscriber of the outbox: every `sync.succeeded` / `sync.failed` event of the tenant not
 * yet consumed becomes notices (once per run × channel × recipient: a unique key, so a retried activity adds none),
 * and the cursor moves past it in the same transaction. Then every open notice of the tenant is delivered. A notice
 * that cannot be delivered is recorded as failed and logged; it never fails the activity, and so never the run. Only
 * an unreachable database makes it throw (to be retried). The coordinator calls it after each run; an event it did
 * not see then (a run that ended while no coordinator ran) is announced on the next call.
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
  for (const event of await pendingRunEvents(db, tenant.id)) await produce(deps, tenant, event);

  const open = await db
    .selectFrom('notices')
    .select(['id', 'channel', 'recipient', 'payload'])
    .where('tenant_id', '=', tenant.id)
    .where('status', 'in', ['pending', 'failed'])
    .where('attempts', '<', MAX_ATTEMPTS)
    .orderBy('id')
    .execute();
  for (const notice of open) {
    const report = notice.payload as unknown as RunReport;
    await deliver(deps, tenant, notice, report, renderRunNotice(report, tenant.settings.schedule.timeZone));
  }

  const total = await db
    .selectFrom('notices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', input.tenantId)
    .where('run_key', '=', input.syncRunId ?? input.workflowId)
    .executeTakeFirstOrThrow();
  return { notices: Number(total.n) };
}

/** The notices one outbox event makes (none when the tenant does not want them), and the cursor past it. */
async function produce(deps: NoticeDeps, tenant: Tenant, event: RunEvent): Promise<void> {
  const wantedNow = wanted(tenant, event.outcome);
  const report = wantedNow
    ? await buildRunReport(deps.db, { ...event, tenantId: tenant.id, tenantName: tenant.name })
    : undefined;
  const rendered = report && renderRunNotice(report, tenant.settings.schedule.timeZone);
  const inserted = await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('notice_cursors')
      .values({ tenant_id: tenant.id, last_event_id: event.id })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ last_event_id: event.id, updated_at: new Date() }))
      .execute();
    if (!report || !rendered) return [];
    return trx
      .insertInto('notices')
      .values(
        targetsOf(tenant, deps.mailer).map((t) => ({
          tenant_id: tenant.id,
          sync_run_id: event.syncRunId,
          workflow_id: event.workflowId,
          trigger: event.trigger,
          event: event.outcome,
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
  });
  for (const n of inserted.filter((r) => r.status === 'logged')) {
    const why = n.channel === 'email' ? ` (for ${n.recipient}; SMTP_URL is not set, so nothing was mailed)` : '';
    deps.logger.info(
      { tenantId: tenant.id, syncRunId: event.syncRunId, noticeId: n.id, outcome: event.outcome },
      `${rendered!.subject}${why}\n${rendered!.text}`,
    );
  }
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
