import type { Company, Obj } from '../company';
import { faults } from '../faults';
import type { WriteOptions } from './rules';
import { checkName } from './names';
import { applyItemAccounts } from './accounts';

const TYPES = ['Service', 'NonInventory', 'Inventory', 'Category', 'Group'];

/** Item rules: a unique Name, a fixed Type, inventory quantities, sub-items under a parent. */
export function applyItem(company: Company, obj: Obj, previous: Obj | undefined, options: WriteOptions): void {
  checkName(company, 'Item', obj.Name, obj.Id);
  const type = obj.Type ?? previous?.Type ?? 'Service';
  if (!TYPES.includes(String(type))) throw faults.invalidValue('Type', `Invalid Type: ${String(type)}`);
  if (type === 'Group' && !options.seeding) throw faults.unsupported('Create for Group items');
  if (previous && previous.Type !== type)
    throw faults.businessValidation('You cannot change the type of an item.', 'Type');
  obj.Type = type;
  if (obj.Active === undefined) obj.Active = true;
  if (type === 'Inventory') {
    if (previous?.TrackQtyOnHand === true && obj.TrackQtyOnHand === false)
      throw faults.businessValidation('TrackQtyOnHand cannot be turned off.', 'TrackQtyOnHand');
    obj.TrackQtyOnHand = true;
    obj.QtyOnHand = Number(obj.QtyOnHand ?? 0);
  }
  applyItemAccounts(company, obj, previous);
  if (obj.ParentRef) {
    const parent = company.ref('Item', obj.ParentRef, 'ParentRef');
    obj.SubItem = true;
    obj.Level = Number(parent.Level ?? 0) + 1;
    obj.FullyQualifiedName = `${String(parent.FullyQualifiedName ?? parent.Name)}:${String(obj.Name)}`;
  } else {
    obj.SubItem = false;
    obj.FullyQualifiedName = obj.Name;
  }
  if (obj.UnitPrice !== undefined) obj.UnitPrice = Number(obj.UnitPrice);
  if (type !== 'Category') {
    // What QuickBooks answers for an item whatever was sent: the purchase side's defaults, stock tracking off.
    obj.Taxable ??= false;
    obj.SalesTaxIncluded ??= false;
    obj.PurchaseTaxIncluded ??= false;
    obj.PurchaseCost ??= 0;
    obj.TrackQtyOnHand ??= false;
  }
}
