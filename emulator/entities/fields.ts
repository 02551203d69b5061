import { faults } from '../faults';

/**
 * The properties QuickBooks Online's JSON binding knows per entity (minor version 75, which every request has run as
 * since 2025-08-01), from Intuit's Accounting API reference. QuickBooks deserializes a request body strictly: a property
 * the class does not have is refused with 2010 "Request has invalid or unsupported property", naming the property and
 * the class; a value of the wrong kind (an object for a string, "abc" for an amount) is refused with 2010 too. Read-only
 * properties (MetaData, Balance, FullyQualifiedName …) are known, so an object read and sent back is accepted; their
 * values are ignored. Scalars coerce as QuickBooks' binding does: a number or boolean is accepted for a string, a
 * numeric string for a number, "true"/"false" for a boolean.
 */
type Scalar = 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'any';
type Field = Scalar | Shape | { list: Field } | { oneOf: readonly string[]; cls: string };
export interface Shape {
  cls: string;
  fields: Record<string, Field>;
}

const shape = (cls: string, fields: Record<string, Field>): Shape => ({ cls, fields });
const list = (of: Field) => ({ list: of });
const enumOf = (cls: string, values: readonly string[]) => ({ oneOf: values, cls });

const REF = shape('ReferenceType', { value: 'string', name: 'string', type: 'string' });
const META = shape('ModificationMetaData', {
  CreateTime: 'datetime',
  LastUpdatedTime: 'datetime',
  LastModifiedByRef: REF,
  CreatedByRef: REF,
});
const ADDRESS = shape('PhysicalAddress', {
  Id: 'string',
  Line1: 'string',
  Line2: 'string',
  Line3: 'string',
  Line4: 'string',
  Line5: 'string',
  City: 'string',
  Country: 'string',
  CountryCode: 'string',
  County: 'string',
  CountrySubDivisionCode: 'string',
  PostalCode: 'string',
  PostalCodeSuffix: 'string',
  Lat: 'string',
  Long: 'string',
  Tag: 'string',
  Note: 'string',
});
const EMAIL = shape('EmailAddress', { Address: 'string', Default: 'boolean', Tag: 'string' });
const PHONE = shape('TelephoneNumber', {
  FreeFormNumber: 'string',
  DeviceType: 'string',
  CountryCode: 'string',
  AreaCode: 'string',
  ExchangeCode: 'string',
  Extension: 'string',
  Default: 'boolean',
  Tag: 'string',
});
const WEB = shape('WebSiteAddress', { URI: 'string', Default: 'boolean', Tag: 'string' });
const MEMO = shape('MemoRef', { value: 'string', id: 'string' });
const LINKED_TXN = shape('LinkedTxn', { TxnId: 'string', TxnType: 'string', TxnLineId: 'string' });
const CUSTOM_FIELD = shape('CustomField', {
  DefinitionId: 'string',
  Name: 'string',
  Type: 'string',
  StringValue: 'string',
  BooleanValue: 'boolean',
  DateValue: 'date',
  NumberValue: 'number',
});
const MARKUP = shape('MarkupInfo', {
  PercentBased: 'boolean',
  Value: 'number',
  Percent: 'number',
  PriceLevelRef: REF,
  MarkUpIncomeAccountRef: REF,
});
const SALES_ITEM_DETAIL = shape('SalesItemLineDetail', {
  ItemRef: REF,
  ClassRef: REF,
  UnitPrice: 'number',
  RatePercent: 'number',
  PriceLevelRef: REF,
  MarkupInfo: MARKUP,
  Qty: 'number',
  UOMRef: REF,
  ItemAccountRef: REF,
  InventorySiteRef: REF,
  TaxCodeRef: REF,
  TaxClassificationRef: REF,
  ServiceDate: 'date',
  TaxInclusiveAmt: 'number',
  DiscountRate: 'number',
  DiscountAmt: 'number',
});
const DISCOUNT_DETAIL = shape('DiscountLineDetail', {
  DiscountRef: REF,
  PercentBased: 'boolean',
  DiscountPercent: 'number',
  DiscountAccountRef: REF,
  ClassRef: REF,
  TaxCodeRef: REF,
});
const TAX_LINE_DETAIL = shape('TaxLineDetail', {
  TaxRateRef: REF,
  PercentBased: 'boolean',
  TaxPercent: 'number',
  NetAmountTaxable: 'number',
  TaxInclusiveAmount: 'number',
  OverrideDeltaAmount: 'number',
});
const LINE_DETAIL_TYPES = [
  'SalesItemLineDetail',
  'GroupLineDetail',
  'DescriptionOnly',
  'DiscountLineDetail',
  'SubTotalLineDetail',
  'TaxLineDetail',
  'PaymentLineDetail',
] as const;
const SALES_LINE = shape('Line', {
  Id: 'string',
  LineNum: 'number',
  Description: 'string',
  Amount: 'number',
  DetailType: enumOf('LineDetailTypeEnum', LINE_DETAIL_TYPES),
  LinkedTxn: list(LINKED_TXN),
  SalesItemLineDetail: SALES_ITEM_DETAIL,
  GroupLineDetail: shape('GroupLineDetail', { GroupItemRef: REF, Quantity: 'number', Line: list('any') }),
  DescriptionLineDetail: shape('DescriptionLineDetail', { ServiceDate: 'date', TaxCodeRef: REF }),
  DiscountLineDetail: DISCOUNT_DETAIL,
  SubTotalLineDetail: shape('SubTotalLineDetail', { ItemRef: REF }),
  TaxLineDetail: TAX_LINE_DETAIL,
  CustomField: list(CUSTOM_FIELD),
  ProjectRef: REF,
});
const TAX_LINE = shape('Line', {
  Id: 'string',
  LineNum: 'number',
  Description: 'string',
  Amount: 'number',
  DetailType: enumOf('LineDetailTypeEnum', LINE_DETAIL_TYPES),
  TaxLineDetail: TAX_LINE_DETAIL,
});
const TXN_TAX_DETAIL = shape('TxnTaxDetail', {
  DefaultTaxCodeRef: REF,
  TxnTaxCodeRef: REF,
  TotalTax: 'number',
  TaxLine: list(TAX_LINE),
  TaxReviewStatus: 'string',
});
const DELIVERY_INFO = shape('DeliveryInfo', { DeliveryType: 'string', DeliveryTime: 'datetime' });

