import type { Company, Obj } from '../company';
import { faults } from '../faults';
import { fromCents, lineAmountCents, percentOfCents, toCents } from '../money';
import type { WriteOptions } from './rules';
import { HOME_CURRENCY, identifyAddress } from './customer';

type Line = Record<string, unknown>;
const MAX_DOC_NUMBER = 21;

/** DocNumber rules: ≤ 21 characters; QuickBooks numbers new transactions unless custom numbers are on; duplicates fail with 6140 unless allowed. */
function assignDocNumber(
  company: Company,
  e: 'Invoice' | 'Estimate',
  obj: Obj,
  previous: Obj | undefined,
  options: WriteOptions,
): void {
  let doc = typeof obj.DocNumber === 'string' ? obj.DocNumber : undefined;
  if (doc !== undefined && doc.length > MAX_DOC_NUMBER)
    throw faults.businessValidation(
      `DocNumber is too long: maximum ${MAX_DOC_NUMBER} characters (${doc.length} given).`,
      'DocNumber',
    );
  if (!previous) {
    if (doc === 'AUTO_GENERATE' || (!company.customTxnNumbers && doc === undefined))
      doc = String(++company.lastDocNumber);
  } else if (doc === undefined && typeof previous.DocNumber === 'string') {
    // A full update that omits the number keeps it: clients rarely echo numbers QuickBooks assigned.
    doc = previous.DocNumber;
  }
  if (doc === undefined) {
    delete obj.DocNumber;
    return;
  }
  obj.DocNumber = doc;
  if (company.customTxnNumbers && !options.allowDuplicateDocNumber && doc !== previous?.DocNumber) {
    for (const holder of company.indexes.docNumberHolders(e, doc) ?? [])
      if (holder !== obj.Id) throw faults.duplicateDocNumber(doc, holder, e);
  }
  if (/^\d{1,15}$/.test(doc) && Number(doc) > company.lastDocNumber) company.lastDocNumber = Number(doc);
}

