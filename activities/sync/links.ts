import { sql } from 'kysely';
import type { BackendId, Db, Trx } from './backend';
import type { Ref } from './entity';
import { insertRows } from './entities/common';
import type { EntityName } from './model';

/** The agreement between an app record and its backend twin: the fingerprint of the last state both sides held. */
export interface Link {
  appId: number;
  remoteId: string;
  /**
   * The backend's version at which its record was last seen agreeing with this link (a pull that decided nothing, or a
   * write's answer): re-read at this version, the record is settled (backend.ts AgreedVersions). Null when not known.
   */
  remoteVersion: string | null;
  fingerprint: string;
}

type Reader = Db | Trx;

function toLink(row: { app_id: number; remote_id: string; remote_version: string | null; fingerprint: string }): Link {
  return {
    appId: row.app_id,
    remoteId: row.remote_id,
    remoteVersion: row.remote_version,
    fingerprint: row.fingerprint,
  };
}

/** A page's references resolved through the links, both ways: backend id → app id, app id → backend id. */
export interface ResolvedRefs {
  appId(entity: EntityName, remoteId: string | undefined | null): number | undefined;
  remoteId(entity: EntityName, appId: number | undefined | null): string | undefined;
}

/**
 * The links between app and backend records of one tenant and backend: the memory that makes a retried or repeated
 * sync a no-op.
 */
export class LinkStore {
  constructor(
    private readonly tenantId: string,
    readonly backend: BackendId,
  ) {}

  private rows(db: Reader, entity: EntityName) {
    return db
      .selectFrom('sync_links')
      .selectAll()
      .where('tenant_id', '=', this.tenantId)
      .where('backend', '=', this.backend)
      .where('entity', '=', entity);
  }

  async byRemoteIds(db: Reader, entity: EntityName, remoteIds: string[]): Promise<Map<string, Link>> {
    if (remoteIds.length === 0) return new Map();
    const rows = await this.rows(db, entity).where('remote_id', 'in', remoteIds).execute();
    return new Map(rows.map((r) => [r.remote_id, toLink(r)]));
  }

  async byAppIds(db: Reader, entity: EntityName, appIds: number[]): Promise<Map<number, Link>> {
    if (appIds.length === 0) return new Map();
    const rows = await this.rows(db, entity).where('app_id', 'in', appIds).execute();
    return new Map(rows.map((r) => [r.app_id, toLink(r)]));
  }

  /** A link as a sync_links row of this tenant and backend. */
  private row(entity: EntityName, link: Link, at: Date) {
    const { appId: app_id, remoteId: remote_id, remoteVersion: remote_version, fingerprint } = link;
    return {
      tenant_id: this.tenantId,
      backend: this.backend,
      entity,
      app_id,
      remote_id,
      remote_version,
      fingerprint,
      agreed_at: at,
    };
  }

