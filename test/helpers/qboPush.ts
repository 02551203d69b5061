import { randomUUID } from 'node:crypto';
import { qboApiFromClient } from '../../activities/backends/quickbooks-online/api';
import { QuickBooksOnlineBackend } from '../../activities/backends/quickbooks-online/backend';
import { qboEntitiesFor } from '../../activities/backends/quickbooks-online/entities';
import { AppSide } from '../../activities/sync/appSide';
import type { Db } from '../../activities/sync/backend';
import type { EngineContext } from '../../activities/sync/engine';
import { MAPPINGS } from '../../activities/sync/entities';
import { LinkStore } from '../../activities/sync/links';
import { beginRun } from '../../activities/sync/runs';
import { systemClock } from '../../workers/clock';
import type { TestRealm } from '../quickbooks/harness';

/**
 * The customers step of a run pushing to a realm of the QuickBooks test harness, driven without Temporal
 * (engine.ts pushPage): the tenant, its QuickBooks Online backend and the page's context.
 */
export async function qboPushContext(
  db: Db,
  realm: TestRealm,
  options: Partial<Pick<EngineContext, 'onRecordError' | 'countPage'>> = {},
): Promise<EngineContext> {
  const { tenantId } = realm;
  await db.insertInto('tenants').values({ id: tenantId, name: tenantId, backend: 'quickbooks-online' }).execute();
  const links = new LinkStore(tenantId, 'quickbooks-online');
  const remote = new QuickBooksOnlineBackend(
    qboApiFromClient(realm.client),
    db,
    links,
    qboEntitiesFor('billing'),
    MAPPINGS,
    systemClock,
    () => Promise.resolve(false),
  );
  const runId = randomUUID();
  await beginRun(db, { runId, tenantId, workflowId: runId, trigger: 'test' }, new Date());
  return {
    ...{ db, clock: systemClock, tenantId, runId, step: 'customers' as const, remote, links },
    app: new AppSide(db, tenantId, MAPPINGS),
    policy: 'quickbooks-wins',
    onRecordError: 'stop',
    deferRuns: 2,
    onVanished: 'stop',
    ...options,
  };
}
