import type { Company, Obj } from '../company';
import { faults, QboFault } from '../faults';

/**
 * The chart of accounts and the sales terms every QuickBooks Online company starts with (a US company; Ids and names
 * as in Intuit's sample company where it has them; account numbers given so lookups by number can be exercised).
 */
const CHART: Array<{ Id: string; Name: string; AccountType: string; AccountSubType: string; AcctNum?: string }> = [
  { Id: '1', Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome', AcctNum: '4010' },
  { Id: '4', Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds' },
  { Id: '7', Name: 'Advertising', AccountType: 'Expense', AccountSubType: 'AdvertisingPromotional' },
  { Id: '33', Name: 'Accounts Payable (A/P)', AccountType: 'Accounts Payable', AccountSubType: 'AccountsPayable' },
  { Id: '34', Name: 'Opening Balance Equity', AccountType: 'Equity', AccountSubType: 'OpeningBalanceEquity' },
  { Id: '35', Name: 'Checking', AccountType: 'Bank', AccountSubType: 'Checking', AcctNum: '1010' },
  {
    Id: '79',
    Name: 'Sales of Product Income',
    AccountType: 'Income',
    AccountSubType: 'SalesOfProductIncome',
    AcctNum: '4000',
  },
  {
    Id: '80',
    Name: 'Cost of Goods Sold',
    AccountType: 'Cost of Goods Sold',
    AccountSubType: 'SuppliesMaterialsCogs',
    AcctNum: '5000',
  },
  {
    Id: '81',
    Name: 'Inventory Asset',
    AccountType: 'Other Current Asset',
    AccountSubType: 'Inventory',
    AcctNum: '1300',
  },
  {
    Id: '84',
    Name: 'Accounts Receivable (A/R)',
    AccountType: 'Accounts Receivable',
    AccountSubType: 'AccountsReceivable',
  },
];

const CLASSIFICATION: Record<string, string> = {
  Income: 'Revenue',
  'Other Income': 'Revenue',
  Expense: 'Expense',
  'Cost of Goods Sold': 'Expense',
  'Other Current Asset': 'Asset',
  Bank: 'Asset',
  'Accounts Receivable': 'Asset',
  'Accounts Payable': 'Liability',
  Equity: 'Equity',
};

export const TERMS = [
  { Id: '1', Name: 'Due on receipt', DueDays: 0 },
  { Id: '2', Name: 'Net 15', DueDays: 15 },
  { Id: '3', Name: 'Net 30', DueDays: 30 },
  { Id: '4', Name: 'Net 60', DueDays: 60 },
];
/** Net 30: the preferred invoice terms of a new company. */
export const DEFAULT_TERMS_ID = '3';
/** Where a payment without DepositToAccountRef goes. */
export const UNDEPOSITED_FUNDS = '4';

/** Adds the standard accounts and terms a company lacks (a new company, or one saved before they existed). */
export function ensureChartAndTerms(company: Company): void {
  for (const a of CHART) {
    if (company.table('Account').has(a.Id)) continue;
    company.create(
      'Account',
      {
        ...a,
        FullyQualifiedName: a.Name,
        SubAccount: false,
        Active: true,
        Classification: CLASSIFICATION[a.AccountType],
        CurrentBalance: 0,
        CurrentBalanceWithSubAccounts: 0,
        CurrencyRef: { value: 'USD', name: 'United States Dollar' },
      },
      { seeding: true },
    );
  }
  for (const t of TERMS) {
    if (company.table('Term').has(t.Id)) continue;
    company.create(
      'Term',
      { ...t, Active: true, Type: 'STANDARD', DiscountPercent: 0, DiscountDays: 0 },
      { seeding: true },
    );
  }
}

/** An account reference on an item: it must exist and be active; it comes back with the account's name. */
function accountRef(company: Company, obj: Obj, field: string, allowed: (type: string) => boolean): void {
  const account = company.ref('Account', obj[field], field);
  const type = String(account.AccountType);
  if (type === 'Accounts Receivable' || type === 'Accounts Payable')
    throw faults.businessValidation(
      'Accounts Receivable and Accounts Payable accounts can’t be used for products and services.',
      field,
    );
  if (!allowed(type))
    throw faults.businessValidation(`The account ${String(account.Name)} (${type}) cannot be used as ${field}.`, field);
  obj[field] = { value: account.Id, name: account.FullyQualifiedName ?? account.Name };
}

function missing(detail: string): QboFault {
  return new QboFault(
    400,
    '2020',
    'Required param missing, need to supply the required value for the API',
    `Required parameter ${detail} is missing in the request`,
  );
}

/**
 * QuickBooks' account rules for items: Service and NonInventory need an income (or expense) account; Inventory needs
 * income, asset (Inventory Asset) and expense (Cost of Goods Sold) accounts, a start date and a quantity. Categories
 * carry none.
 */
export function applyItemAccounts(company: Company, obj: Obj, previous: Obj | undefined): void {
  const type = String(obj.Type);
  if (type === 'Category' || type === 'Group') return;
  const has = (f: string) => obj[f] !== undefined && obj[f] !== null;
  if (type === 'Service' || type === 'NonInventory') {
    if (!has('IncomeAccountRef') && !has('ExpenseAccountRef')) throw missing('ExpenseAccountRef or IncomeAccountRef');
  } else if (type === 'Inventory') {
    for (const f of ['IncomeAccountRef', 'AssetAccountRef', 'ExpenseAccountRef']) if (!has(f)) throw missing(f);
    if (!previous && !has('InvStartDate')) throw missing('InvStartDate');
    if (!previous && !has('QtyOnHand')) throw missing('QtyOnHand');
  }
  const income = (t: string) => t === 'Income' || t === 'Other Income';
  if (has('IncomeAccountRef')) accountRef(company, obj, 'IncomeAccountRef', income);
  if (has('AssetAccountRef'))
    accountRef(company, obj, 'AssetAccountRef', (t) => t === 'Other Current Asset' || t === 'Other Asset');
  if (has('ExpenseAccountRef'))
    accountRef(company, obj, 'ExpenseAccountRef', (t) => t === 'Cost of Goods Sold' || t.includes('Expense'));
}
