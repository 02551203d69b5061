import { sql } from 'kysely';
import type { ItemType } from '../../../schema/tables/app';
import { MappingProblem, type AppRow, type EntityMapping, type QboObject } from '../mapping';
import { checkName, chunk, decimal, decimalToNumber, qboString, text } from './common';

export interface ItemRecord {
  type: ItemType;
  name: string;
  sku: string | null;
  description: string | null;
  unitPrice: string | null;
  /** QuickBooks' income account id (IncomeAccountRef), required there for Service and Inventory items. */
  incomeAccount: string | null;
  taxable: boolean;
  parentId: number | null;
  /** Inventory only; QuickBooks is its master (changed there by purchases, sales and adjustments). */
  quantityOnHand: string | null;
  active: boolean;
}

interface QboItem extends QboObject {
  Name?: string;
  Sku?: string;
  Description?: string;
  UnitPrice?: number;
  Type?: string;
  IncomeAccountRef?: { value: string };
  Taxable?: boolean;
  ParentRef?: { value: string };
  SubItem?: boolean;
  QtyOnHand?: number;
  TrackQtyOnHand?: boolean;
  Active?: boolean;
}

const TYPES: ItemType[] = ['Service', 'NonInventory', 'Inventory', 'Category'];

export const itemMapping: EntityMapping<ItemRecord> = {
  entity: 'item',
  step: 'items',
  qboName: 'Item',
  pull: true,
  push: true,
  qboRemoval: 'deactivate',
  qboRemoved: (raw) => ((raw as QboItem).Active === false ? 'inactive' : undefined),
  label: (c) => (c ? `item "${c.name}"` : 'item'),

  qboRefs: (raw) =>
    (raw as QboItem).ParentRef?.value ? [{ entity: 'item', id: (raw as QboItem).ParentRef!.value }] : [],

  fromQbo(raw, refs) {
    const q = raw as QboItem;
    const name = text(q.Name) ?? '';
    const type = TYPES.find((t) => t === q.Type);
    if (!type)
      return new MappingProblem(
        `QuickBooks item "${name}" is of type ${q.Type ?? '(none)'}, which the app does not hold`,
        'nothing to do: the app keeps Service, NonInventory, Inventory and Category items',
        'qbsync-item-type',
      );
    const parentId = q.ParentRef?.value ? refs.appId('item', q.ParentRef.value) : null;
    if (q.ParentRef?.value && parentId === undefined) {
      return new MappingProblem(
        `item "${name}" belongs to QuickBooks item or category ${q.ParentRef.value}, which is not in the app yet`,
        'run the sync again; parents are synced first when they exist',
        'qbsync-missing-parent',
      );
    }
    return {
      type,
      name,
      sku: text(q.Sku),
      description: text(q.Description),
      unitPrice: type === 'Category' ? null : decimal(q.UnitPrice ?? 0),
      incomeAccount: text(q.IncomeAccountRef?.value),
      taxable: q.Taxable === true,
      parentId: parentId ?? null,
      quantityOnHand: type === 'Inventory' ? decimal(q.QtyOnHand ?? 0) : null,
      active: q.Active !== false,
    };
  },

  appRefs: (c) => (c.parentId ? [{ entity: 'item', id: c.parentId }] : []),

  toQbo(c, refs, base) {
    const problem = checkName('item name', c.name, 100);
    if (problem) return problem;
    if (!base && (c.type === 'Service' || c.type === 'Inventory') && !c.incomeAccount) {
      return new MappingProblem(
        `${itemMapping.label(c)} has no income account; QuickBooks requires one for ${c.type} items`,
        "set the item's income account (the QuickBooks account id) in the app",
        'qbsync-income-account',
      );
    }
    const body: Record<string, unknown> = { Name: c.name, Type: c.type, Active: c.active };
    if (c.type !== 'Category') {
      Object.assign(body, {
        Sku: c.sku ?? undefined,
        Description: c.description ?? undefined,
        UnitPrice: decimalToNumber(c.unitPrice),
        Taxable: c.taxable,
        IncomeAccountRef: c.incomeAccount ? { value: c.incomeAccount } : undefined,
      });
    }
    if (!base && c.type === 'Inventory') {
      // Stock is QuickBooks' from then on; the app's quantity only seeds it.
      Object.assign(body, {
        TrackQtyOnHand: true,
        QtyOnHand: decimalToNumber(c.quantityOnHand ?? '0'),
        InvStartDate: new Date().toISOString().slice(0, 10),
      });
    }
    if (c.parentId) {
      const parent = refs.qboId('item', c.parentId);
      if (!parent)
        return new MappingProblem(
          `${itemMapping.label(c)} belongs to app item ${c.parentId}, which is not in QuickBooks yet`,
          'run the sync again after the parent has synced',
          'qbsync-missing-parent',
        );
      Object.assign(body, { ParentRef: { value: parent }, SubItem: true });
    }
    if (base) Object.assign(body, { Id: base.Id, SyncToken: base.SyncToken, sparse: true });
    return body;
  },

  qboMatchQueries: (records) =>
    chunk([...new Set(records.map((r) => r.name))], 50).map(
      (names) => `SELECT * FROM Item WHERE Name IN (${names.map(qboString).join(', ')}) AND Active IN (true, false)`,
    ),

  pickQboMatch(c, candidates) {
    const byName = candidates.findIndex((x) => x.name.toLowerCase() === c.name.toLowerCase());
    if (byName >= 0) return byName;
    const bySku = c.sku ? candidates.findIndex((x) => x.sku === c.sku) : -1;
    return bySku >= 0 ? bySku : undefined;
  },

  async loadApp(db, tenantId, ids) {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('items')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((r): [number, AppRow<ItemRecord>] => [
        r.id,
        {
          canonical: {
            type: r.type,
            name: r.name.trim(),
            sku: text(r.sku),
            description: text(r.description),
            unitPrice: r.type === 'Category' ? null : decimal(r.unit_price ?? '0'),
            incomeAccount: text(r.income_account),
            taxable: r.taxable,
            parentId: r.parent_id,
            quantityOnHand: r.type === 'Inventory' ? decimal(r.quantity_on_hand ?? '0') : null,
            active: r.active,
          },
          removed: r.status === 'deleted' ? 'deleted' : r.active ? undefined : 'inactive',
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  async matchApp(db, tenantId, records) {
    if (records.length === 0) return [];
    const names = [...new Set(records.map((r) => r.name.toLowerCase()))];
    const skus = [...new Set(records.map((r) => r.sku).filter((s): s is string => !!s))];
    const rows = await db
      .selectFrom('items as i')
      .select(['i.id', 'i.name', 'i.sku'])
      .where('i.tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb(sql`lower(i.name)`, 'in', names), ...(skus.length ? [eb('i.sku', 'in', skus)] : [])]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_links as l')
              .select('l.app_id')
              .whereRef('l.app_id', '=', 'i.id')
              .where('l.entity', '=', 'item')
              .where('l.tenant_id', '=', tenantId),
          ),
        ),
      )
      .orderBy('i.id')
      .execute();
    const taken = new Set<number>();
    return records.map((r) => {
      const hit =
        rows.find((x) => !taken.has(x.id) && x.name.trim().toLowerCase() === r.name.toLowerCase()) ??
        (r.sku ? rows.find((x) => !taken.has(x.id) && x.sku === r.sku) : undefined);
      if (hit) taken.add(hit.id);
      return hit?.id;
    });
  },

  async writeApp(trx, tenantId, appId, c) {
    const values = {
      type: c.type,
      name: c.name,
      sku: c.sku,
      description: c.description,
      unit_price: c.unitPrice,
      income_account: c.incomeAccount,
      taxable: c.taxable,
      parent_id: c.parentId,
      quantity_on_hand: c.quantityOnHand,
      active: c.active,
      status: c.active ? ('active' as const) : ('inactive' as const),
    };
    if (appId === undefined) {
      const row = await trx
        .insertInto('items')
        .values({ tenant_id: tenantId, ...values })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    await trx.updateTable('items').set(values).where('tenant_id', '=', tenantId).where('id', '=', appId).execute();
    return appId;
  },

  async removeApp(trx, tenantId, appId, how) {
    await trx
      .updateTable('items')
      .set({ active: false, status: how === 'inactive' ? 'inactive' : 'deleted' })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', appId)
      .execute();
  },
};
