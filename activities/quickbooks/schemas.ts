import { z } from 'zod';

/**
 * QuickBooks Online entities and envelopes, as qbsync reads them. Loose objects: fields qbsync does not name are kept
 * (QuickBooks adds fields over minor versions, and a full update must not drop them). Only what qbsync relies on is
 * checked; amounts stay JSON numbers here and become cents through money.ts.
 */

const num = z.number();
const text = z.string();

export const RefSchema = z.looseObject({ value: text, name: text.optional() });
export const MetaDataSchema = z.looseObject({ CreateTime: text.optional(), LastUpdatedTime: text.optional() });
export const AddressSchema = z.looseObject({
  Id: text.optional(),
  Line1: text.optional(),
  Line2: text.optional(),
  Line3: text.optional(),
  City: text.optional(),
  CountrySubDivisionCode: text.optional(),
  PostalCode: text.optional(),
  Country: text.optional(),
});
export const EmailSchema = z.looseObject({ Address: text.optional() });
export const PhoneSchema = z.looseObject({ FreeFormNumber: text.optional() });

/** What every entity QuickBooks returns has. */
const base = {
  Id: text,
  SyncToken: text.optional(),
  domain: text.optional(),
  sparse: z.boolean().optional(),
  MetaData: MetaDataSchema.optional(),
};

export const CustomerSchema = z.looseObject({
  ...base,
  DisplayName: text.max(500),
  GivenName: text.optional(),
  FamilyName: text.optional(),
  CompanyName: text.optional(),
  PrimaryEmailAddr: EmailSchema.optional(),
  PrimaryPhone: PhoneSchema.optional(),
  BillAddr: AddressSchema.optional(),
  ShipAddr: AddressSchema.optional(),
  Active: z.boolean().optional(),
  Job: z.boolean().optional(),
  ParentRef: RefSchema.optional(),
  Balance: num.optional(),
  Taxable: z.boolean().optional(),
  DefaultTaxCodeRef: RefSchema.optional(),
});

export const ItemSchema = z.looseObject({
  ...base,
  Name: text,
  Type: z.enum(['Service', 'NonInventory', 'Inventory', 'Category', 'Group']).or(text).optional(),
  Sku: text.optional(),
  Description: text.optional(),
  UnitPrice: num.optional(),
  Active: z.boolean().optional(),
  Taxable: z.boolean().optional(),
  IncomeAccountRef: RefSchema.optional(),
  AssetAccountRef: RefSchema.optional(),
  TrackQtyOnHand: z.boolean().optional(),
  QtyOnHand: num.optional(),
  InvStartDate: text.optional(),
  ParentRef: RefSchema.optional(),
  SubItem: z.boolean().optional(),
});

export const TaxRateSchema = z.looseObject({
  ...base,
  Name: text,
  RateValue: num.optional(),
  Active: z.boolean().optional(),
  AgencyRef: RefSchema.optional(),
});

export const TaxCodeSchema = z.looseObject({
  ...base,
  Name: text,
  Description: text.optional(),
  Taxable: z.boolean().optional(),
  Active: z.boolean().optional(),
  SalesTaxRateList: z
    .looseObject({ TaxRateDetail: z.array(z.looseObject({ TaxRateRef: RefSchema })).optional() })
    .optional(),
});

const lineBase = { Id: text.optional(), LineNum: num.optional(), Description: text.optional(), Amount: num.optional() };

export const SalesItemLineSchema = z.looseObject({
  ...lineBase,
  DetailType: z.literal('SalesItemLineDetail'),
  SalesItemLineDetail: z.looseObject({
    ItemRef: RefSchema.optional(),
    Qty: num.optional(),
    UnitPrice: num.optional(),
    TaxCodeRef: RefSchema.optional(),
    ServiceDate: text.optional(),
  }),
});
export const SubTotalLineSchema = z.looseObject({
  ...lineBase,
  DetailType: z.literal('SubTotalLineDetail'),
  SubTotalLineDetail: z.looseObject({}).optional(),
});
export const DiscountLineSchema = z.looseObject({
  ...lineBase,
  DetailType: z.literal('DiscountLineDetail'),
  DiscountLineDetail: z
    .looseObject({
      PercentBased: z.boolean().optional(),
      DiscountPercent: num.optional(),
      DiscountAccountRef: RefSchema.optional(),
    })
    .optional(),
});
export const DescriptionOnlyLineSchema = z.looseObject({
  ...lineBase,
  DetailType: z.literal('DescriptionOnly'),
  DescriptionLineDetail: z.looseObject({}).optional(),
});
/** Line kinds qbsync does not handle (GroupLineDetail, …) still parse, so a read never fails on them. */
export const OtherLineSchema = z.looseObject({ ...lineBase, DetailType: text });

