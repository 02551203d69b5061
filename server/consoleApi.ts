import { z } from 'zod';
import { disconnect } from '../activities/connection/connect';
import { addTenant, getTenant, listTenants, setTenant } from '../activities/connection/tenants';
import {
  addDesktopConnection,
  DesktopTenantError,
  renderQwc,
  setDesktopPassword,
} from '../activities/backends/quickbooks-desktop/connection';
import { PasswordError } from '../activities/backends/quickbooks-desktop/credentials';
import { ensureSchedule } from '../activities/operations/schedule';
import { scheduleId } from '../common/ids';
import type { Db } from '../schema/db';
import { decodeCursor, encodeCursor } from './records';
import { problem, ProblemError } from './problem';
import { route, type Route } from './router';
import { health, type ApiDeps } from './routes';
import * as s from './schemas';
import {
  clearedCookie,
  clientAddress,
  endSession,
  LOCK_AFTER,
  LOCK_WINDOW_MINUTES,
  overTls,
  sessionCookie,
  sessionToken,
  signIn,
} from './session';

/**
 * The API operations the console needs beyond the app's: sign-in and sign-out, the audit log, a tenants overview
 * (backend, health, last run, next scheduled runs), the schedule, disconnect, and the Desktop tenant's .qwc file and
 * Web Connector password. The console uses these and the app's operations, nothing else.
 */
export interface ConsoleDeps {
  /** Temporal Web, for links to runs (npm start knows it; QBSYNC_TEMPORAL_WEB_URL otherwise). */
  temporalWeb?: { url: string; namespace: string };
  /** Whether this server keeps tenants' Temporal schedules in line with their settings (QBSYNC_MANAGE_SCHEDULES). */
  manageSchedules?: boolean;
  /** The Web Connector endpoint's URL as .qwc files name it. */
  qwcUrl?: string;
}

const time = z.iso.datetime({ offset: true });
const TEMPORAL_TIMEOUT_MS = 3000;

const sessionView = z.object({
  operator: z.string(),
  csrf_token: z.string(),
  expires_at: time,
  temporal_web: z.object({ url: z.string(), namespace: z.string() }).nullable(),
});

const scheduleView = z.object({
  enabled: z.boolean(),
  times: z.array(z.string()),
  time_zone: z.string(),
  /** From Temporal's schedule; null when Temporal or the schedule is not there to ask. */
  next_runs: z.array(time).nullable(),
  paused: z.boolean().nullable(),
  note: z.string().nullable(),
});

const summary = z.object({
  id: z.string(),
  name: z.string(),
  mode: z.enum(['billing', 'order-taking']),
  backend: z.enum(['quickbooks-online', 'quickbooks-desktop']),
  health: z.enum([
    'connected',
    'token-expiring',
    'needs-reconnect',
    'disconnected',
    'not-connected',
    'web-connector-seen',
    'web-connector-never-seen',
  ]),
  health_text: z.string(),
  connection: s.connectionHealth,
  desktop: z
    .object({
      flavour: z.enum(['quickbooks', 'reckon']),
      password_set: z.boolean(),
      last_seen_at: time.nullable(),
      company_name: z.string().nullable(),
    })
    .nullable(),
  running: z.boolean(),
  last_run: z.object({ id: z.string(), status: z.string(), started_at: time, finished_at: time.nullable() }).nullable(),
  schedule: scheduleView,
});

const auditEntry = z.object({
  id: z.string(),
  at: time,
  operator: z.string(),
  action: z.string(),
  tenant_id: z.string().nullable(),
  status: z.number().int().nullable(),
  detail: z.string().nullable(),
});

/** Refresh tokens closer than this to their end make the tenant "token expiring". */
const EXPIRING_DAYS = 14;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([
    p.catch(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref()),
  ]);
}

