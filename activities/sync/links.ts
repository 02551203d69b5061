import type { Db, Trx } from './side';
import type { EntityName } from './model';

export interface Link {
  appId: number;
  qboId: string;
  qboSyncToken: string | null;
  fingerprint: string;
}

type Reader = Db | Trx;

function toLink(row: { app_id: number; qbo_id: string; qbo_sync_token: string | null; fingerprint: string }): Link {
  return { appId: row.app_id, qboId: row.qbo_id, qboSyncToken: row.qbo_sync_token, fingerprint: row.fingerprint };
}

/** The links between app and QuickBooks records of one tenant: the memory that makes a retried or repeated sync a no-op. */
export class LinkStore {
  constructor(private readonly tenantId: string) {}

  async byQboIds(db: Reader, entity: EntityName, qboIds: string[]): Promise<Map<string, Link>> {
    if (qboIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('sync_links')
      .selectAll()
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .where('qbo_id', 'in', qboIds)
      .execute();
    return new Map(rows.map((r) => [r.qbo_id, toLink(r)]));
  }

  async byAppIds(db: Reader, entity: EntityName, appIds: number[]): Promise<Map<number, Link>> {
    if (appIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('sync_links')
      .selectAll()
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .where('app_id', 'in', appIds)
      .execute();
    return new Map(rows.map((r) => [r.app_id, toLink(r)]));
  }

  /** Writes the agreement; a QuickBooks record can be linked to one app record only, and vice versa. */
  async upsert(trx: Trx, entity: EntityName, link: Link, at: Date): Promise<void> {
    await trx
      .deleteFrom('sync_links')
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .where((eb) => eb.or([eb('qbo_id', '=', link.qboId), eb('app_id', '=', link.appId)]))
      .where((eb) => eb.or([eb('qbo_id', '!=', link.qboId), eb('app_id', '!=', link.appId)]))
      .execute();
    await trx
      .insertInto('sync_links')
      .values({
        tenant_id: this.tenantId,
        entity,
        app_id: link.appId,
        qbo_id: link.qboId,
        qbo_sync_token: link.qboSyncToken,
        fingerprint: link.fingerprint,
        agreed_at: at,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'entity', 'app_id']).doUpdateSet({
          qbo_id: link.qboId,
          qbo_sync_token: link.qboSyncToken,
          fingerprint: link.fingerprint,
          agreed_at: at,
        }),
      )
      .execute();
  }

  /**
   * Links for records this page created on the app side: neither id can be linked yet (the QuickBooks record was
   * unlinked when the page was read, the app id is new), so they are inserted in bulk instead of one upsert each.
   */
  async insertNew(trx: Trx, entity: EntityName, links: Link[], at: Date): Promise<void> {
    for (let i = 0; i < links.length; i += 1000) {
      const rows = links.slice(i, i + 1000).map((link) => ({
        tenant_id: this.tenantId,
        entity,
        app_id: link.appId,
        qbo_id: link.qboId,
        qbo_sync_token: link.qboSyncToken,
        fingerprint: link.fingerprint,
        agreed_at: at,
      }));
      await trx.insertInto('sync_links').values(rows).execute();
    }
  }

  /** Remembers QuickBooks' newest SyncToken without moving the agreement (the app's newer change still has to go out). */
  async touchVersion(trx: Trx, entity: EntityName, qboId: string, syncToken: string | undefined): Promise<void> {
    if (syncToken === undefined) return;
    await trx
      .updateTable('sync_links')
      .set({ qbo_sync_token: syncToken })
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .where('qbo_id', '=', qboId)
      .execute();
  }

  /** Resolves app ids of many entities to QuickBooks ids in one query per entity (for references in pushed records). */
  async appToQbo(db: Reader, entity: EntityName, appIds: number[]): Promise<Map<number, string>> {
    const links = await this.byAppIds(db, entity, [...new Set(appIds)]);
    return new Map([...links].map(([appId, link]) => [appId, link.qboId]));
  }

  async qboToApp(db: Reader, entity: EntityName, qboIds: string[]): Promise<Map<string, number>> {
    const links = await this.byQboIds(db, entity, [...new Set(qboIds)]);
    return new Map([...links].map(([qboId, link]) => [qboId, link.appId]));
  }
}
