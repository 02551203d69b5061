import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { syncRunWorkflowId } from '../common/ids';
import type { CoordinatorStatus } from '../common/messages';
import {
  locateRequest,
  NoWorkerError,
  queryCoordinator,
  requestSync,
  type TemporalAccess,
} from '../activities/operations/requestSync';
import { problem } from './problem';
import type * as s from './schemas';

type SyncRequested = z.infer<typeof s.syncRequested>;
type SyncRequestView = z.infer<typeof s.syncRequest>;

/** How long Synchronize All waits for the coordinator to take the request and name its run. */
const LOCATE_MS = 10_000;
const QUERY_DEADLINE_MS = 5_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run serving a request, as far as the coordinator's status tells: a queued request's run is the follow-up one. */
export function requestView(tenant: string, requestId: string, status: CoordinatorStatus | undefined): SyncRequestView {
  const seen = locateRequest(status, requestId);
  const base = { request_id: requestId, request_url: `/v1/tenants/${tenant}/syncs/${encodeURIComponent(requestId)}` };
  if (seen.phase === 'unseen') return { ...base, phase: 'unseen', run: null };
  if (seen.phase === 'queued') {
    const number = (seen.behind?.number ?? status?.lastRun?.number ?? 0) + 1;
    const workflowId = syncRunWorkflowId(tenant, number);
    return { ...base, phase: 'queued', run: { number, workflow_id: workflowId, id: null, url: null } };
  }
  const { run } = seen;
  const id = run.syncRunId ?? null;
  const ref = { number: run.number, workflow_id: run.workflowId, id, url: id && `/v1/tenants/${tenant}/runs/${id}` };
  return {
    ...base,
    phase: seen.phase === 'running' ? 'running' : (seen.run as { outcome: 'succeeded' | 'failed' }).outcome,
    run: ref,
  };
}

async function statusOf(temporal: TemporalAccess, tenant: string): Promise<CoordinatorStatus | undefined> {
  try {
    return await queryCoordinator(temporal, tenant, QUERY_DEADLINE_MS);
  } catch (error) {
    if (error instanceof NoWorkerError) throw problem.unavailable('tenant', error.message);
    throw error;
  }
}

/** Where a request stands now (GET …/syncs/{request}). */
export async function locateSync(
  temporal: TemporalAccess,
  tenant: string,
  requestId: string,
): Promise<SyncRequestView> {
  return requestView(tenant, requestId, await statusOf(temporal, tenant));
}

/**
 * "Synchronize All": signals the coordinator, then waits (a few seconds at most) until it has taken the request, so
 * the answer names the run that serves it — the running one (with its `sync_runs` id once the child started), or the
 * follow-up it is queued for (its workflow id is known before it starts). A request no worker took yet answers
 * `unseen`; request_url follows it either way.
 */
export async function synchronize(temporal: TemporalAccess, tenant: string, trigger: string): Promise<SyncRequested> {
  const requestId = randomUUID();
  const { workflowId } = await requestSync(temporal, { tenantId: tenant, trigger, requestId });
  const until = Date.now() + LOCATE_MS;
  let view = requestView(tenant, requestId, undefined);
  for (;;) {
    view = requestView(tenant, requestId, await statusOf(temporal, tenant).catch(() => undefined));
    const named = view.phase === 'queued' || (view.run?.id ?? null) !== null;
    if (named || Date.now() > until) break;
    await pause(100);
  }
  return { tenant, coordinator: workflowId, status_url: `/v1/tenants/${tenant}/status`, ...view };
}