const ENTITY_BASE: Record<string, Field> = {
  Id: 'string',
  SyncToken: 'string',
  MetaData: META,
  domain: 'string',
  sparse: 'boolean',
  status: 'string',
};

/** The header of a sales form (Invoice, Estimate, SalesReceipt): what they share. */
const SALES_FORM: Record<string, Field> = {
  ...ENTITY_BASE,
  CustomField: list(CUSTOM_FIELD),
  DocNumber: 'string',
  TxnDate: 'date',
  DepartmentRef: REF,
  CurrencyRef: REF,
  ExchangeRate: 'number',
  PrivateNote: 'string',
  TxnStatus: 'string',
  LinkedTxn: list(LINKED_TXN),
  Line: list(SALES_LINE),
  TxnTaxDetail: TXN_TAX_DETAIL,
  CustomerRef: REF,
  CustomerMemo: MEMO,
  BillAddr: ADDRESS,
  ShipAddr: ADDRESS,
  ShipFromAddr: ADDRESS,
  FreeFormAddress: 'boolean',
  ClassRef: REF,
  SalesTermRef: REF,
  ShipMethodRef: REF,
  ShipDate: 'date',
  TrackingNum: 'string',
  GlobalTaxCalculation: enumOf('GlobalTaxCalculationEnum', ['TaxExcluded', 'TaxInclusive', 'NotApplicable']),
  TotalAmt: 'number',
  HomeTotalAmt: 'number',
  PrintStatus: enumOf('PrintStatusEnum', ['NotSet', 'NeedToPrint', 'PrintComplete']),
  EmailStatus: enumOf('EmailStatusEnum', ['NotSet', 'NeedToSend', 'EmailSent']),
  BillEmail: EMAIL,
  BillEmailCc: EMAIL,
  BillEmailBcc: EMAIL,
  DeliveryInfo: DELIVERY_INFO,
  ApplyTaxAfterDiscount: 'boolean',
  TransactionLocationType: 'string',
  TaxExemptionRef: REF,
  ProjectRef: REF,
  RecurDataRef: REF,
  TxnSource: 'string',
};

