import type { Company } from '../company';
import { fromCents, toCents } from '../money';

type PaymentLine = { Amount?: unknown; LinkedTxn?: Array<{ TxnId?: string; TxnType?: string }> };

/** An invoice's Balance and LinkedTxn follow the payments applied to it; a change is a new version (SyncToken + 1). */
export function recomputeInvoice(company: Company, invoiceId: string): void {
  const invoice = company.table('Invoice').get(invoiceId);
  if (!invoice) return;
  let paid = 0;
  const linked: Array<{ TxnId: string; TxnType: string }> = [];
  const paymentIds = [...(company.indexes.paymentsByInvoice.get(invoiceId) ?? [])].sort(
    (a, b) => Number(a) - Number(b),
  );
  for (const paymentId of paymentIds) {
    const payment = company.table('Payment').get(paymentId);
    for (const line of (payment?.Line as PaymentLine[] | undefined) ?? []) {
      if ((line.LinkedTxn ?? []).some((l) => l.TxnType === 'Invoice' && l.TxnId === invoiceId))
        paid += toCents(line.Amount ?? 0);
    }
    linked.push({ TxnId: paymentId, TxnType: 'Payment' });
  }
  const balance = Math.max(toCents(invoice.TotalAmt) - paid, 0);
  if (toCents(invoice.Balance) === balance && JSON.stringify(invoice.LinkedTxn ?? []) === JSON.stringify(linked))
    return;
  company.bump('Invoice', invoice, (next) => {
    next.Balance = fromCents(balance);
    next.LinkedTxn = linked;
  });
  company.onChange?.('Invoice', invoiceId, 'Update');
}

/** A customer's Balance is the sum of its open invoice balances (QuickBooks does not bump the customer's SyncToken for it). */
export function recomputeCustomer(company: Company, customerId: string): void {
  const customer = company.table('Customer').get(customerId);
  if (!customer) return;
  let balance = 0;
  for (const id of company.indexes.invoicesByCustomer.get(customerId) ?? [])
    balance += toCents(company.table('Invoice').get(id)?.Balance ?? 0);
  const next = { ...customer, Balance: fromCents(balance) };
  company.table('Customer').set(customerId, next);
}
