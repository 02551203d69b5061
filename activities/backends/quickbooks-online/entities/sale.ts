import type { SaleQboEntity } from '../../../../schema/tables/orderTaking';
import { cents, chunk, isoDate, text } from '../../../sync/entities/common';
import {
  linesCents,
  saleLabel,
  type AcceptedSale,
  type SaleRecord,
  type SaleToSend,
} from '../../../sync/entities/sale';
import { MappingProblem } from '../../../sync/entity';
import type { TransferKind } from '../../../sync/orderTaking/settings';
import { select } from '../../../quickbooks/query';
import type { QboObject, RefMap } from '../entity';
import { decimalToNumber } from './common';
import { MAX_DOC_NUMBER } from './invoice';

/**
 * The QuickBooks Online document a sale becomes: QuickBooks Online has no sales orders, so an order becomes what the
 * tenant's `orderAs` says (an estimate, by default, or an invoice).
 */
export function documentOf(sale: SaleToSend): SaleQboEntity {
  const { kind, orderAs } = sale.transfer;
  if (kind === 'Invoice') return 'Invoice';
  if (kind === 'Quote') return 'Estimate';
  return orderAs;
}

/** Sales link to an Invoice or an Estimate, whose Ids need not be unique across the two: the link names which. */
export function saleLinkId(entity: SaleQboEntity, qboId: string): string {
  return `${entity}:${qboId}`;
}

/**
 * The QuickBooks Invoice or Estimate a sale becomes. References are resolved through the links (customers, items and
 * tax codes are QuickBooks' in this mode). An order is marked as one in the private note (QuickBooks Online has no
 * sales orders) and, as an estimate, is already accepted. The app's number is sent only with custom transaction numbers
 * on; off, QuickBooks numbers the document and the number is stamped back.
 */
export function saleToQbo(
  sale: SaleRecord,
  kind: TransferKind,
  entity: SaleQboEntity,
  refs: RefMap,
): Record<string, unknown> | MappingProblem {
  const owner = saleLabel(sale);
  if (sale.number && refs.customTxnNumbers && sale.number.length > MAX_DOC_NUMBER) {
    return new MappingProblem(
      `${owner} has a number of ${sale.number.length} characters; QuickBooks allows ${MAX_DOC_NUMBER}`,
      `shorten the sale number to ${MAX_DOC_NUMBER} characters in the app`,
      '6000',
    );
  }
  const customer = refs.qboId('customer', sale.customerId);
  if (!customer)
    return new MappingProblem(
      `${owner} is for app customer ${sale.customerId}, which is not in QuickBooks`,
      'make sure the customer synced without error (see the customers step), then run the sync again',
      'qbsync-missing-customer',
    );
  if (sale.lines.length === 0)
    return new MappingProblem(
      `${owner} has no lines; QuickBooks needs at least one`,
      'add a line to the sale in the app',
      'qbsync-no-lines',
    );

  const lines: Array<Record<string, unknown>> = [];
  for (const [i, line] of sale.lines.entries()) {
    if (line.kind === 'description') {
      lines.push({ DetailType: 'DescriptionOnly', Description: line.description ?? '' });
      continue;
    }
    if (line.kind === 'discount') {
      lines.push({
        DetailType: 'DiscountLineDetail',
        Description: line.description ?? undefined,
        Amount: Math.abs(Number(line.amount)),
        DiscountLineDetail: { PercentBased: false },
      });
      continue;
    }
    const item = line.itemId ? refs.qboId('item', line.itemId) : undefined;
    if (line.itemId && !item)
      return new MappingProblem(
        `${owner} line ${i + 1} uses app item ${line.itemId}, which is not in QuickBooks`,
        'choose an item that came from QuickBooks (items are created there in order-taking mode)',
        'qbsync-missing-item',
      );
    const taxCode = line.taxCodeId ? refs.qboId('tax_code', line.taxCodeId) : undefined;
    if (line.taxCodeId && !taxCode)
      return new MappingProblem(
        `${owner} line ${i + 1} uses app tax code ${line.taxCodeId}, which did not come from QuickBooks`,
        'choose a tax code that exists in QuickBooks',
        'qbsync-missing-tax-code',
      );
    lines.push({
      DetailType: 'SalesItemLineDetail',
      Description: line.description ?? undefined,
      Amount: Number(line.amount),
      SalesItemLineDetail: {
        ItemRef: item ? { value: item } : undefined,
        Qty: decimalToNumber(line.quantity),
        UnitPrice: decimalToNumber(line.unitPrice),
        TaxCodeRef: taxCode ? { value: taxCode } : undefined,
      },
    });
  }

  const note = [
    kind === 'Order' ? `Order${sale.number ? ` ${sale.number}` : ''}` : undefined,
    sale.privateNote ?? undefined,
  ]
    .filter(Boolean)
    .join(' — ');
  const body: Record<string, unknown> = {
    CustomerRef: { value: customer },
    TxnDate: sale.txnDate,
    Line: lines,
    CustomerMemo: sale.memo ? { value: sale.memo } : undefined,
    PrivateNote: note || undefined,
  };
  if (entity === 'Invoice') body.DueDate = sale.dueDate ?? undefined;
  else
    Object.assign(body, {
      ExpirationDate: sale.dueDate ?? undefined,
      TxnStatus: kind === 'Order' ? 'Accepted' : 'Pending',
    });
  if (sale.number && refs.customTxnNumbers) body.DocNumber = sale.number;
  if (sale.taxCodeId) {
    const taxCode = refs.qboId('tax_code', sale.taxCodeId);
    if (!taxCode)
      return new MappingProblem(
        `${owner} uses app tax code ${sale.taxCodeId}, which did not come from QuickBooks`,
        'choose a tax code that exists in QuickBooks',
        'qbsync-missing-tax-code',
      );
    body.TxnTaxDetail = { TxnTaxCodeRef: { value: taxCode } };
  }
  return body;
}