export const ENTITY_SHAPES: Record<string, Shape> = {
  Customer: shape('Customer', {
    ...ENTITY_BASE,
    Title: 'string',
    GivenName: 'string',
    MiddleName: 'string',
    FamilyName: 'string',
    Suffix: 'string',
    FullyQualifiedName: 'string',
    CompanyName: 'string',
    DisplayName: 'string',
    PrintOnCheckName: 'string',
    Active: 'boolean',
    V4IDPseudonym: 'string',
    PrimaryPhone: PHONE,
    AlternatePhone: PHONE,
    Mobile: PHONE,
    Fax: PHONE,
    PrimaryEmailAddr: EMAIL,
    WebAddr: WEB,
    OtherContactInfo: 'any',
    DefaultTaxCodeRef: REF,
    Taxable: 'boolean',
    BillAddr: ADDRESS,
    ShipAddr: ADDRESS,
    Notes: 'string',
    Job: 'boolean',
    BillWithParent: 'boolean',
    ParentRef: REF,
    Level: 'number',
    SalesTermRef: REF,
    PaymentMethodRef: REF,
    Balance: 'number',
    OpenBalanceDate: 'date',
    BalanceWithJobs: 'number',
    CurrencyRef: REF,
    PreferredDeliveryMethod: 'string',
    ResaleNum: 'string',
    TaxExemptionReasonId: 'string',
    ARAccountRef: REF,
    PrimaryTaxIdentifier: 'string',
    SecondaryTaxIdentifier: 'string',
    BusinessNumber: 'string',
    GSTIN: 'string',
    GSTRegistrationType: 'string',
    IsProject: 'boolean',
    ClientEntityId: 'string',
    CustomerTypeRef: 'any',
    Source: 'string',
  }),
  Item: shape('Item', {
    ...ENTITY_BASE,
    Name: 'string',
    Sku: 'string',
    Description: 'string',
    Active: 'boolean',
    SubItem: 'boolean',
    ParentRef: REF,
    Level: 'number',
    FullyQualifiedName: 'string',
    Taxable: 'boolean',
    SalesTaxIncluded: 'boolean',
    UnitPrice: 'number',
    RatePercent: 'number',
    Type: enumOf('ItemTypeEnum', ['Inventory', 'Service', 'NonInventory', 'Group', 'Category', 'Assembly']),
    PaymentMethodRef: REF,
    UOMSetRef: REF,
    IncomeAccountRef: REF,
    PurchaseDesc: 'string',
    PurchaseTaxIncluded: 'boolean',
    PurchaseCost: 'number',
    ExpenseAccountRef: REF,
    AssetAccountRef: REF,
    PrefVendorRef: REF,
    TrackQtyOnHand: 'boolean',
    QtyOnHand: 'number',
    QtyOnPurchaseOrder: 'number',
    QtyOnSalesOrder: 'number',
    ReorderPoint: 'number',
    InvStartDate: 'date',
    SalesTaxCodeRef: REF,
    PurchaseTaxCodeRef: REF,
    ClassRef: REF,
    Source: 'string',
    ServiceType: 'string',
    ItemCategoryType: 'string',
    AbatementRate: 'number',
    ReverseChargeRate: 'number',
    TaxClassificationRef: REF,
    UQCId: 'string',
    UQCDisplayText: 'string',
    PrintGroupedItems: 'boolean',
    ItemGroupDetail: 'any',
  }),
  Invoice: shape('Invoice', {
    ...SALES_FORM,
    DueDate: 'date',
    Balance: 'number',
    HomeBalance: 'number',
    Deposit: 'number',
    DepositToAccountRef: REF,
    AllowIPNPayment: 'boolean',
    AllowOnlinePayment: 'boolean',
    AllowOnlineCreditCardPayment: 'boolean',
    AllowOnlineACHPayment: 'boolean',
    InvoiceLink: 'string',
    EInvoiceStatus: 'string',
  }),
  Estimate: shape('Estimate', {
    ...SALES_FORM,
    ExpirationDate: 'date',
    AcceptedBy: 'string',
    AcceptedDate: 'date',
    DueDate: 'date',
  }),
  Payment: shape('Payment', {
    ...ENTITY_BASE,
    TxnDate: 'date',
    CurrencyRef: REF,
    ExchangeRate: 'number',
    PrivateNote: 'string',
    TxnStatus: 'string',
    LinkedTxn: list(LINKED_TXN),
    Line: list(
      shape('Line', {
        Id: 'string',
        LineNum: 'number',
        Amount: 'number',
        LinkedTxn: list(LINKED_TXN),
        LineEx: 'any',
      }),
    ),
    CustomerRef: REF,
    ARAccountRef: REF,
    DepositToAccountRef: REF,
    PaymentMethodRef: REF,
    PaymentRefNum: 'string',
    CreditCardPayment: 'any',
    TotalAmt: 'number',
    UnappliedAmt: 'number',
    ProcessPayment: 'boolean',
    TransactionLocationType: 'string',
    TaxExemptionRef: REF,
    ProjectRef: REF,
    TxnSource: 'string',
  }),
  TaxCode: shape('TaxCode', {
    ...ENTITY_BASE,
    Name: 'string',
    Description: 'string',
    Active: 'boolean',
    Hidden: 'boolean',
    Taxable: 'boolean',
    TaxGroup: 'boolean',
    SalesTaxRateList: 'any',
    PurchaseTaxRateList: 'any',
    TaxCodeConfigType: 'string',
  }),
  TaxRate: shape('TaxRate', {
    ...ENTITY_BASE,
    Name: 'string',
    Description: 'string',
    Active: 'boolean',
    RateValue: 'number',
    AgencyRef: REF,
    TaxReturnLineRef: REF,
    SpecialTaxType: 'string',
    DisplayType: 'string',
    EffectiveTaxRate: 'any',
  }),
  Account: shape('Account', {
    ...ENTITY_BASE,
    Name: 'string',
    SubAccount: 'boolean',
    ParentRef: REF,
    Description: 'string',
    FullyQualifiedName: 'string',
    Active: 'boolean',
    Classification: 'string',
    AccountType: 'string',
    AccountSubType: 'string',
    AcctNum: 'string',
    CurrentBalance: 'number',
    CurrentBalanceWithSubAccounts: 'number',
    CurrencyRef: REF,
    TaxCodeRef: REF,
    AccountAlias: 'string',
    TxnLocationType: 'string',
  }),
  Term: shape('Term', {
    ...ENTITY_BASE,
    Name: 'string',
    Active: 'boolean',
    Type: 'string',
    DueDays: 'number',
    DiscountDays: 'number',
    DiscountPercent: 'number',
    DayOfMonthDue: 'number',
    DueNextMonthDays: 'number',
    DiscountDayOfMonth: 'number',
  }),
};

