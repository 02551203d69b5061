type Obj = Record<string, unknown>;

/** What `?operation=void` leaves of a transaction: the record stays, its amounts become zero. */
export function voidTransaction(entity: 'Invoice' | 'Payment', next: Obj): void {
  next.PrivateNote = 'Voided';
  next.TotalAmt = 0;
  if (entity === 'Invoice') {
    next.Line = ((next.Line as Obj[] | undefined) ?? []).map((l) => ({
      ...l,
      Amount: 0,
      ...(l.SalesItemLineDetail
        ? { SalesItemLineDetail: { ...(l.SalesItemLineDetail as Obj), Qty: 0, UnitPrice: 0 } }
        : {}),
    }));
    next.Balance = 0;
    if (next.TxnTaxDetail) next.TxnTaxDetail = { ...(next.TxnTaxDetail as Obj), TotalTax: 0, TaxLine: [] };
  } else {
    next.UnappliedAmt = 0;
    next.Line = [];
  }
}
