type Obj = Record<string, unknown>;

/** What `?operation=void` leaves of a transaction: the record stays, its amounts become zero. */
export function voidTransaction(entity: 'Invoice' | 'Payment', next: Obj): void {
  next.PrivateNote = 'Voided';
  next.TotalAmt = 0;
  if (entity === 'Invoice') {
    // Amounts become zero; a quantity or price the line had is zeroed too, one it did not have is not added.
    next.Line = ((next.Line as Obj[] | undefined) ?? []).map((l) => {
      const detail = l.SalesItemLineDetail as Obj | undefined;
      if (!detail) return { ...l, Amount: 0 };
      const zeroed = { ...detail };
      if (zeroed.Qty !== undefined) zeroed.Qty = 0;
      if (zeroed.UnitPrice !== undefined) zeroed.UnitPrice = 0;
      return { ...l, Amount: 0, SalesItemLineDetail: zeroed };
    });
    next.Balance = 0;
    if (next.TxnTaxDetail) next.TxnTaxDetail = { ...(next.TxnTaxDetail as Obj), TotalTax: 0, TaxLine: [] };
  } else {
    next.UnappliedAmt = 0;
    next.Line = [];
  }
}
