import { select } from '../../quickbooks/query';
import { MappingProblem } from '../../sync/entity';
import type { ItemAccountSettings } from '../../sync/settings';
import type { QboApi } from './api';

/** The accounts an item needs in QuickBooks: income for every item; Inventory also asset and expense (COGS). */
export type AccountRole = 'income' | 'expense' | 'inventoryAsset';

interface QboAccount {
  Id: string;
  Name?: string;
  FullyQualifiedName?: string;
  AcctNum?: string;
  AccountType?: string;
  Active?: boolean;
}

const SETTING: Record<AccountRole, string> = {
  income: 'accounts.income',
  expense: 'accounts.expense',
  inventoryAsset: 'accounts.inventoryAsset',
};
const WHAT: Record<AccountRole, string> = {
  income: 'income account',
  expense: 'expense (cost of goods sold) account',
  inventoryAsset: 'inventory asset account',
};

/** A QuickBooks account reference, named as QuickBooks names it. */
export interface AccountRef {
  value: string;
  name?: string;
}

/**
 * The company's chart of accounts, read once per run, and the tenant's default accounts for items. Accounts are found
 * the way users name them: by name (or full name, `Parent:Child`), by account number, or — as apps stored them before —
 * by QuickBooks Id.
 */
export class AccountBook {
  private readonly byKey = new Map<string, QboAccount[]>();

  constructor(
    accounts: QboAccount[],
    private readonly settings: ItemAccountSettings,
    private readonly tenantId: string,
  ) {
    for (const a of accounts) {
      const keys = new Set([a.Name, a.FullyQualifiedName, a.AcctNum].filter((k): k is string => !!k));
      for (const k of keys)
        this.byKey.set(k.trim().toLowerCase(), [...(this.byKey.get(k.trim().toLowerCase()) ?? []), a]);
    }
    this.byId = new Map(accounts.map((a) => [a.Id, a]));
  }

  private readonly byId: Map<string, QboAccount>;

  private find(name: string): QboAccount[] {
    const found = this.byKey.get(name.trim().toLowerCase());
    if (found?.length) return found;
    const byId = this.byId.get(name.trim());
    return byId ? [byId] : [];
  }

  /**
   * The account for one role of an item: the app's own value when it has one, else the tenant's setting. A name that
   * matches no account, or several, or an inactive one, is a problem naming the account and the way out.
   */
  resolve(role: AccountRole, appValue: string | null, owner: string): AccountRef | MappingProblem {
    const fromApp = !!appValue?.trim();
    const wanted = fromApp ? appValue!.trim() : this.settings[role];
    const found = this.find(wanted).filter((a) => a.Active !== false);
    const where = fromApp
      ? `${owner} names ${WHAT[role]} "${wanted}"`
      : `the tenant's ${WHAT[role]} "${wanted}" (setting ${SETTING[role]}, used for ${owner})`;
    const fix = fromApp
      ? `correct the item's account in the app to the name or number of a QuickBooks account, or create "${wanted}" in QuickBooks`
      : `create the account "${wanted}" in QuickBooks, or name an existing one: \`qbsync tenant set ${this.tenantId} ${SETTING[role]}="<account name or number>"\``;
    if (found.length === 0)
      return new MappingProblem(`${where}, which QuickBooks does not have (or not active)`, fix, 'qbsync-account');
    if (found.length > 1)
      return new MappingProblem(
        `${where}, which names ${found.length} QuickBooks accounts: ${found.map((a) => `${a.FullyQualifiedName ?? a.Name} (Id ${a.Id})`).join(', ')}`,
        'name the account by its full name (Parent:Child) or its account number',
        'qbsync-account',
      );
    const account = found[0];
    return { value: account.Id, name: account.FullyQualifiedName ?? account.Name };
  }
}

/** Reads the chart of accounts (every page; charts are small) into a book with the tenant's item account settings. */
export async function loadAccountBook(
  api: QboApi,
  settings: ItemAccountSettings,
  tenantId: string,
): Promise<AccountBook> {
  const accounts: QboAccount[] = [];
  let after: string | undefined;
  for (;;) {
    let q = select('Account').whereIn('Active', [true, false]).orderBy('Id').maxResults(1000);
    if (after) q = q.where('Id', '>', after);
    const { objects } = await api.query(q);
    accounts.push(...(objects as unknown as QboAccount[]));
    if (objects.length < 1000) return new AccountBook(accounts, settings, tenantId);
    after = objects.at(-1)!.Id;
  }
}
