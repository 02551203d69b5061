/**
 * Request documents qbsync's Desktop backend will send (valid) and the faults QuickBooks rejects (invalid), each with
 * the verdict QuickBooks gives. The same cases can be replayed against Intuit's qbXML schema by an independent check:
 * `accept` documents must validate, `reject` ones must not (except `schemaNeutral` ones, which the schema cannot see).
 */
import { qbxml } from './qbxml';

export interface CorpusCase {
  name: string;
  xml: string;
  /** accept: no request answers with severity Error. document: hresult 0x80040400. A number: that request status. */
  expect: 'accept' | 'document' | number;
  /** The 13.0 schema cannot judge it (a version rule, a reference, a value the schema types as a plain string). */
  schemaNeutral?: boolean;
}

const GUID = '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}';
const address =
  '<BillAddress><Addr1>Ship &amp; Co</Addr1><Addr2>12 Main St</Addr2><City>Oakland</City><State>CA</State><PostalCode>94607</PostalCode><Country>US</Country></BillAddress>';
const line = (item: string, qty: string, extra = '') =>
  `<ItemRef><FullName>${item}</FullName></ItemRef><Desc>Line for ${item}</Desc><Quantity>${qty}</Quantity>${extra}`;

export const CORPUS: CorpusCase[] = [
  { name: 'host query', xml: qbxml('<HostQueryRq requestID="h"/>'), expect: 'accept' },
  {
    name: 'company and preferences',
    xml: qbxml('<CompanyQueryRq requestID="c"/><PreferencesQueryRq requestID="p"/>'),
    expect: 'accept',
  },
  {
    name: 'customer query, iterator start with filters',
    xml: qbxml(
      '<CustomerQueryRq requestID="cq" iterator="Start"><MaxReturned>100</MaxReturned><ActiveStatus>All</ActiveStatus><FromModifiedDate>2020-01-01T00:00:00</FromModifiedDate><IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>EditSequence</IncludeRetElement><IncludeRetElement>FullName</IncludeRetElement><IncludeRetElement>PriceLevelRef</IncludeRetElement><OwnerID>0</OwnerID></CustomerQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'customer query by full name',
    xml: qbxml('<CustomerQueryRq requestID="2"><FullName>Abercrombie Hardware</FullName></CustomerQueryRq>'),
    expect: 'accept',
  },
  {
    name: 'customer query with a name filter',
    xml: qbxml(
      '<CustomerQueryRq><MaxReturned>5</MaxReturned><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>B</Name></NameFilter></CustomerQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'item query with modified date and iterator',
    xml: qbxml(
      '<ItemQueryRq requestID="iq" iterator="Start"><MaxReturned>50</MaxReturned><FromModifiedDate>2021-06-01</FromModifiedDate></ItemQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'inventory item query',
    xml: qbxml('<ItemInventoryQueryRq requestID="ii"><ActiveStatus>ActiveOnly</ActiveStatus></ItemInventoryQueryRq>'),
    expect: 'accept',
  },
  { name: 'service item query', xml: qbxml('<ItemServiceQueryRq/>'), expect: 'accept' },
  { name: 'non-inventory item query', xml: qbxml('<ItemNonInventoryQueryRq/>'), expect: 'accept' },
  {
    name: 'group, discount, other charge, sales tax items',
    xml: qbxml('<ItemGroupQueryRq/><ItemDiscountQueryRq/><ItemOtherChargeQueryRq/><ItemSalesTaxQueryRq/>'),
    expect: 'accept',
  },
  {
    name: 'price level query',
    xml: qbxml('<PriceLevelQueryRq requestID="pl"><ActiveStatus>All</ActiveStatus></PriceLevelQueryRq>'),
    expect: 'accept',
  },
  { name: 'sales tax code query', xml: qbxml('<SalesTaxCodeQueryRq requestID="st"/>'), expect: 'accept' },
  {
    name: 'deleted lists and transactions',
    xml: qbxml(
      '<ListDeletedQueryRq><ListDelType>Customer</ListDelType><ListDelType>ItemInventory</ListDelType><DeletedDateRangeFilter><FromDeletedDate>2024-01-01T00:00:00-08:00</FromDeletedDate></DeletedDateRangeFilter></ListDeletedQueryRq><TxnDeletedQueryRq><TxnDelType>SalesOrder</TxnDelType><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'customer add with addresses, tax code, price level and ExternalGUID',
    xml: qbxml(
      `<CustomerAddRq requestID="ca"><CustomerAdd><Name>New Customer Pty</Name><IsActive>true</IsActive><CompanyName>New Customer Pty</CompanyName><FirstName>Ana</FirstName><LastName>Lopez</LastName>${address}<ShipAddress><Addr1>Warehouse</Addr1><City>Oakland</City></ShipAddress><Phone>415-555-0100</Phone><Email>ana@example.com</Email><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><PriceLevelRef><FullName>Trade Prices</FullName></PriceLevelRef><ExternalGUID>${GUID}</ExternalGUID></CustomerAdd></CustomerAddRq>`,
    ),
    expect: 'accept',
  },
  {
    name: 'a job under a customer',
    xml: qbxml(
      '<CustomerAddRq><CustomerAdd><Name>Kitchen 2025</Name><ParentRef><FullName>Baker Street Builders</FullName></ParentRef></CustomerAdd></CustomerAddRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'sales order add, price level line, ExternalGUID',
    xml: qbxml(
      `<SalesOrderAddRq requestID="so"><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>${address}<PONumber>PO-77</PONumber><Memo>From SalesIn</Memo><IsTaxIncluded>false</IsTaxIncluded><ExternalGUID>${GUID}</ExternalGUID><SalesOrderLineAdd>${line('Hardware:Claw Hammer', '2', '<PriceLevelRef><FullName>Trade Prices</FullName></PriceLevelRef>')}</SalesOrderLineAdd><SalesOrderLineAdd>${line('Services:Delivery', '1', '<Rate>45.00</Rate><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef>')}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
    ),
    expect: 'accept',
  },
  {
    name: 'invoice add with RefNumber and amount lines',
    xml: qbxml(
      `<InvoiceAddRq requestID="inv"><InvoiceAdd><CustomerRef><FullName>Cedar Lane Nursery</FullName></CustomerRef><RefNumber>INV-9001</RefNumber><Memo>Invoice</Memo><InvoiceLineAdd>${line('Garden:Potting Mix 25L', '10', '<Rate>15.99</Rate>')}</InvoiceLineAdd><InvoiceLineAdd><ItemRef><FullName>Freight</FullName></ItemRef><Amount>25.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`,
    ),
    expect: 'accept',
  },
  {
    name: 'estimate add',
    xml: qbxml(
      `<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Delta Plumbing</FullName></CustomerRef><EstimateLineAdd>${line('Hardware:Cordless Drill', '1')}</EstimateLineAdd></EstimateAdd></EstimateAddRq>`,
    ),
    expect: 'accept',
  },
  {
    name: 'sales order query with entity filter and line items',
    xml: qbxml(
      '<SalesOrderQueryRq requestID="sq" iterator="Start"><MaxReturned>20</MaxReturned><ModifiedDateRangeFilter><FromModifiedDate>2024-01-01</FromModifiedDate></ModifiedDateRangeFilter><EntityFilter><FullName>Abercrombie Hardware</FullName></EntityFilter><IncludeLineItems>true</IncludeLineItems></SalesOrderQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'invoice query by RefNumber',
    xml: qbxml(
      '<InvoiceQueryRq><RefNumber>10001</RefNumber><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'estimate and payment queries',
    xml: qbxml(
      '<EstimateQueryRq><MaxReturned>1</MaxReturned></EstimateQueryRq><ReceivePaymentQueryRq><MaxReturned>1</MaxReturned></ReceivePaymentQueryRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'receive payment, auto-applied',
    xml: qbxml(
      '<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Cedar Lane Nursery</FullName></CustomerRef><TotalAmount>10.00</TotalAmount><IsAutoApply>true</IsAutoApply></ReceivePaymentAdd></ReceivePaymentAddRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'Reckon 6.1 sales order without ExternalGUID, GST inclusive',
    xml: qbxml(
      `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><IsTaxIncluded>true</IsTaxIncluded><SalesOrderLineAdd>${line('Hardware:Claw Hammer', '1', '<SalesTaxCodeRef><FullName>GST</FullName></SalesTaxCodeRef>')}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
      { version: '6.1' },
    ),
    expect: 'accept',
    schemaNeutral: true, // run against the Reckon company
  },

  {
    name: 'inventory item add under a category, with stock',
    xml: qbxml(
      '<ItemInventoryAddRq><ItemInventoryAdd><Name>Spirit Level 600mm</Name><ParentRef><FullName>Hardware</FullName></ParentRef><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesDesc>Spirit level</SalesDesc><SalesPrice>29.90</SalesPrice><PurchaseCost>12.00</PurchaseCost><QuantityOnHand>12</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'service and non-inventory item adds',
    xml: qbxml(
      '<ItemServiceAddRq><ItemServiceAdd><Name>Assembly</Name><ParentRef><FullName>Services</FullName></ParentRef><SalesOrPurchase><Desc>Assembly per hour</Desc><Price>60.00</Price></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq><ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Gift Card</Name><IsActive>true</IsActive><ParentRef><FullName>Garden</FullName></ParentRef><SalesAndPurchase><SalesDesc>Gift card</SalesDesc><SalesPrice>50</SalesPrice></SalesAndPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>',
    ),
    expect: 'accept',
  },
  {
    name: 'ISO-8859-1 text and escaped ampersands are fine',
    xml: qbxml(
      '<CustomerAddRq><CustomerAdd><Name>Café Müller &amp; Söhne</Name><Notes>Prix: 5 EUR, «ok», ±1°, ½</Notes></CustomerAdd></CustomerAddRq>',
    ),
    expect: 'accept',
  },
  // ---- what QuickBooks rejects ----
  {
    name: 'element out of order (ActiveStatus before MaxReturned)',
    xml: qbxml('<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>10</MaxReturned></CustomerQueryRq>'),
    expect: 'document',
  },
  {
    name: 'element out of order in an add (Memo before PONumber)',
    xml: qbxml(
      `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><Memo>m</Memo><PONumber>1</PONumber><SalesOrderLineAdd>${line('Hardware:Claw Hammer', '1')}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
    ),
    expect: 'document',
  },
  {
    name: 'ExternalGUID after the lines',
    xml: qbxml(
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><InvoiceLineAdd>${line('Hardware:Claw Hammer', '1')}</InvoiceLineAdd><ExternalGUID>${GUID}</ExternalGUID></InvoiceAdd></InvoiceAddRq>`,
    ),
    expect: 'document',
  },
  {
    name: 'Rate and PriceLevelRef on one line (a choice)',
    xml: qbxml(
      `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><SalesOrderLineAdd>${line('Hardware:Claw Hammer', '1', '<Rate>1.00</Rate><PriceLevelRef><FullName>Trade Prices</FullName></PriceLevelRef>')}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
    ),
    expect: 'document',
  },
  {
    name: 'unknown element',
    xml: qbxml('<CustomerQueryRq><Colour>red</Colour></CustomerQueryRq>'),
    expect: 'document',
  },
  { name: 'unknown request', xml: qbxml('<CustomerFindRq/>'), expect: 'document' },
  {
    name: 'sales order add without lines',
    xml: qbxml(
      '<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef></SalesOrderAdd></SalesOrderAddRq>',
    ),
    expect: 'document',
  },
  {
    name: 'customer add without Name',
    xml: qbxml('<CustomerAddRq><CustomerAdd><CompanyName>x</CompanyName></CustomerAdd></CustomerAddRq>'),
    expect: 'document',
  },
  {
    name: 'unescaped ampersand',
    xml: qbxml('<CustomerAddRq><CustomerAdd><Name>Smith & Sons</Name></CustomerAdd></CustomerAddRq>'),
    expect: 'document',
  },
  {
    name: 'bad boolean',
    xml: qbxml('<CustomerAddRq><CustomerAdd><Name>Yes Co</Name><IsActive>yes</IsActive></CustomerAdd></CustomerAddRq>'),
    expect: 'document',
  },
  {
    name: 'bad enumeration',
    xml: qbxml('<CustomerQueryRq><ActiveStatus>Everything</ActiveStatus></CustomerQueryRq>'),
    expect: 'document',
  },
  {
    name: 'iterator on a query that has none',
    xml: qbxml('<PriceLevelQueryRq iterator="Start"/>'),
    expect: 'document',
  },
  {
    name: 'MaxReturned with ListID (not in that branch)',
    xml: qbxml('<CustomerQueryRq><ListID>80000001-1</ListID><MaxReturned>1</MaxReturned></CustomerQueryRq>'),
    expect: 'document',
  },
  { name: 'onError missing', xml: qbxml('<HostQueryRq/>', { attrs: '' }), expect: 'document' },
  {
    name: 'character outside ISO-8859-1',
    xml: qbxml('<CustomerAddRq><CustomerAdd><Name>Zürich Ł Supplies</Name></CustomerAdd></CustomerAddRq>'),
    expect: 'document',
    schemaNeutral: true, // the schema allows any Unicode; QuickBooks' parser does not
  },
  {
    name: 'no XML declaration',
    xml: '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq/></QBXMLMsgsRq></QBXML>',
    expect: 'document',
    schemaNeutral: true,
  },
  {
    name: 'ExternalGUID in a qbXML 6.1 document (newer than 6.1)',
    xml: qbxml(
      `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><ExternalGUID>${GUID}</ExternalGUID><SalesOrderLineAdd>${line('Hardware:Claw Hammer', '1')}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
      { version: '6.1' },
    ),
    expect: 'document',
    schemaNeutral: true,
  },
  {
    name: 'non-inventory item with ClassRef before ParentRef (the service order)',
    xml: qbxml(
      '<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Mulch</Name><ClassRef><FullName>Retail</FullName></ClassRef><ParentRef><FullName>Garden</FullName></ParentRef><SalesOrPurchase><Price>5</Price></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>',
    ),
    expect: 'document',
  },
  {
    name: 'service item without SalesOrPurchase or SalesAndPurchase',
    xml: qbxml('<ItemServiceAddRq><ItemServiceAdd><Name>Bare</Name></ItemServiceAdd></ItemServiceAddRq>'),
    expect: 'document',
  },
  {
    name: 'item Name of 32 characters',
    xml: qbxml(
      `<ItemServiceAddRq><ItemServiceAdd><Name>${'I'.repeat(32)}</Name><SalesOrPurchase><Price>1</Price></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`,
    ),
    expect: 3070,
  },
  {
    name: 'a numeric reference outside ISO-8859-1',
    xml: qbxml('<CustomerAddRq><CustomerAdd><Name>&#x141;ódź Imports</Name></CustomerAdd></CustomerAddRq>'),
    expect: 'document',
    schemaNeutral: true,
  },
  {
    name: 'customer Name of 42 characters',
    xml: qbxml(`<CustomerAddRq><CustomerAdd><Name>${'N'.repeat(42)}</Name></CustomerAdd></CustomerAddRq>`),
    expect: 3070,
  },
  {
    name: 'RefNumber of 12 characters',
    xml: qbxml(
      `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><RefNumber>123456789012</RefNumber><InvoiceLineAdd>${line('Hardware:Claw Hammer', '1')}</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`,
    ),
    expect: 3070,
  },
  {
    name: 'PONumber of 26 characters',
    xml: qbxml(
      `<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Abercrombie Hardware</FullName></CustomerRef><PONumber>${'P'.repeat(26)}</PONumber><EstimateLineAdd>${line('Hardware:Claw Hammer', '1')}</EstimateLineAdd></EstimateAdd></EstimateAddRq>`,
    ),
    expect: 3070,
  },
  {
    name: 'IncludeRetElement of 51 characters',
    xml: qbxml(`<CustomerQueryRq><IncludeRetElement>${'X'.repeat(51)}</IncludeRetElement></CustomerQueryRq>`),
    expect: 3070,
  },
  {
    name: 'ExternalGUID that is not a GUID',
    xml: qbxml(
      '<CustomerAddRq><CustomerAdd><Name>Guidless</Name><ExternalGUID>not-a-guid</ExternalGUID></CustomerAdd></CustomerAddRq>',
    ),
    expect: 3210,
    schemaNeutral: true, // GUIDTYPE is a plain string in the schema
  },
];
