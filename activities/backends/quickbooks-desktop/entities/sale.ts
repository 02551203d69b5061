import { createHash } from 'node:crypto';
import { cents, centsToDecimal, text } from '../../../sync/entities/common';
import { saleLabel, type AcceptedSale, type SaleToSend } from '../../../sync/entities/sale';
import { MappingProblem } from '../../../sync/entity';
import type { DesktopRefMap } from '../entity';
import { opt, textAt, x, type XNode } from '../qbxml';
import { qbText } from './common';

export type DesktopSaleDocument = 'SalesOrder' | 'Invoice' | 'Estimate';

/** Order → Sales Order, Invoice → Invoice, Quote → Estimate (QuickBooks Desktop has sales orders). */
export function desktopDocumentOf(sale: SaleToSend): DesktopSaleDocument {
  const kind = sale.transfer.kind;
  return kind === 'Order' ? 'SalesOrder' : kind === 'Quote' ? 'Estimate' : 'Invoice';
}

export function saleLinkId(entity: DesktopSaleDocument, txnId: string): string {
  return `${entity}:${txnId}`;
}

/** The ExternalGUID a write carries, derived from its request key (the saved plan's id and the sale). */
export function externalGuid(requestKey: string): string {
  const h = createHash('sha256').update(requestKey).digest('hex').toUpperCase();
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}`;
}

/** qbXML 6.1 (Reckon) has no ExternalGUID: the mark goes into `Other` (at most 29 characters). */
export function otherMark(guid: string): string {
  return `qbsync:${guid.replace(/[{}-]/g, '').slice(0, 22)}`;
}

const money = (amount: string) => centsToDecimal(cents(amount));

/**
 * The add body of the document a sale becomes, children in schema order. QuickBooks numbers it (RefNumber left out);
 * references are QuickBooks' through the links; lengths, text and references are checked before anything is sent.
 */
export function saleToAdd(
  sale: SaleToSend,
  refs: DesktopRefMap,
  guid: string,
): { document: DesktopSaleDocument; body: XNode } | MappingProblem {
  const document = desktopDocumentOf(sale);
  const owner = saleLabel(sale);
  const customer = refs.listId('customer', sale.customerId);
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
  const memo = qbText(owner, 'memo', sale.memo, 4095);
  if (memo instanceof MappingProblem) return memo;
  const lines: XNode[] = [];
  for (const [i, line] of sale.lines.entries()) {
    const desc = qbText(`${owner} line ${i + 1}`, 'description', line.description, 4095);
    if (desc instanceof MappingProblem) return desc;
    if (line.kind === 'description') {
      lines.push(x(`${document}LineAdd`, [opt('Desc', desc.value)]));
      continue;
    }
    const item = line.itemId ? refs.listId('item', line.itemId) : undefined;
    if (!item)
      return new MappingProblem(
        line.itemId
          ? `${owner} line ${i + 1} uses app item ${line.itemId}, which is not in QuickBooks`
          : `${owner} line ${i + 1} has no item; QuickBooks needs one on every line with an amount`,
        'choose an item that came from QuickBooks (items are created there in order-taking mode)',
        'qbsync-missing-item',
      );
    const code = line.taxCodeId ? refs.listId('tax_code', line.taxCodeId) : undefined;
    if (line.taxCodeId && !code)
      return new MappingProblem(
        `${owner} line ${i + 1} uses app tax code ${line.taxCodeId}, which did not come from QuickBooks`,
        'choose a tax code that exists in QuickBooks',
        'qbsync-missing-tax-code',
      );
    const amount = line.kind === 'discount' ? `-${money(line.amount).replace(/^-/, '')}` : money(line.amount);
    lines.push(
      x(`${document}LineAdd`, [
        x('ItemRef', [x('ListID', item)]),
        opt('Desc', desc.value),
        line.kind === 'discount' ? undefined : opt('Quantity', line.quantity),
        line.kind === 'discount' ? undefined : opt('Rate', line.unitPrice),
        x('Amount', amount),
        code ? x('SalesTaxCodeRef', [x('ListID', code)]) : undefined,
      ]),
    );
  }
  const saleCode = sale.taxCodeId ? refs.listId('tax_code', sale.taxCodeId) : undefined;
  if (sale.taxCodeId && !saleCode)
    return new MappingProblem(
      `${owner} uses app tax code ${sale.taxCodeId}, which did not come from QuickBooks`,
      'choose a tax code that exists in QuickBooks',
      'qbsync-missing-tax-code',
    );
  const reckon = refs.version === '6.1';
  const body = x(`${document}Add`, [
    x('CustomerRef', [x('ListID', customer)]),
    x('TxnDate', sale.txnDate),
    opt('DueDate', sale.dueDate),
    opt('Memo', memo.value),
    refs.flavour === 'reckon' ? x('IsTaxIncluded', 'true') : undefined,
    saleCode ? x('CustomerSalesTaxCodeRef', [x('ListID', saleCode)]) : undefined,
    reckon ? x('Other', otherMark(guid)) : undefined,
    reckon ? undefined : x('ExternalGUID', guid),
    ...lines,
  ]);
  return { document, body };
}

/** What QuickBooks' answer says about the document it made of a sale. */
export function acceptedFromRet(document: DesktopSaleDocument, ret: XNode): AcceptedSale {
  const subtotal = cents(textAt(ret, 'Subtotal') ?? '0');
  const tax = cents(textAt(ret, 'SalesTaxTotal') ?? '0');
  const totalText = textAt(ret, 'TotalAmount');
  const taxIncluded = textAt(ret, 'IsTaxIncluded') === 'true';
  const total = totalText !== undefined ? cents(totalText) : taxIncluded ? subtotal : subtotal + tax;
  return {
    entity: document,
    qboId: textAt(ret, 'TxnID') ?? '',
    docNumber: text(textAt(ret, 'RefNumber')),
    totalCents: total,
    taxCents: tax,
  };
}

/** Whether a QuickBooks document carries this write's mark (ExternalGUID, or `Other` on qbXML 6.1). */
export function carriesMark(ret: XNode, guid: string): boolean {
  return textAt(ret, 'ExternalGUID')?.toUpperCase() === guid.toUpperCase() || textAt(ret, 'Other') === otherMark(guid);
}