export const SalesLineSchema = z.union([
  SalesItemLineSchema,
  SubTotalLineSchema,
  DiscountLineSchema,
  DescriptionOnlyLineSchema,
  OtherLineSchema,
]);

export const LinkedTxnSchema = z.looseObject({ TxnId: text, TxnType: text, TxnLineId: text.optional() });

export const TxnTaxDetailSchema = z.looseObject({
  TxnTaxCodeRef: RefSchema.optional(),
  TotalTax: num.optional(),
  TaxLine: z.array(z.looseObject({})).optional(),
});

const salesTxn = {
  ...base,
  DocNumber: text.max(21).optional(),
  TxnDate: text.optional(),
  CustomerRef: RefSchema,
  Line: z.array(SalesLineSchema),
  TxnTaxDetail: TxnTaxDetailSchema.optional(),
  TotalAmt: num.optional(),
  BillAddr: AddressSchema.optional(),
  ShipAddr: AddressSchema.optional(),
  BillEmail: EmailSchema.optional(),
  CustomerMemo: z.looseObject({ value: text.optional() }).optional(),
  PrivateNote: text.optional(),
  CurrencyRef: RefSchema.optional(),
};

export const InvoiceSchema = z.looseObject({
  ...salesTxn,
  DueDate: text.optional(),
  Balance: num.optional(),
  LinkedTxn: z.array(LinkedTxnSchema).optional(),
});
export const EstimateSchema = z.looseObject({
  ...salesTxn,
  ExpirationDate: text.optional(),
  TxnStatus: text.optional(),
  LinkedTxn: z.array(LinkedTxnSchema).optional(),
});

export const PaymentSchema = z.looseObject({
  ...base,
  TxnDate: text.optional(),
  CustomerRef: RefSchema,
  TotalAmt: num,
  UnappliedAmt: num.optional(),
  PaymentRefNum: text.optional(),
  DepositToAccountRef: RefSchema.optional(),
  PrivateNote: text.optional(),
  Line: z.array(z.looseObject({ Amount: num, LinkedTxn: z.array(LinkedTxnSchema) })).optional(),
});

export const CompanyInfoSchema = z.looseObject({
  ...base,
  CompanyName: text,
  LegalName: text.optional(),
  Country: text.optional(),
  CompanyAddr: AddressSchema.optional(),
  FiscalYearStartMonth: text.optional(),
});

export const PreferencesSchema = z.looseObject({
  ...base,
  SalesFormsPrefs: z
    .looseObject({
      CustomTxnNumbers: z.boolean().optional(),
      AllowDiscount: z.boolean().optional(),
      AllowShipping: z.boolean().optional(),
    })
    .optional(),
  TaxPrefs: z
    .looseObject({ UsingSalesTax: z.boolean().optional(), PartnerTaxEnabled: z.boolean().optional() })
    .optional(),
  CurrencyPrefs: z
    .looseObject({ MultiCurrencyEnabled: z.boolean().optional(), HomeCurrency: RefSchema.optional() })
    .optional(),
});

/** A deleted object as CDC (and a delete) answers it. */
export const DeletedSchema = z.looseObject({
  Id: text,
  status: z.literal('Deleted'),
  domain: text.optional(),
  MetaData: MetaDataSchema.optional(),
});

/** Any other entity: at least an Id. */
export const AnyEntitySchema = z.looseObject({
  Id: text,
  SyncToken: text.optional(),
  MetaData: MetaDataSchema.optional(),
});

export const ENTITY_SCHEMAS = {
  Customer: CustomerSchema,
  Item: ItemSchema,
  TaxCode: TaxCodeSchema,
  TaxRate: TaxRateSchema,
  Invoice: InvoiceSchema,
  Estimate: EstimateSchema,
  Payment: PaymentSchema,
  CompanyInfo: CompanyInfoSchema,
  Preferences: PreferencesSchema,
} as const;