export function consoleApiRoutes(deps: ApiDeps & ConsoleDeps): Route[] {
  const temporal = () => (deps.temporal ? withTimeout(deps.temporal(), TEMPORAL_TIMEOUT_MS) : undefined);

  async function schedule(db: Db, tenantId: string): Promise<z.infer<typeof scheduleView>> {
    const { settings } = await getTenant(db, tenantId);
    const base = {
      enabled: settings.schedule.enabled,
      times: settings.schedule.times,
      time_zone: settings.schedule.timeZone,
    };
    const access = await temporal();
    const described = access
      ? await withTimeout(access.client.schedule.getHandle(scheduleId(tenantId)).describe(), TEMPORAL_TIMEOUT_MS)
      : undefined;
    if (!described) return { ...base, next_runs: null, paused: null, note: null };
    return {
      ...base,
      next_runs: described.state.paused ? [] : described.info.nextActionTimes.slice(0, 4).map((d) => d.toISOString()),
      paused: described.state.paused,
      note: described.state.note ?? null,
    };
  }

  async function tenantSummary(db: Db, tenantId: string): Promise<z.infer<typeof summary>> {
    const t = await getTenant(db, tenantId);
    const [row, connection, desktop, runs] = await Promise.all([
      db.selectFrom('tenants').select('backend').where('id', '=', t.id).executeTakeFirstOrThrow(),
      health(db, t.id),
      db.selectFrom('desktop_connections').selectAll().where('tenant_id', '=', t.id).executeTakeFirst(),
      db
        .selectFrom('sync_runs')
        .select(['id', 'status', 'started_at', 'finished_at'])
        .where('tenant_id', '=', t.id)
        .orderBy('started_at', 'desc')
        .limit(2)
        .execute(),
    ]);
    const backend = row.backend === 'quickbooks-desktop' ? 'quickbooks-desktop' : 'quickbooks-online';
    let state: z.infer<typeof summary>['health'];
    let text: string;
    if (backend === 'quickbooks-desktop') {
      state = desktop?.last_seen_at ? 'web-connector-seen' : 'web-connector-never-seen';
      text = desktop?.last_seen_at
        ? `Web Connector last seen ${desktop.last_seen_at.toISOString()}`
        : 'the Web Connector has not called yet: add the .qwc file to it';
    } else if (connection.status === 'connected') {
      const ends = connection.refresh_token_expires_at ? new Date(connection.refresh_token_expires_at) : undefined;
      const expiring = ends !== undefined && ends.getTime() - Date.now() < EXPIRING_DAYS * 86_400_000;
      state = expiring ? 'token-expiring' : 'connected';
      text = expiring
        ? `connected; the authorisation lapses ${ends!.toISOString()} unless a sync runs before then`
        : `connected to company ${connection.realm_id}`;
    } else {
      state = connection.status;
      text =
        connection.status === 'needs-reconnect'
          ? `needs reconnect: ${connection.last_error ?? 'QuickBooks refused the tokens'}; press Connect to QuickBooks`
          : connection.status === 'disconnected'
            ? 'disconnected: press Connect to QuickBooks to link it again'
            : 'not connected: press Connect to QuickBooks';
    }
    const running = runs.some((r) => r.status === 'running');
    const last = runs.find((r) => r.status !== 'running');
    return {
      id: t.id,
      name: t.name,
      mode: t.mode,
      backend,
      health: state,
      health_text: text,
      connection,
      desktop: desktop
        ? {
            flavour: desktop.flavour,
            password_set: desktop.password_hash !== null,
            last_seen_at: desktop.last_seen_at?.toISOString() ?? null,
            company_name: desktop.company_name,
          }
        : null,
      running,
      last_run: last
        ? {
            id: last.id,
            status: last.status,
            started_at: last.started_at.toISOString(),
            finished_at: last.finished_at?.toISOString() ?? null,
          }
        : null,
      schedule: await schedule(db, t.id),
    };
  }

  const allTenants = (key: { tenants: string[] } | undefined) => {
    if (!key?.tenants.includes('*'))
      throw problem.forbidden('Authorization', 'header', 'this needs a console session or an API key for all tenants');
  };

  return [
    route({
      method: 'POST',
      path: '/v1/session',
      operationId: 'signIn',
      summary:
        'Console sign-in: sets the session cookie (HttpOnly, SameSite=Lax, Secure over TLS); answers the CSRF token',
      tag: 'console',
      auth: 'none',
      body: z.object({ name: z.string().min(1).max(100), password: z.string().min(1).max(1000) }).strict(),
      response: { status: 200, schema: sessionView, description: 'signed in' },
      async handler({ db, body, request }) {
        const result = await signIn(db, body.name, body.password, clientAddress(request));
        if (!result.ok && result.reason === 'locked')
          throw new ProblemError(
            429,
            'locked',
            'Too many failed sign-ins',
            `${LOCK_AFTER} failed sign-ins within ${LOCK_WINDOW_MINUTES} minutes: ${body.name} is locked until ${result.lockedUntil!.toISOString()}`,
            [{ in: 'body', field: 'name', message: `locked until ${result.lockedUntil!.toISOString()}` }],
          );
        if (!result.ok)
          throw new ProblemError(401, 'sign-in-failed', 'Sign-in failed', 'the name or the password is wrong', [
            { in: 'body', field: 'password', message: 'the name or the password is wrong' },
          ]);
        return {
          headers: { 'set-cookie': sessionCookie(result.token, overTls(request)) },
          body: {
            operator: result.session.operator,
            csrf_token: result.session.csrfToken,
            expires_at: result.session.expiresAt.toISOString(),
            temporal_web: deps.temporalWeb ?? null,
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/session',
      operationId: 'getSession',
      summary: 'The console session: who is signed in, and the CSRF token its state-changing requests must send',
      tag: 'console',
      response: { status: 200, schema: sessionView, description: 'the session' },
      async handler({ operator }) {
        if (!operator) throw problem.unauthenticated('no console session: sign in at /console/');
        return {
          body: {
            operator: operator.operator,
            csrf_token: operator.csrfToken,
            expires_at: operator.expiresAt.toISOString(),
            temporal_web: deps.temporalWeb ?? null,
          },
        };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/session',
      operationId: 'signOut',
      summary: 'Console sign-out: ends the session and clears its cookie',
      tag: 'console',
      response: { status: 200, schema: s.deleted, description: 'signed out' },
      async handler({ db, request, operator }) {
        if (!operator) throw problem.unauthenticated('no console session');
        const token = sessionToken(request.headers.cookie);
        if (token) await endSession(db, token);
        return { headers: { 'set-cookie': clearedCookie(overTls(request)) }, body: { deleted: true } };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/audit',
      operationId: 'listAudit',
      summary: 'The audit log, newest first: who did what through the console, when, and the answer',
      tag: 'console',
      query: s.listQuery.extend({ tenant: z.string().optional() }),
      response: { status: 200, schema: s.page(auditEntry), description: 'a page of audit entries' },
      async handler({ db, key, query }) {
        allTenants(key);
        let q = db.selectFrom('audit_log').selectAll();
        if (query.cursor) q = q.where('id', '<', decodeCursor<string>(query.cursor));
        if (query.tenant) q = q.where('tenant_id', '=', query.tenant);
        const rows = await q
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute();
        const data = rows.slice(0, query.limit).map((r) => ({
          id: String(r.id),
          at: r.at.toISOString(),
          operator: r.operator,
          action: r.action,
          tenant_id: r.tenant_id,
          status: r.status,
          detail: r.detail,
        }));
        return {
          body: { data, next_cursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/overview',
      operationId: 'listTenantSummaries',
      summary: 'Every tenant with its backend, connection health, last run and next scheduled runs',
      tag: 'console',
      response: { status: 200, schema: z.object({ data: z.array(summary) }), description: 'the tenants' },
      async handler({ db, key }) {
        const mine = (await listTenants(db)).filter((t) => key!.tenants.includes('*') || key!.tenants.includes(t.id));
        return { body: { data: await Promise.all(mine.map((t) => tenantSummary(db, t.id))) } };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/summary',
      operationId: 'getTenantSummary',
      summary: 'A tenant with its backend, connection health, last run and next scheduled runs',
      tag: 'console',
      params: s.tenantPath,
      response: { status: 200, schema: summary, description: 'the tenant' },
      async handler({ db, params }) {
        return { body: await tenantSummary(db, params.tenant) };
      },
    }),
    route({
      method: 'PATCH',
      path: '/v1/tenants/{tenant}',
      operationId: 'updateTenant',
      summary: 'Rename a tenant or change its mode (billing or order-taking; Desktop tenants are order-taking)',
      tag: 'tenants',
      params: s.tenantPath,
      body: z
        .object({ name: z.string().min(1).max(200).optional(), mode: z.enum(['billing', 'order-taking']).optional() })
        .strict(),
      write: true,
      response: { status: 200, schema: summary, description: 'the tenant' },
      async handler({ db, params, body }) {
        const pairs = [
          ...(body.name !== undefined ? [`name=${body.name}`] : []),
          ...(body.mode !== undefined ? [`mode=${body.mode}`] : []),
        ];
        try {
          if (pairs.length) await setTenant(db, params.tenant, pairs);
        } catch (error) {
          if ((error as Error).name === 'TenantError' && /billing mode/.test((error as Error).message))
            throw problem.unprocessable('mode', 'body', (error as Error).message);
          throw error;
        }
        return { body: await tenantSummary(db, params.tenant) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/schedule',
      operationId: 'applySchedule',
      summary: "Bring the tenant's Temporal schedule in line with its settings (times, time zone, on/off)",
      tag: 'console',
      params: s.tenantPath,
      response: { status: 200, schema: scheduleView, description: 'the schedule and its next runs' },
      async handler({ db, params }) {
        await getTenant(db, params.tenant);
        if (deps.manageSchedules !== false) {
          const access = await temporal();
          if (!access)
            throw problem.unavailable(
              'schedule',
              'Temporal is not reachable; the worker applies the schedule when it starts',
            );
          await ensureSchedule(access, db, params.tenant);
        }
        return { body: await schedule(db, params.tenant) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/disconnect',
      operationId: 'disconnectQuickBooks',
      summary: 'Disconnect from QuickBooks: revokes the grant at Intuit and forgets the tokens',
      tag: 'connection',
      params: s.tenantPath,
      response: { status: 200, schema: z.object({ revoked: z.boolean() }), description: 'disconnected' },
      async handler({ db, params }) {
        if (!deps.connect) throw problem.unavailable('connect', 'this server has no Intuit OAuth configuration');
        try {
          return { body: await disconnect({ ...deps.connect, db }, params.tenant) };
        } catch (error) {
          if ((error as Error).name === 'ConnectError')
            throw problem.conflict('tenant', 'path', (error as Error).message);
          throw error;
        }
      },
    }),
    route({
      method: 'POST',
      path: '/v1/desktop-tenants',
      operationId: 'addDesktopTenant',
      summary: 'Add a QuickBooks Desktop / Reckon tenant (order-taking) with its Web Connector password',
      tag: 'tenants',
      body: s.tenantCreate.omit({ mode: true }).extend({
        flavour: z.enum(['quickbooks', 'reckon']).default('quickbooks'),
        password: z.string().min(8, 'at least 8 characters').max(200),
      }),
      write: true,
      response: { status: 201, schema: summary, description: 'the new tenant' },
      async handler({ db, key, body }) {
        allTenants(key);
        const exists = await db.selectFrom('tenants').select('id').where('id', '=', body.id).executeTakeFirst();
        if (exists) throw problem.conflict('id', 'body', `tenant ${body.id} already exists`);
        const t = await addTenant(db, {
          id: body.id,
          name: body.name,
          mode: 'order-taking',
          backend: 'quickbooks-desktop',
          settings: body.settings,
        });
        await addDesktopConnection(db, t.id, body.flavour);
        await setDesktopPassword(db, t.id, body.password);
        return { status: 201, body: await tenantSummary(db, t.id) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/webconnector/password',
      operationId: 'setWebConnectorPassword',
      summary:
        "Set a Desktop tenant's Web Connector password (stored as a scrypt hash; enter the same in the Web Connector)",
      tag: 'connection',
      params: s.tenantPath,
      body: z.object({ password: z.string().min(8, 'at least 8 characters').max(200) }).strict(),
      write: true,
      response: { status: 200, schema: z.object({ set: z.boolean() }), description: 'the password is set' },
      async handler({ db, params, body }) {
        await getTenant(db, params.tenant);
        try {
          await setDesktopPassword(db, params.tenant, body.password);
        } catch (error) {
          if (error instanceof DesktopTenantError) throw problem.conflict('tenant', 'path', error.message);
          if (error instanceof PasswordError) throw problem.unprocessable('password', 'body', error.message);
          throw error;
        }
        return { body: { set: true } };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/qwc',
      operationId: 'getQwc',
      summary: "A Desktop tenant's .qwc file, to add to the QuickBooks Web Connector (File → Add an application)",
      tag: 'connection',
      params: s.tenantPath,
      response: {
        status: 200,
        schema: z.string(),
        description: 'the .qwc file',
        html: true,
        contentType: 'application/xml',
      },
      async handler({ db, params }) {
        await getTenant(db, params.tenant);
        if (!deps.qwcUrl)
          throw problem.unavailable('qwc', 'this server does not know the Web Connector URL (QBWC_PUBLIC_URL)');
        try {
          const xml = await renderQwc(db, params.tenant, deps.qwcUrl);
          return {
            html: xml,
            headers: {
              'content-type': 'application/xml; charset=utf-8',
              'content-disposition': `attachment; filename="${params.tenant}.qwc"`,
            },
          };
        } catch (error) {
          if (error instanceof DesktopTenantError) throw problem.conflict('tenant', 'path', error.message);
          throw error;
        }
      },
    }),
  ];
}