interface QboSalesTxn extends QboObject {
  DocNumber?: string;
  DueDate?: string;
  CustomerRef?: { value: string };
  TotalAmt?: number;
  TxnTaxDetail?: { TotalTax?: number };
}

/** What QuickBooks' answer says about the document it made of a sale. */
export function acceptedFrom(entity: SaleQboEntity, object: QboObject): AcceptedSale {
  const q = object as QboSalesTxn;
  return {
    entity,
    qboId: String(q.Id),
    docNumber: text(q.DocNumber),
    totalCents: cents(q.TotalAmt ?? 0),
    taxCents: cents(q.TxnTaxDetail?.TotalTax ?? 0),
    dueDate: entity === 'Invoice' ? isoDate(q.DueDate) : null,
  };
}

/** Queries for QuickBooks documents carrying these numbers (one per chunk), where a sale's lost twin would be. */
export function docNumberQueries(entity: SaleQboEntity, numbers: string[]) {
  const valid = [...new Set(numbers.filter((n) => n.length <= MAX_DOC_NUMBER))];
  return chunk(valid, 50).map((part) => select(entity).whereIn('DocNumber', part));
}

/**
 * Whether a QuickBooks document is this sale, handed over before its link was lost: same number, same customer and the
 * same amount before tax. Anything less is a different document, and sending the sale makes QuickBooks say so (6140).
 */
export function isTwin(sale: SaleRecord, customerQboId: string, object: QboObject): boolean {
  const q = object as QboSalesTxn;
  const subtotal = cents(q.TotalAmt ?? 0) - cents(q.TxnTaxDetail?.TotalTax ?? 0);
  return (
    !!sale.number &&
    q.DocNumber === sale.number &&
    q.CustomerRef?.value === customerQboId &&
    subtotal === linesCents(sale.lines)
  );
}
