import type { Clock } from '../../workers/clock';
import type { Backend, BackendId, Db } from '../sync/backend';
import type { AppEntity } from '../sync/entity';
import type { LinkStore } from '../sync/links';
import type { EntityName, SyncMode } from '../sync/model';
import { RunMemo } from '../sync/runMemo';
import { MemoryBackend, type MemoryCompanies } from './memory/backend';
import type { QboApi } from './quickbooks-online/api';
import { QuickBooksOnlineBackend } from './quickbooks-online/backend';
import { qboEntitiesFor } from './quickbooks-online/entities';
import { loadAccountBook, type AccountBook } from './quickbooks-online/accounts';
import { readSyncSettings } from '../sync/settings';
import { QuickBooksDesktopBackend } from './quickbooks-desktop/backend';
import { readDesktopConnection } from './quickbooks-desktop/connection';
import type { Exchanges } from './quickbooks-desktop/exchange';
import { parseSettings } from '../connection/tenantSettings';

/** What the core knows when it asks for a tenant's backend for one page of work. */
export interface BackendRequest {
  tenantId: string;
  runId: string;
  backend: BackendId;
  mode: SyncMode;
  links: LinkStore;
  /** The app's half of the entities the mode syncs. */
  appEntities: Partial<Record<EntityName, AppEntity<unknown>>>;
}

export type BackendFactory = (request: BackendRequest) => Promise<Backend>;

export interface BackendDeps {
  db: Db;
  clock: Clock;
  /** A tenant's QuickBooks Online company, over the typed client (tokens stay inside it). */
  quickbooksOnline?(tenantId: string): Promise<QboApi>;
  /** Companies of the in-memory reference backend, by tenant (tests and the conformance suite). */
  memory?: MemoryCompanies;
  /** QuickBooks Desktop / Reckon: the qbXML exchange table the Web Connector endpoint serves. */
  desktop?: {
    exchanges: Exchanges;
    /** How long one activity attempt waits for the Web Connector (inside the page activity's 5 minutes). */
    attemptMs?: number;
    /** Records per iterator page (default 500). */
    pageSize?: number;
  };
}

/** The one place that names every backend: the rest of qbsync asks for `Backend` by the tenant's backend id. */
export function backendFactory(deps: BackendDeps): BackendFactory {
  // QuickBooks Online's numbering preference is read once per run, not once per pushed page.
  const numberingByRun = new RunMemo<boolean>();
  // Its chart of accounts (with the tenant's item accounts) likewise: once per run, not per record or page.
  const accountsByRun = new RunMemo<AccountBook>();
  return async (request) => {
    switch (request.backend) {
      case 'quickbooks-online': {
        if (!deps.quickbooksOnline) throw new Error('this worker has no QuickBooks Online connection factory');
        const api = await deps.quickbooksOnline(request.tenantId);
        const readNumbering = () => numberingByRun.get(request.runId, () => api.customTxnNumbers());
        const readAccounts = () =>
          accountsByRun.get(request.runId, async () => {
            const { accounts } = await readSyncSettings(deps.db, request.tenantId, request.runId);
            return loadAccountBook(api, accounts, request.tenantId);
          });
        const entities = qboEntitiesFor(request.mode);
        return new QuickBooksOnlineBackend(
          api,
          deps.db,
          request.links,
          entities,
          request.appEntities,
          deps.clock,
          readNumbering,
          readAccounts,
        );
      }
      case 'quickbooks-desktop': {
        if (!deps.desktop) throw new Error('this worker has no QuickBooks Desktop exchange');
        const connection = await readDesktopConnection(deps.db, request.tenantId);
        const settings = parseSettings(connection.settings);
        return new QuickBooksDesktopBackend(deps.desktop.exchanges, deps.db, request.links, request.appEntities, {
          tenantId: request.tenantId,
          runId: request.runId,
          company: connection.company_name ?? connection.company_file ?? connection.name,
          flavour: connection.flavour,
          attemptMs: deps.desktop.attemptMs ?? 4 * 60_000,
          giveUpAfterMs: settings.desktop.waitMinutes * 60_000,
          pageSize: deps.desktop.pageSize,
        });
      }
      case 'memory': {
        if (!deps.memory) throw new Error('this worker has no in-memory companies');
        return new MemoryBackend(deps.memory.company(request.tenantId), request.links, deps.db, request.appEntities);
      }
      default:
        throw new Error(
          `tenant ${request.tenantId}: backend ${request.backend} is not available in this version of qbsync`,
        );
    }
  };
}
