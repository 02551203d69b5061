import { sql, type Selectable } from 'kysely';
import type { SyncConflictsTable } from '../schema/tables/sync';
import { z } from 'zod';
import { completeConnect, startConnect, STATE_TTL_MS, type ConnectDeps } from '../activities/connection/connect';
import type { TokenCipher } from '../activities/connection/crypto';
import { addTenant, getTenant, listTenants, type Tenant } from '../activities/connection/tenants';
import { parseSettings, SettingsError, tenantSettingsSchema } from '../activities/connection/tenantSettings';
import { describeConnection } from '../activities/connection/tokenStore';
import { addEndpoint, listEndpoints, removeEndpoint, replayEvents } from '../activities/events/endpoints';
import type { TemporalAccess } from '../activities/operations/requestSync';
import { ConflictResolutionError, resolveConflict } from '../activities/sync/resolve';
import type { Db } from '../schema/db';
import { escapeHtml } from '../activities/notifications/render';
import { createRecord, decodeCursor, encodeCursor, ENTITIES, listRecords, readRecord, updateRecord } from './records';
import { problem, ProblemError } from './problem';
import { route, type Route } from './router';
import { locateSync, synchronize as requestRun } from './syncs';
import * as s from './schemas';

export interface ApiDeps {
  db: Db;
  cipher: TokenCipher;
  /** Intuit OAuth, for "Connect to QuickBooks" and its callback; absent: those answer 503. */
  connect?: Omit<ConnectDeps, 'db'>;
  /** Temporal, for Synchronize All; resolved on first use. */
  temporal?: () => Promise<TemporalAccess>;
}

type Health = z.infer<typeof s.connectionHealth>;

