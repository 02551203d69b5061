import type { Company, Obj } from '../company';
import { UNDEPOSITED_FUNDS } from './accounts';
import { HOME_CURRENCY } from './customer';
import { faults } from '../faults';
import { fromCents, toCents } from '../money';

type PaymentLine = { Amount?: unknown; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> };

/** Payment rules: lines link invoices of the same customer; applied amounts cannot exceed the total; the rest is unapplied. */
export function applyPayment(company: Company, obj: Obj): void {
  const customer = company.ref('Customer', obj.CustomerRef, 'CustomerRef');
  const customerId = customer.Id;
  obj.CustomerRef = { value: customer.Id, name: customer.DisplayName };
  obj.CurrencyRef = HOME_CURRENCY;
  if (!obj.DepositToAccountRef) obj.DepositToAccountRef = { value: UNDEPOSITED_FUNDS };
  const deposit = company.ref('Account', obj.DepositToAccountRef, 'DepositToAccountRef');
  obj.DepositToAccountRef = { value: deposit.Id, name: deposit.Name };
  if (obj.ProcessPayment === undefined) obj.ProcessPayment = false;
  if (obj.TotalAmt === undefined) throw faults.required('TotalAmt');
  const total = toCents(obj.TotalAmt);
  let applied = 0;
  for (const line of (obj.Line as PaymentLine[] | undefined) ?? []) {
    const amount = toCents(line.Amount ?? 0);
    for (const linked of line.LinkedTxn ?? []) {
      if (linked.TxnType !== 'Invoice') continue;
      const invoice = company.get('Invoice', linked.TxnId);
      if ((invoice.CustomerRef as { value: string }).value !== customerId)
        throw faults.businessValidation(`Invoice ${linked.TxnId} belongs to another customer.`, 'Line.LinkedTxn');
    }
    applied += amount;
    line.Amount = fromCents(amount);
  }
  if (applied > total)
    throw faults.businessValidation(
      'The payment amount must be greater than or equal to the sum of amounts applied.',
      'TotalAmt',
    );
  obj.TotalAmt = fromCents(total);
  obj.UnappliedAmt = fromCents(total - applied);
  if (obj.TxnDate === undefined) obj.TxnDate = company.time().slice(0, 10);
}