const CLASS_PREFIX = 'com.intuit.schema.finance.v3.';
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}([-+]\d{2}:\d{2}|Z)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([-+]\d{2}:\d{2}|Z)?$/;

function unsupported(text: string): never {
  throw faults.invalidProperty(text);
}

function tokenOf(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (value !== null && typeof value === 'object') return 'START_OBJECT';
  return typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'boolean' ? 'VALUE_TRUE' : 'VALUE_NUMBER';
}

function checkScalar(kind: Scalar, value: unknown): void {
  if (kind === 'any' || value === null) return;
  const structured = typeof value === 'object';
  switch (kind) {
    case 'string':
      if (structured) unsupported(`Can not deserialize instance of java.lang.String out of ${tokenOf(value)} token`);
      return;
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return;
      if (typeof value === 'string' && NUMBER.test(value.trim())) return;
      if (structured)
        unsupported(`Can not deserialize instance of java.math.BigDecimal out of ${tokenOf(value)} token`);
      unsupported(
        `Can not construct instance of java.math.BigDecimal from String value '${String(value)}': not a valid representation`,
      );
      return;
    case 'boolean':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
      if (structured) unsupported(`Can not deserialize instance of java.lang.Boolean out of ${tokenOf(value)} token`);
      unsupported(
        `Can not construct instance of java.lang.Boolean from String value '${String(value)}': only "true" or "false" recognized`,
      );
      return;
    case 'date':
    case 'datetime':
      if (typeof value === 'string' && (kind === 'date' ? DATE : DATETIME).test(value)) return;
      unsupported(
        structured
          ? `Can not deserialize instance of java.util.Date out of ${tokenOf(value)} token`
          : `Can not construct instance of java.util.Date from String value '${String(value)}': not a valid representation`,
      );
  }
}

function checkField(field: Field, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof field === 'string') return checkScalar(field, value);
  if ('list' in field) {
    if (!Array.isArray(value))
      unsupported(`Can not deserialize instance of java.util.ArrayList out of ${tokenOf(value)} token`);
    for (const element of value) checkField(field.list, element);
    return;
  }
  if ('oneOf' in field) {
    checkScalar('string', value);
    if (!field.oneOf.includes(String(value)))
      unsupported(
        `Can not construct instance of ${CLASS_PREFIX}${field.cls} from String value '${String(value)}': value not one of declared Enum instance names`,
      );
    return;
  }
  checkShape(field, value);
}

/** Refuses a body (or part of one) with a property its class does not have, or a value of the wrong kind: 2010. */
export function checkShape(s: Shape, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    unsupported(`Can not deserialize instance of ${CLASS_PREFIX}${s.cls} out of ${tokenOf(value)} token`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = s.fields[key];
    if (field === undefined)
      unsupported(`Unrecognized field "${key}" (class ${CLASS_PREFIX}${s.cls}), not marked as ignorable`);
    checkField(field, v);
  }
}

/** Checks a request body for an entity against its class (an entity without a shape here is not checked). */
export function checkEntityBody(entity: string, body: Record<string, unknown>): void {
  const s = ENTITY_SHAPES[entity];
  if (s) checkShape(s, body);
}
