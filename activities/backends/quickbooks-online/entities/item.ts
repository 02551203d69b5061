import type { ItemType } from '../../../../schema/tables/app';
import { checkName, chunk, decimal, text } from '../../../sync/entities/common';
import { itemMapping, type ItemRecord } from '../../../sync/entities/item';
import { MappingProblem } from '../../../sync/entity';
import { select } from '../../../quickbooks/query';
import type { QboEntity, QboObject, RefMap } from '../entity';
import { decimalToNumber, textToQbo } from './common';

interface QboItem extends QboObject {
  Name?: string;
  Sku?: string;
  Description?: string;
  UnitPrice?: number;
  Type?: string;
  IncomeAccountRef?: { value: string; name?: string };
  Taxable?: boolean;
  ParentRef?: { value: string };
  SubItem?: boolean;
  QtyOnHand?: number;
  TrackQtyOnHand?: boolean;
  Active?: boolean;
}

const TYPES: ItemType[] = ['Service', 'NonInventory', 'Inventory', 'Category'];

/** The account references an item is written with: income always on create; Inventory also asset and expense. */
function itemAccounts(c: ItemRecord, refs: RefMap, creating: boolean): Record<string, unknown> | MappingProblem {
  if (!creating && !c.incomeAccount) return {};
  const book = refs.accounts;
  if (!book) throw new Error('items are written with the chart of accounts at hand');
  const owner = itemMapping.label(c);
  const income = book.resolve('income', c.incomeAccount, owner);
  if (income instanceof MappingProblem) return income;
  if (!creating || c.type !== 'Inventory') return { IncomeAccountRef: income };
  const asset = book.resolve('inventoryAsset', null, owner);
  if (asset instanceof MappingProblem) return asset;
  const expense = book.resolve('expense', null, owner);
  if (expense instanceof MappingProblem) return expense;
  return { IncomeAccountRef: income, AssetAccountRef: asset, ExpenseAccountRef: expense };
}

export const item: QboEntity<ItemRecord> = {
  entity: 'item',
  qboName: 'Item',
  // Sales and purchases move QtyOnHand; Intuit does not say they give the item a new SyncToken.
  unversioned: 'QtyOnHand',
  qboRemoval: 'deactivate',
  qboRemoved: (raw) => ((raw as QboItem).Active === false ? 'inactive' : undefined),

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
      // As users name it (QuickBooks sends the account's name on the reference); an Id only if no name came.
      incomeAccount: text(q.IncomeAccountRef?.name ?? q.IncomeAccountRef?.value),
      taxable: q.Taxable === true,
      parentId: parentId ?? null,
      quantityOnHand: type === 'Inventory' ? decimal(q.QtyOnHand ?? 0) : null,
      active: q.Active !== false,
    };
  },

  toQbo(c, refs, base) {
    const problem = checkName('item name', c.name, 100);
    if (problem) return problem;
    const body: Record<string, unknown> = { Name: c.name, Type: c.type, Active: c.active };
    if (c.type !== 'Category') {
      Object.assign(body, {
        Sku: textToQbo(c.sku, !!base),
        Description: textToQbo(c.description, !!base),
        UnitPrice: decimalToNumber(c.unitPrice),
        Taxable: c.taxable,
      });
      // New items get the accounts QuickBooks requires (the app's income account, else the tenant's); an update
      // changes the income account only when the app names one.
      const accounts = itemAccounts(c, refs, !base);
      if (accounts instanceof MappingProblem) return accounts;
      Object.assign(body, accounts);
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
    chunk([...new Set(records.map((r) => r.name))], 50).map((names) =>
      select('Item').whereIn('Name', names).whereIn('Active', [true, false]),
    ),

  pickQboMatch(c, candidates) {
    const byName = candidates.findIndex((x) => x.name.toLowerCase() === c.name.toLowerCase());
    if (byName >= 0) return byName;
    const bySku = c.sku ? candidates.findIndex((x) => x.sku === c.sku) : -1;
    return bySku >= 0 ? bySku : undefined;
  },
};
