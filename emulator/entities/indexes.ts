type Obj = Record<string, unknown> & { Id: string };

function bucket<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

/** Secondary indexes, so writes check uniqueness and follow balances without scanning whole tables. */
export class CompanyIndexes {
  /** Lowercased unique name (a customer's FullyQualifiedName, an item's Name) → Id; QuickBooks ignores case. */
  private readonly names = new Map<string, Map<string, string>>();
  /** DocNumber → Ids per transaction type (duplicates exist when `allowduplicatedocnum` was used). */
  private readonly docNumbers = new Map<string, Map<string, Set<string>>>();
  readonly invoicesByCustomer = new Map<string, Set<string>>();
  readonly paymentsByInvoice = new Map<string, Set<string>>();
  /** Parent customer Id → its sub-customers' Ids. */
  private readonly jobs = new Map<string, Set<string>>();

  jobsOf(parentId: string): Set<string> {
    return this.jobs.get(parentId) ?? new Set();
  }

  /** The field a name list's entries are written with. */
  static nameField(entity: string): 'DisplayName' | 'Name' | undefined {
    return entity === 'Customer' ? 'DisplayName' : entity === 'Item' ? 'Name' : undefined;
  }

  /** The field that must be unique: customers by their full name (jobs under their parents), items by name. */
  static uniqueField(entity: string): 'FullyQualifiedName' | 'Name' | undefined {
    return entity === 'Customer' ? 'FullyQualifiedName' : entity === 'Item' ? 'Name' : undefined;
  }

  static linkedInvoices(payment: Obj | undefined): string[] {
    const ids: string[] = [];
    for (const line of (payment?.Line as
      Array<{ LinkedTxn?: Array<{ TxnId?: string; TxnType?: string }> }> | undefined) ?? []) {
      for (const l of line.LinkedTxn ?? []) if (l.TxnType === 'Invoice' && l.TxnId) ids.push(l.TxnId);
    }
    return ids;
  }

  nameHolder(entity: string, name: string): string | undefined {
    return this.names.get(entity)?.get(name.toLowerCase());
  }

  docNumberHolders(entity: string, doc: string): Set<string> | undefined {
    return this.docNumbers.get(entity)?.get(doc);
  }

  add(entity: string, obj: Obj): void {
    const nameField = CompanyIndexes.uniqueField(entity);
    if (nameField && typeof obj[nameField] === 'string') {
      const names = this.names.get(entity) ?? new Map<string, string>();
      this.names.set(entity, names);
      names.set((obj[nameField] as string).toLowerCase(), obj.Id);
    }
    if (typeof obj.DocNumber === 'string') {
      const docs = this.docNumbers.get(entity) ?? new Map<string, Set<string>>();
      this.docNumbers.set(entity, docs);
      bucket(docs, obj.DocNumber).add(obj.Id);
    }
    const customer = (obj.CustomerRef as { value?: string } | undefined)?.value;
    if (entity === 'Invoice' && customer) bucket(this.invoicesByCustomer, customer).add(obj.Id);
    const parent = (obj.ParentRef as { value?: string } | undefined)?.value;
    if (entity === 'Customer' && parent) bucket(this.jobs, parent).add(obj.Id);
    if (entity === 'Payment')
      for (const id of CompanyIndexes.linkedInvoices(obj)) bucket(this.paymentsByInvoice, id).add(obj.Id);
  }

  remove(entity: string, obj: Obj): void {
    const nameField = CompanyIndexes.uniqueField(entity);
    if (nameField && typeof obj[nameField] === 'string') {
      const names = this.names.get(entity);
      const key = (obj[nameField] as string).toLowerCase();
      if (names?.get(key) === obj.Id) names.delete(key);
    }
    if (typeof obj.DocNumber === 'string') this.docNumbers.get(entity)?.get(obj.DocNumber)?.delete(obj.Id);
    const customer = (obj.CustomerRef as { value?: string } | undefined)?.value;
    if (entity === 'Invoice' && customer) this.invoicesByCustomer.get(customer)?.delete(obj.Id);
    const parent = (obj.ParentRef as { value?: string } | undefined)?.value;
    if (entity === 'Customer' && parent) this.jobs.get(parent)?.delete(obj.Id);
    if (entity === 'Payment')
      for (const id of CompanyIndexes.linkedInvoices(obj)) this.paymentsByInvoice.get(id)?.delete(obj.Id);
  }
}