export type QboRef = z.infer<typeof RefSchema>;
export type QboMetaData = z.infer<typeof MetaDataSchema>;
export type QboAddress = z.infer<typeof AddressSchema>;
export type QboCustomer = z.infer<typeof CustomerSchema>;
export type QboItem = z.infer<typeof ItemSchema>;
export type QboTaxCode = z.infer<typeof TaxCodeSchema>;
export type QboTaxRate = z.infer<typeof TaxRateSchema>;
export type QboSalesLine = z.infer<typeof SalesLineSchema>;
export type QboInvoice = z.infer<typeof InvoiceSchema>;
export type QboEstimate = z.infer<typeof EstimateSchema>;
export type QboPayment = z.infer<typeof PaymentSchema>;
export type QboCompanyInfo = z.infer<typeof CompanyInfoSchema>;
export type QboPreferences = z.infer<typeof PreferencesSchema>;
export type QboDeleted = z.infer<typeof DeletedSchema>;
export type QboObject = z.infer<typeof AnyEntitySchema>;

export interface QboEntities {
  Customer: QboCustomer;
  Item: QboItem;
  TaxCode: QboTaxCode;
  TaxRate: QboTaxRate;
  Invoice: QboInvoice;
  Estimate: QboEstimate;
  Payment: QboPayment;
  CompanyInfo: QboCompanyInfo;
  Preferences: QboPreferences;
}

/** The type of an entity by name; entities without a schema are `QboObject`. */
export type EntityOf<E extends string> = E extends keyof QboEntities ? QboEntities[E] : QboObject;

export function schemaFor(entity: string): z.ZodType<QboObject> {
  return (ENTITY_SCHEMAS as Record<string, z.ZodType<QboObject>>)[entity] ?? AnyEntitySchema;
}

// Envelopes.

export const FaultErrorSchema = z.looseObject({
  Message: text.optional(),
  Detail: text.optional(),
  code: text.optional(),
  element: text.nullish(),
});
export const FaultSchema = z.looseObject({ Error: z.array(FaultErrorSchema), type: text.optional() });
export const FaultEnvelopeSchema = z.looseObject({ Fault: FaultSchema, time: text.optional() });
/** The 401's shape: lowercase keys, epoch-millisecond time. */
export const LowercaseFaultEnvelopeSchema = z.looseObject({
  fault: z.looseObject({
    error: z.array(
      z.looseObject({
        message: text.optional(),
        detail: text.optional(),
        code: text.optional(),
        element: text.nullish(),
      }),
    ),
    type: text.optional(),
  }),
  time: z.union([num, text]).optional(),
});

const QUERY_RESPONSE_META = new Set(['startPosition', 'maxResults', 'totalCount']);
/**
 * A QueryResponse: paging numbers, and per entity a list of records. `{}` is a valid answer: zero rows (QuickBooks
 * leaves the entity out when nothing matched). An entity that is not a list is not what QuickBooks sends.
 */
export const QueryResponseSchema = z
  .looseObject({
    startPosition: num.optional(),
    maxResults: num.optional(),
    totalCount: num.optional(),
  })
  .superRefine((response, ctx) => {
    for (const [key, value] of Object.entries(response)) {
      if (QUERY_RESPONSE_META.has(key)) continue;
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v)))
        ctx.addIssue({ code: 'custom', path: [key], message: 'expected a list of records' });
    }
  });
/** A query's answer: the QueryResponse is required (a 200 without one is a fault, never an empty page). */
export const QueryEnvelopeSchema = z.looseObject({ QueryResponse: QueryResponseSchema, time: text.optional() });
/** A `SELECT COUNT(*)` answer: the count is required. */
export const CountEnvelopeSchema = z.looseObject({
  QueryResponse: z.looseObject({ totalCount: num.int().nonnegative() }),
  time: text.optional(),
});
/** An answer that carries one entity under its name (read, create, update, void, delete, CompanyInfo, Preferences). */
export function entityEnvelopeSchema(entity: string) {
  return z.looseObject({ [entity]: z.looseObject({}), time: text.optional() });
}

export const CdcEnvelopeSchema = z.looseObject({
  CDCResponse: z.array(z.looseObject({ QueryResponse: z.array(QueryResponseSchema).optional() })),
  time: text.optional(),
});

export const BatchItemResponseSchema = z.looseObject({
  bId: text,
  Fault: FaultSchema.optional(),
  QueryResponse: QueryResponseSchema.optional(),
});
export const BatchEnvelopeSchema = z.looseObject({
  BatchItemResponse: z.array(BatchItemResponseSchema),
  time: text.optional(),
});

export type QboQueryResponse = z.infer<typeof QueryResponseSchema>;
export type QboBatchItemResponse = z.infer<typeof BatchItemResponseSchema>;