/** Lines: amounts exact to the cent (Qty × UnitPrice must match Amount), a SubTotalLineDetail line appended; returns subtotal and taxable cents. */
function priceLines(company: Company, obj: Obj): { subtotal: number; taxable: number } {
  const lines = obj.Line as Line[] | undefined;
  if (!Array.isArray(lines) || lines.length === 0) throw faults.required('Line');
  if (lines.length > 750)
    throw faults.businessValidation('A transaction can have at most 750 lines when sales tax applies.', 'Line');
  let subtotal = 0;
  let taxable = 0;
  const kept: Line[] = [];
  for (const raw of lines) {
    const line = { ...raw };
    if (line.DetailType === 'SubTotalLineDetail') continue;
    line.LineNum = kept.length + 1;
    line.Id = String(kept.length + 1);
    if (line.DetailType === 'SalesItemLineDetail') {
      const detail = { ...(line.SalesItemLineDetail as Line | undefined) };
      if (detail.ItemRef) {
        const item = company.ref('Item', detail.ItemRef, 'ItemRef');
        detail.ItemRef = { value: item.Id, name: item.FullyQualifiedName ?? item.Name };
      }
      const qty = detail.Qty === undefined ? undefined : Number(detail.Qty);
      const price = detail.UnitPrice === undefined ? undefined : Number(detail.UnitPrice);
      const amount = line.Amount === undefined ? lineAmountCents(qty ?? 1, price ?? 0) : toCents(line.Amount);
      if (qty !== undefined && price !== undefined && lineAmountCents(qty, price) !== amount) {
        throw faults.businessValidation(
          `Amount is not equal to UnitPrice * Qty. Supplied value:${fromCents(amount)}`,
          'Line.Amount',
        );
      }
      line.Amount = fromCents(amount);
      detail.TaxCodeRef = detail.TaxCodeRef ?? { value: 'NON' };
      line.SalesItemLineDetail = detail;
      subtotal += amount;
      if ((detail.TaxCodeRef as { value?: string }).value === 'TAX') taxable += amount;
    } else if (line.DetailType === 'DiscountLineDetail') {
      const amount = Math.abs(toCents(line.Amount ?? 0));
      line.Amount = fromCents(amount);
      subtotal -= amount;
    } else if (line.DetailType === 'DescriptionOnly') {
      line.Amount = fromCents(toCents(line.Amount ?? 0));
    } else throw faults.invalidValue('Line.DetailType', `Unsupported DetailType ${String(line.DetailType)}`);
    kept.push(line);
  }
  kept.push({ Amount: fromCents(subtotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
  obj.Line = kept;
  return { subtotal, taxable };
}

type TaxDetail = { TxnTaxCodeRef?: { value?: string }; TotalTax?: unknown };

/** Sales tax: an explicit TotalTax in the request is honoured; otherwise each of the code's sales rates applies to the taxable lines. */
function computeTax(company: Company, obj: Obj, taxable: number, sent: Record<string, unknown>): number {
  const detail = obj.TxnTaxDetail as TaxDetail | undefined;
  const explicit = (sent.TxnTaxDetail as TaxDetail | undefined)?.TotalTax;
  if (!detail?.TxnTaxCodeRef?.value) {
    const total = explicit === undefined ? 0 : toCents(explicit);
    obj.TxnTaxDetail = { TotalTax: fromCents(total) };
    return total;
  }
  const code = company.ref('TaxCode', detail.TxnTaxCodeRef, 'TxnTaxDetail.TxnTaxCodeRef');
  const rateRefs =
    (code.SalesTaxRateList as { TaxRateDetail?: Array<{ TaxRateRef?: { value?: string } }> } | undefined)
      ?.TaxRateDetail ?? [];
  const taxLines: Line[] = [];
  let total = 0;
  for (const ref of rateRefs) {
    const rate = ref.TaxRateRef?.value ? company.table('TaxRate').get(ref.TaxRateRef.value) : undefined;
    if (!rate) continue;
    const amount = percentOfCents(taxable, rate.RateValue);
    total += amount;
    taxLines.push({
      Amount: fromCents(amount),
      DetailType: 'TaxLineDetail',
      TaxLineDetail: {
        TaxRateRef: { value: rate.Id },
        PercentBased: true,
        TaxPercent: Number(rate.RateValue),
        NetAmountTaxable: fromCents(taxable),
      },
    });
  }
  if (explicit !== undefined) total = toCents(explicit);
  obj.TxnTaxDetail = { TxnTaxCodeRef: { value: code.Id }, TotalTax: fromCents(total), TaxLine: taxLines };
  return total;
}

const DAY_MS = 86_400_000;

/** A date plus days, as yyyy-mm-dd. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const absent = (v: unknown) => v === undefined || v === null;

/**
 * What QuickBooks fills in on a sales form from its customer and the company: the customer's name on the reference,
 * its addresses (with Ids of their own), the home currency, the terms (the customer's, else the company's preferred
 * terms) and — on an invoice — the due date they give, and the print/email status. Sent values stand.
 */
function fillFromCustomer(company: Company, e: 'Invoice' | 'Estimate', obj: Obj, customer: Obj): void {
  obj.CustomerRef = { value: customer.Id, name: customer.DisplayName };
  for (const field of ['BillAddr', 'ShipAddr'] as const) {
    if (absent(obj[field]) && customer[field]) {
      const copy = { ...(customer[field] as Record<string, unknown>) };
      delete copy.Id;
      obj[field] = copy;
    }
    identifyAddress(company, obj[field]);
  }
  obj.CurrencyRef = HOME_CURRENCY;
  if (absent(obj.TxnDate)) obj.TxnDate = company.time().slice(0, 10);
  const termRef = obj.SalesTermRef ?? customer.SalesTermRef ?? { value: company.defaultTermsId };
  const term = company.ref('Term', termRef, 'SalesTermRef');
  obj.SalesTermRef = { value: term.Id, name: term.Name };
  if (e === 'Invoice' && absent(obj.DueDate)) obj.DueDate = addDays(String(obj.TxnDate), Number(term.DueDays ?? 0));
  const delivery = customer.PreferredDeliveryMethod;
  if (absent(obj.PrintStatus)) obj.PrintStatus = delivery === 'Print' ? 'NeedToPrint' : 'NotSet';
  if (absent(obj.EmailStatus))
    obj.EmailStatus =
      delivery === 'Email' && (obj.BillEmail as { Address?: string } | undefined)?.Address ? 'NeedToSend' : 'NotSet';
  if (e === 'Estimate' && absent(obj.TxnStatus)) obj.TxnStatus = 'Pending';
  if (absent(obj.ApplyTaxAfterDiscount)) obj.ApplyTaxAfterDiscount = false;
  if (absent(obj.CustomField)) obj.CustomField = [];
  if (absent(obj.FreeFormAddress)) obj.FreeFormAddress = false;
  if (e === 'Invoice')
    for (const f of ['AllowIPNPayment', 'AllowOnlinePayment', 'AllowOnlineCreditCardPayment', 'AllowOnlineACHPayment'])
      if (absent(obj[f])) obj[f] = false;
}

/** Invoice and Estimate rules: customer and items must exist and be active; totals are computed; the invoice Balance accounts for payments. */
export function applySalesTransaction(
  company: Company,
  e: 'Invoice' | 'Estimate',
  obj: Obj,
  previous: Obj | undefined,
  sent: Record<string, unknown>,
  options: WriteOptions,
): void {
  const customer = company.ref('Customer', obj.CustomerRef, 'CustomerRef');
  fillFromCustomer(company, e, obj, customer);
  assignDocNumber(company, e, obj, previous, options);
  const { subtotal, taxable } = priceLines(company, obj);
  const tax = computeTax(company, obj, taxable, sent);
  const total = subtotal + tax;
  obj.TotalAmt = fromCents(total);
  if (e === 'Invoice') {
    const paid = previous ? toCents(previous.TotalAmt) - toCents(previous.Balance) : 0;
    obj.Balance = fromCents(Math.max(total - paid, 0));
    obj.LinkedTxn = previous?.LinkedTxn ?? [];
  }
}
