import type { Company, Obj } from '../company';
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

/**
 * A customer's Balance is the sum of its open invoice balances; BalanceWithJobs adds its sub-customers' (QuickBooks
 * does not bump a customer's SyncToken for either). Its parents' BalanceWithJobs follow.
 */
export function recomputeCustomer(company: Company, customerId: string): void {
  const table = company.table('Customer');
  const customer = table.get(customerId);
  if (!customer) return;
  let balance = 0;
  for (const id of company.indexes.invoicesByCustomer.get(customerId) ?? [])
    balance += toCents(company.table('Invoice').get(id)?.Balance ?? 0);
  table.set(customerId, { ...customer, Balance: fromCents(balance) });
  // Each ancestor's BalanceWithJobs: its own balance plus every descendant's (depth ≤ 5, customers per company few).
  for (let id: string | undefined = customerId; id;) {
    const current: Obj = table.get(id)!;
    let withJobs = toCents(current.Balance ?? 0);
    const stack = [id];
    while (stack.length) {
      const parent = stack.pop()!;
      for (const child of company.indexes.jobsOf(parent)) {
        withJobs += toCents(table.get(child)?.Balance ?? 0);
        stack.push(child);
      }
    }
    table.set(id, { ...current, BalanceWithJobs: fromCents(withJobs) });
    id = (current.ParentRef as { value?: string } | undefined)?.value;
  }
}