  /** Writes the agreement; a backend record can be linked to one app record only, and vice versa. */
  async upsert(trx: Trx, entity: EntityName, link: Link, at: Date): Promise<void> {
    await trx
      .deleteFrom('sync_links')
      .where('tenant_id', '=', this.tenantId)
      .where('backend', '=', this.backend)
      .where('entity', '=', entity)
      .where((eb) => eb.or([eb('remote_id', '=', link.remoteId), eb('app_id', '=', link.appId)]))
      .where((eb) => eb.or([eb('remote_id', '!=', link.remoteId), eb('app_id', '!=', link.appId)]))
      .execute();
    const agreed = { remote_id: link.remoteId, remote_version: link.remoteVersion, fingerprint: link.fingerprint };
    await trx
      .insertInto('sync_links')
      .values({ tenant_id: this.tenantId, backend: this.backend, entity, app_id: link.appId, ...agreed, agreed_at: at })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'entity', 'backend', 'app_id']).doUpdateSet({ ...agreed, agreed_at: at }),
      )
      .execute();
  }

  /**
   * `upsert` for a whole page in two statements: the links that disagree with one of the new agreements (the same
   * backend record linked elsewhere, or the same app record linked to another backend record) are deleted, then the
   * agreements are written. Equal to upserting them one by one in order; a page naming one id twice (never the case
   * for a page of distinct records, but cheap to honour) takes the one-by-one path so the last one wins.
   */
  async upsertMany(trx: Trx, entity: EntityName, links: Link[], at: Date): Promise<void> {
    const appIds = new Set(links.map((l) => l.appId));
    const remoteIds = new Set(links.map((l) => l.remoteId));
    if (appIds.size !== links.length || remoteIds.size !== links.length) {
      for (const link of links) await this.upsert(trx, entity, link, at);
      return;
    }
    for (let i = 0; i < links.length; i += 1000) {
      const part = links.slice(i, i + 1000);
      const apps = part.map((l) => l.appId);
      const remotes = part.map((l) => l.remoteId);
      await sql`
        delete from sync_links l
        where l.tenant_id = ${this.tenantId} and l.backend = ${this.backend} and l.entity = ${entity}
          and (l.remote_id = any(${remotes}::text[]) or l.app_id = any(${apps}::bigint[]))
          and (l.app_id, l.remote_id) not in (select * from unnest(${apps}::bigint[], ${remotes}::text[]))`.execute(
        trx,
      );
      await insertRows(
        trx,
        'sync_links',
        part.map((link) => this.row(entity, link, at)),
        sql`on conflict (tenant_id, entity, backend, app_id) do update set remote_id = excluded.remote_id,
          remote_version = excluded.remote_version, fingerprint = excluded.fingerprint, agreed_at = excluded.agreed_at`,
      );
    }
  }

  /**
   * Links for records this page created on the app side: neither id can be linked yet (the backend record was
   * unlinked when the page was read, the app id is new), so they are inserted in bulk instead of one upsert each.
   */
  async insertNew(trx: Trx, entity: EntityName, links: Link[], at: Date): Promise<void> {
    await insertRows(
      trx,
      'sync_links',
      links.map((link) => this.row(entity, link, at)),
    );
  }

  /**
   * Remembers the backend's version at which a record was seen agreeing, without moving the agreement; null forgets
   * it (a version the agreement does not describe must not make the record settled).
   */
  async touchVersion(
    trx: Trx,
    entity: EntityName,
    remoteId: string,
    version: string | null | undefined,
  ): Promise<void> {
    if (version === undefined) return;
    await trx
      .updateTable('sync_links')
      .set({ remote_version: version })
      .where('tenant_id', '=', this.tenantId)
      .where('backend', '=', this.backend)
      .where('entity', '=', entity)
      .where('remote_id', '=', remoteId)
      .execute();
  }

  /** Resolves app ids to backend ids in one query (for references in pushed records). */
  async appToRemote(db: Reader, entity: EntityName, appIds: number[]): Promise<Map<number, string>> {
    const links = await this.byAppIds(db, entity, [...new Set(appIds)]);
    return new Map([...links].map(([appId, link]) => [appId, link.remoteId]));
  }

  /**
   * Resolves a page's references in one query per entity and direction: a string id is the backend's (its app id is
   * looked up), a number the app's (its backend id is looked up). Unlinked references resolve to undefined.
   */
  async resolve(db: Reader, refs: Ref[]): Promise<ResolvedRefs> {
    const remote = new Map<EntityName, Set<string>>();
    const app = new Map<EntityName, Set<number>>();
    for (const r of refs) {
      if (typeof r.id === 'string') remote.set(r.entity, (remote.get(r.entity) ?? new Set()).add(r.id));
      else app.set(r.entity, (app.get(r.entity) ?? new Set()).add(r.id));
    }
    const toApp = new Map<string, number>();
    const toRemote = new Map<string, string>();
    for (const [entity, ids] of remote)
      for (const [remoteId, appId] of await this.remoteToApp(db, entity, [...ids]))
        toApp.set(`${entity}:${remoteId}`, appId);
    for (const [entity, ids] of app)
      for (const [appId, remoteId] of await this.appToRemote(db, entity, [...ids]))
        toRemote.set(`${entity}:${appId}`, remoteId);
    return {
      appId: (entity, remoteId) => (remoteId ? toApp.get(`${entity}:${remoteId}`) : undefined),
      remoteId: (entity, appId) => (appId ? toRemote.get(`${entity}:${appId}`) : undefined),
    };
  }

  async remoteToApp(db: Reader, entity: EntityName, remoteIds: string[]): Promise<Map<string, number>> {
    const links = await this.byRemoteIds(db, entity, [...new Set(remoteIds)]);
    return new Map([...links].map(([remoteId, link]) => [remoteId, link.appId]));
  }
}