export async function health(db: Db, tenantId: string): Promise<Health> {
  const row = await db.selectFrom('qbo_connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row)
    return {
      status: 'not-connected',
      realm_id: null,
      environment: null,
      connected_at: null,
      refresh_token_expires_at: null,
      last_error: null,
      warnings: ['not connected to QuickBooks: POST /v1/tenants/{tenant}/connect and open the authorize_url'],
    };
  const h = describeConnection(row, new Date());
  return {
    status: h.status,
    realm_id: h.realmId ?? null,
    environment: h.environment ?? null,
    connected_at: h.connectedAt?.toISOString() ?? null,
    refresh_token_expires_at: h.refreshTokenExpiresAt?.toISOString() ?? null,
    last_error: h.lastError ?? null,
    warnings: h.warnings,
  };
}

async function tenantView(db: Db, t: Tenant) {
  return { id: t.id, name: t.name, mode: t.mode, settings: t.settings, connection: await health(db, t.id) };
}

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

type RunRow = {
  id: string;
  workflow_id: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  started_at: Date;
  finished_at: Date | null;
  error: unknown;
};

async function runsWithSteps(db: Db, runs: RunRow[]): Promise<z.infer<typeof s.run>[]> {
  if (runs.length === 0) return [];
  const steps = await db
    .selectFrom('sync_step_runs')
    .selectAll()
    .where(
      'run_id',
      'in',
      runs.map((r) => r.id),
    )
    .orderBy('position')
    .execute();
  return runs.map((r) => ({
    id: r.id,
    workflow_id: r.workflow_id,
    trigger: r.trigger,
    status: r.status,
    started_at: r.started_at.toISOString(),
    finished_at: iso(r.finished_at),
    error: r.error ?? null,
    steps: steps
      .filter((st) => st.run_id === r.id)
      .map((st) => ({
        step: st.step,
        position: st.position,
        status: st.status,
        started_at: iso(st.started_at),
        finished_at: iso(st.finished_at),
        pages: st.pages,
        conflicts: st.conflicts,
        pulled: {
          created: st.pulled_created,
          updated: st.pulled_updated,
          unchanged: st.pulled_unchanged,
          failed: st.pulled_failed,
          deleted: st.pulled_deleted,
        },
        pushed: {
          created: st.pushed_created,
          updated: st.pushed_updated,
          unchanged: st.pushed_unchanged,
          failed: st.pushed_failed,
          deleted: st.pushed_deleted,
        },
        error: st.error ?? null,
      })),
  }));
}

const recordListQuery = s.listQuery.extend({ updated_since: z.iso.datetime({ offset: true }).optional() });

export function apiRoutes(deps: ApiDeps): Route[] {
  const routes: Route[] = [];
  const temporal = async () => {
    if (!deps.temporal)
      throw problem.unavailable('tenant', 'this server has no Temporal connection (TEMPORAL_ADDRESS)');
    return deps.temporal();
  };
  const synchronize = async (tenant: string, trigger: string) => requestRun(await temporal(), tenant, trigger);

  routes.push(
    route({
      method: 'GET',
      path: '/v1/tenants',
      operationId: 'listTenants',
      summary: 'Tenants this API key may act on',
      tag: 'tenants',
      response: { status: 200, schema: z.object({ data: z.array(s.tenant) }), description: 'the tenants' },
      async handler({ db, key }) {
        const all = await listTenants(db);
        const mine = all.filter((t) => key!.tenants.includes('*') || key!.tenants.includes(t.id));
        return { body: { data: await Promise.all(mine.map((t) => tenantView(db, t))) } };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants',
      operationId: 'addTenant',
      summary: 'Add a tenant (one app account linked to one QuickBooks company); needs a key for all tenants',
      tag: 'tenants',
      body: s.tenantCreate,
      idempotent: true,
      write: true,
      response: { status: 201, schema: s.tenant, description: 'the new tenant' },
      async handler({ db, key, body }) {
        if (!key!.tenants.includes('*'))
          throw problem.forbidden(
            'Authorization',
            'header',
            'adding tenants needs an API key for all tenants (--tenant "*")',
          );
        const exists = await db.selectFrom('tenants').select('id').where('id', '=', body.id).executeTakeFirst();
        if (exists) throw problem.conflict('id', 'body', `tenant ${body.id} already exists`);
        const t = await addTenant(db, body).catch((error: unknown) => {
          throw error instanceof SettingsError ? settingsProblem(error, 'body', 'settings.') : error;
        });
        return { status: 201, body: await tenantView(db, t) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}',
      operationId: 'getTenant',
      summary: 'A tenant: mode, settings and connection health',
      tag: 'tenants',
      params: s.tenantPath,
      response: { status: 200, schema: s.tenant, description: 'the tenant' },
      async handler({ db, params }) {
        return { body: await tenantView(db, await storedTenant(db, params.tenant)) };
      },
    }),
    route({
      method: 'PATCH',
      path: '/v1/tenants/{tenant}/settings',
      operationId: 'updateSettings',
      summary: 'Change settings: the body is merged into the current settings (JSON merge patch) and validated',
      tag: 'tenants',
      params: s.tenantPath,
      body: s.settingsPatch,
      idempotent: true,
      write: true,
      response: { status: 200, schema: s.tenant, description: 'the tenant with its new settings' },
      async handler({ db, params, body }) {
        // Merged into the stored settings as they are, so a patch can also remove a key that makes them invalid.
        const t = await db
          .selectFrom('tenants')
          .select(['id', 'name', 'mode', 'settings'])
          .where('id', '=', params.tenant)
          .executeTakeFirst();
        if (!t) await getTenant(db, params.tenant);
        const merged = mergePatch(t!.settings, body);
        const result = tenantSettingsSchema.safeParse(merged);
        if (!result.success) throw problem.invalid('body', result.error);
        const settings = parseSettings(result.data);
        await db
          .updateTable('tenants')
          .set({ settings: JSON.stringify(settings), updated_at: new Date() })
          .where('id', '=', t!.id)
          .execute();
        return { body: await tenantView(db, { ...t!, settings }) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/connect',
      operationId: 'connectQuickBooks',
      summary: "Connect to QuickBooks: Intuit's authorize URL; Intuit redirects to this server's /oauth/callback",
      tag: 'connection',
      params: s.tenantPath,
      write: true,
      response: { status: 200, schema: s.connectStart, description: 'open authorize_url in a browser' },
      async handler({ db, params }) {
        if (!deps.connect)
          throw problem.unavailable(
            'connect',
            'this server has no Intuit OAuth configuration (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI)',
          );
        const { url } = await startConnect({ ...deps.connect, db }, params.tenant);
        return { body: { authorize_url: url, expires_at: new Date(Date.now() + STATE_TTL_MS).toISOString() } };
      },
    }),
    route({
      method: 'GET',
      path: '/oauth/callback',
      operationId: 'oauthCallback',
      summary:
        "Intuit's redirect after consent (set QBO_REDIRECT_URI to this URL); verifies the state and stores the tokens",
      tag: 'connection',
      auth: 'none',
      response: {
        status: 200,
        schema: z.string(),
        description: 'an HTML page saying which company was connected',
        html: true,
      },
      async handler({ db, url, operator }) {
        if (!deps.connect) throw problem.unavailable('connect', 'this server has no Intuit OAuth configuration');
        try {
          const r = await completeConnect({ ...deps.connect, db }, url.pathname + url.search);
          // Started from the console (its session cookie came back with the browser): back to the tenant's page.
          if (operator) return consoleReturn(`tenants/${encodeURIComponent(r.tenantId)}?connected=${r.realmId}`);
          return {
            html: `<!doctype html><title>qbsync</title><p>Tenant ${escapeHtml(r.tenantId)} is connected to QuickBooks company ${escapeHtml(r.realmId)}. You can close this page.</p>`,
          };
        } catch (error) {
          if (error instanceof ProblemError) throw error;
          const message = (error as Error).message;
          if (operator) return consoleReturn(`?connect_error=${encodeURIComponent(message)}`);
          throw problem.unprocessable('state', 'query', `connecting failed: ${message}`);
        }
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/syncs',
      operationId: 'synchronizeAll',
      summary: '"Synchronize All": a sync now, or right after the running one (the same path as qbsync sync)',
      tag: 'sync',
      params: s.tenantPath,
      idempotent: true,
      write: true,
      response: {
        status: 202,
        schema: s.syncRequested,
        description: 'requested; the run that serves it (follow it at request_url, or run.url once it started)',
      },
      async handler({ db, params }) {
        await getTenant(db, params.tenant);
        return { status: 202, body: await synchronize(params.tenant, 'api') };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/syncs/{request}',
      operationId: 'getSyncRequest',
      summary: 'Where a Synchronize All request stands: unseen, queued, running, succeeded or failed, and its run',
      tag: 'sync',
      params: s.tenantPath.extend({ request: z.string().min(1).max(64) }),
      response: { status: 200, schema: s.syncRequest, description: 'the request and the run that serves it' },
      async handler({ db, params }) {
        await getTenant(db, params.tenant);
        return { body: await locateSync(await temporal(), params.tenant, params.request) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/status',
      operationId: 'getStatus',
      summary:
        'Idle or running (step and progress per step), the last finished run, connection health, undelivered events',
      tag: 'sync',
      params: s.tenantPath,
      response: { status: 200, schema: s.status, description: 'the status' },
      async handler({ db, params }) {
        await getTenant(db, params.tenant);
        const runsOf = (running: boolean) =>
          db
            .selectFrom('sync_runs')
            .selectAll()
            .where('tenant_id', '=', params.tenant)
            .where('status', running ? '=' : '!=', 'running')
            .orderBy('started_at', 'desc')
            .limit(1)
            .execute();
        const [[current], [last], ev, connection] = await Promise.all([
          runsOf(true),
          runsOf(false),
          sql<{ pending: number; failed: number }>`
            select count(*) filter (where d.status = 'pending')::int as pending,
                   count(*) filter (where d.status = 'failed')::int as failed
            from event_deliveries d join event_endpoints p on p.id = d.endpoint_id
            where p.tenant_id = ${params.tenant} and d.status <> 'delivered'`.execute(db),
          health(db, params.tenant),
        ]);
        const runs = await runsWithSteps(db, [current, last].filter(Boolean) as RunRow[]);
        return {
          body: {
            tenant: params.tenant,
            state: current ? 'running' : 'idle',
            current: current ? runs.find((r) => r.id === current.id)! : null,
            last_run: last ? runs.find((r) => r.id === last.id)! : null,
            connection,
            events: ev.rows[0],
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/runs',
      operationId: 'listRuns',
      summary: 'Runs, newest first, with their steps and counts per direction',
      tag: 'sync',
      params: s.tenantPath,
      query: s.listQuery,
      response: { status: 200, schema: s.page(s.run), description: 'a page of runs' },
      async handler({ db, params, query }) {
        let q = db.selectFrom('sync_runs').selectAll().where('tenant_id', '=', params.tenant);
        if (query.cursor) {
          const [at, id] = decodeCursor<[string, string]>(query.cursor);
          q = q.where((eb) =>
            eb.or([
              eb('started_at', '<', new Date(at)),
              eb.and([eb('started_at', '=', new Date(at)), eb('id', '<', id)]),
            ]),
          );
        }
        const rows = (await q
          .orderBy('started_at', 'desc')
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute()) as RunRow[];
        const pageRows = rows.slice(0, query.limit);
        const last = pageRows[pageRows.length - 1];
        return {
          body: {
            data: await runsWithSteps(db, pageRows),
            next_cursor: rows.length > query.limit ? encodeCursor([last.started_at.toISOString(), last.id]) : null,
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/runs/{run}',
      operationId: 'getRun',
      summary: 'One run with its steps',
      tag: 'sync',
      params: s.tenantPath.extend({ run: z.string().min(1).max(200) }),
      response: { status: 200, schema: s.run, description: 'the run' },
      async handler({ db, params }) {
        const row = await db
          .selectFrom('sync_runs')
          .selectAll()
          .where('tenant_id', '=', params.tenant)
          .where('id', '=', params.run)
          .executeTakeFirst();
        if (!row) throw problem.notFound('run', 'path', `tenant ${params.tenant} has no run ${params.run}`);
        return { body: (await runsWithSteps(db, [row as RunRow]))[0] };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/problems',
      operationId: 'listProblems',
      summary: 'Records QuickBooks (or qbsync) refused, newest first, with what to do',
      tag: 'sync',
      params: s.tenantPath,
      query: s.listQuery,
      response: { status: 200, schema: s.page(s.syncProblem), description: 'a page of problems' },
      async handler({ db, params, query }) {
        let q = db.selectFrom('sync_problems').selectAll().where('tenant_id', '=', params.tenant);
        if (query.cursor) q = q.where('id', '<', decodeCursor(query.cursor));
        const rows = await q
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute();
        const data = rows
          .slice(0, query.limit)
          .map(({ tenant_id: _t, ...r }) => ({ ...r, created_at: r.created_at.toISOString() }));
        return {
          body: { data, next_cursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/conflicts',
      operationId: 'listConflicts',
      summary:
        'Records both sides changed since they last agreed: both versions, the policy, which side won, and any resolution',
      tag: 'sync',
      params: s.tenantPath,
      query: s.conflictQuery,
      response: { status: 200, schema: s.page(s.conflict), description: 'a page of conflicts' },
      async handler({ db, params, query }) {
        let q = db.selectFrom('sync_conflicts').selectAll().where('tenant_id', '=', params.tenant);
        if (query.cursor) q = q.where('id', '<', decodeCursor(query.cursor));
        if (query.state !== 'all') q = q.where('resolved_at', query.state === 'open' ? 'is' : 'is not', null);
        const rows = await q
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute();
        const data = rows.slice(0, query.limit).map(conflictView);
        return {
          body: { data, next_cursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/conflicts/{id}/resolve',
      operationId: 'resolveConflict',
      summary:
        'Resolve a conflict by choosing the side whose version stands; QuickBooks is written by the next sync run (sync: true requests one)',
      tag: 'sync',
      params: s.recordPath,
      body: s.conflictResolve,
      response: { status: 200, schema: s.conflictResolved, description: 'the resolved conflict and what was done' },
      async handler({ db, params, body, key }) {
        const by = `API key ${key!.name} (${key!.id})`;
        const { action } = await resolveConflict(db, {
          tenantId: params.tenant,
          conflictId: params.id,
          keep: body.keep,
          by,
          at: new Date(),
        }).catch((error: unknown) => {
          if (!(error instanceof ConflictResolutionError)) throw error;
          if (error.reason === 'not-found') throw problem.notFound('id', 'path', error.message);
          if (error.reason === 'cannot-resolve') throw problem.unprocessable('keep', 'body', error.message);
          throw problem.conflict('id', 'path', error.message);
        });
        const row = await db
          .selectFrom('sync_conflicts')
          .selectAll()
          .where('tenant_id', '=', params.tenant)
          .where('id', '=', params.id)
          .executeTakeFirstOrThrow();
        const sync = body.sync ? await synchronize(params.tenant, 'conflict-resolved') : null;
        return { body: { conflict: conflictView(row), action, sync } };
      },
    }),
  );

  for (const spec of ENTITIES) {
    const singular = spec.entity;
    const Cap = singular[0].toUpperCase() + singular.slice(1);
    routes.push(
      route({
        method: 'POST',
        path: `/v1/tenants/{tenant}/${spec.path}`,
        operationId: `create${Cap}`,
        summary: `Create a ${singular} (an ordinary app write: the next sync sends it). Send an Idempotency-Key to make retries safe`,
        tag: 'records',
        params: s.tenantPath,
        body: spec.write,
        idempotent: true,
        write: true,
        response: { status: 201, schema: spec.read, description: `the ${singular}` },
        async handler({ db, params, body }) {
          await getTenant(db, params.tenant);
          return { status: 201, body: await createRecord(db, spec, params.tenant, body as Record<string, unknown>) };
        },
      }),
      route({
        method: 'PATCH',
        path: `/v1/tenants/{tenant}/${spec.path}/{id}`,
        operationId: `update${Cap}`,
        summary: `Change a ${singular}: the fields sent (a line list sent replaces the lines)`,
        tag: 'records',
        params: s.recordPath,
        body: spec.write.partial(),
        idempotent: true,
        write: true,
        response: { status: 200, schema: spec.read, description: `the ${singular}` },
        async handler({ db, params, body }) {
          return { body: await updateRecord(db, spec, params.tenant, params.id, body as Record<string, unknown>) };
        },
      }),
      route({
        method: 'GET',
        path: `/v1/tenants/{tenant}/${spec.path}/{id}`,
        operationId: `get${Cap}`,
        summary: `A ${singular}, with what QuickBooks filled in and its QuickBooks id`,
        tag: 'records',
        params: s.recordPath,
        response: { status: 200, schema: spec.read, description: `the ${singular}` },
        async handler({ db, params }) {
          const row = await readRecord(db, spec, params.tenant, params.id);
          if (!row) throw problem.notFound('id', 'path', `tenant ${params.tenant} has no ${singular} ${params.id}`);
          return { body: row };
        },
      }),
      route({
        method: 'GET',
        path: `/v1/tenants/{tenant}/${spec.path}`,
        operationId: `list${Cap}s`,
        summary: `${Cap}s in id order; updated_since lists what changed since a time`,
        tag: 'records',
        params: s.tenantPath,
        query: recordListQuery,
        response: { status: 200, schema: s.page(spec.read), description: `a page of ${spec.path}` },
        async handler({ db, params, query }) {
          return { body: await listRecords(db, spec, params.tenant, query) };
        },
      }),
    );
  }

  routes.push(
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/events',
      operationId: 'listEvents',
      summary: 'Events, newest first, with each delivery: attempts, next attempt, last status and error',
      tag: 'events',
      params: s.tenantPath,
      query: s.listQuery.extend({ type: z.string().optional() }),
      response: { status: 200, schema: s.page(s.event), description: 'a page of events' },
      async handler({ db, params, query }) {
        let q = db.selectFrom('events').selectAll().where('tenant_id', '=', params.tenant);
        if (query.cursor) q = q.where('id', '<', decodeCursor(query.cursor));
        if (query.type) q = q.where('type', '=', query.type as never);
        const rows = await q
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute();
        const pageRows = rows.slice(0, query.limit);
        const deliveries = pageRows.length
          ? await db
              .selectFrom('event_deliveries')
              .selectAll()
              .where(
                'event_id',
                'in',
                pageRows.map((r) => r.id),
              )
              .execute()
          : [];
        const data = pageRows.map((r) => ({
          id: r.event_id,
          type: r.type,
          subject: r.subject,
          created_at: r.created_at.toISOString(),
          data: r.data,
          deliveries: deliveries
            .filter((d) => d.event_id === r.id)
            .map((d) => ({
              endpoint_id: d.endpoint_id,
              status: d.status,
              attempts: d.attempts,
              next_attempt_at: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
              last_attempt_at: iso(d.last_attempt_at),
              last_status: d.last_status,
              last_error: d.last_error,
              delivered_at: iso(d.delivered_at),
            })),
        }));
        return {
          body: {
            data,
            next_cursor: rows.length > query.limit ? encodeCursor(pageRows[pageRows.length - 1].id) : null,
          },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/events/replay',
      operationId: 'replayEvents',
      summary: 'Send again every event since a time (receivers drop repeats by webhook-id)',
      tag: 'events',
      params: s.tenantPath,
      body: s.replayRequest,
      write: true,
      idempotent: true,
      response: { status: 200, schema: s.replayed, description: 'how many deliveries were queued again' },
      async handler({ db, params, body }) {
        return { body: await replayEvents(db, { since: new Date(body.since), tenantId: params.tenant }) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/tenants/{tenant}/endpoints',
      operationId: 'listEndpoints',
      summary: "The tenant's event endpoints",
      tag: 'events',
      params: s.tenantPath,
      response: { status: 200, schema: z.object({ data: z.array(s.endpoint) }), description: 'the endpoints' },
      async handler({ db, params }) {
        const list = await listEndpoints(db, params.tenant);
        return { body: { data: list.map(endpointView) } };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tenants/{tenant}/endpoints',
      operationId: 'addEndpoint',
      summary: 'Subscribe a URL to events; the answer carries the whsec_ signing secret, this once',
      tag: 'events',
      params: s.tenantPath,
      body: s.endpointCreate,
      write: true,
      idempotent: true,
      response: { status: 201, schema: s.endpointCreated, description: 'the endpoint and its secret' },
      async handler({ db, params, body }) {
        await getTenant(db, params.tenant);
        const { endpoint, secret } = await addEndpoint(db, deps.cipher, { tenantId: params.tenant, ...body });
        return { status: 201, body: { ...endpointView(endpoint), secret } };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/tenants/{tenant}/endpoints/{id}',
      operationId: 'removeEndpoint',
      summary: 'Stop sending events to an endpoint',
      tag: 'events',
      params: s.recordPath,
      write: true,
      response: { status: 200, schema: s.deleted, description: 'whether it existed' },
      async handler({ db, params }) {
        const removed = await removeEndpoint(db, params.tenant, params.id);
        if (!removed) throw problem.notFound('id', 'path', `tenant ${params.tenant} has no endpoint ${params.id}`);
        return { body: { deleted: true } };
      },
    }),
  );
  return routes;
}

function conflictView(r: Selectable<SyncConflictsTable>): z.infer<typeof s.conflict> {
  const { tenant_id: _t, resolved_at, resolved_by, resolved_keep, ...rest } = r;
  return {
    ...rest,
    app_version: (r.app_version ?? {}) as Record<string, unknown>,
    remote_version: (r.remote_version ?? {}) as Record<string, unknown>,
    decided_at: r.decided_at.toISOString(),
    resolution:
      resolved_at && resolved_keep
        ? { keep: resolved_keep, by: resolved_by ?? '', at: resolved_at.toISOString() }
        : null,
  };
}

function endpointView(e: Awaited<ReturnType<typeof listEndpoints>>[number]) {
  return {
    id: e.id,
    url: e.url,
    types: e.types,
    description: e.description,
    enabled: e.enabled,
    created_at: e.createdAt,
  };
}

/** A redirect to a console page (hash route). */
function consoleReturn(hashRoute: string) {
  return { status: 303, html: '', headers: { location: `/console/#/${hashRoute}` } };
}

/** A settings error as a problem naming the setting (under `prefix`: `settings.` in a tenant body). */
function settingsProblem(error: SettingsError, where: 'body', prefix = ''): ProblemError {
  const key = /setting ([\w.]+)/.exec(error.message)?.[1];
  return problem.invalid(
    where,
    new z.ZodError([
      { code: 'custom', path: [`${prefix}${key ?? 'settings'}`], message: error.message, input: undefined },
    ]),
  );
}

/** A tenant whose stored settings no longer validate (edited by SQL) is named with the key and the way out. */
async function storedTenant(db: Db, id: string): Promise<Tenant> {
  try {
    return await getTenant(db, id);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    const key = /setting ([\w.]+)/.exec(error.message)?.[1] ?? 'settings';
    throw problem.unprocessable(
      `settings.${key}`,
      'body',
      `tenant ${id}: its stored settings are invalid: ${error.message}; correct them with PATCH /v1/tenants/${id}/settings (a key set to null is removed), e.g. {"${key.split('.')[0]}": null}`,
    );
  }
}

/** RFC 7386 JSON merge patch: null removes a key, objects merge, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
