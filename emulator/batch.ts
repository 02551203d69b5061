import type { Company, Obj, WriteOptions } from './company';
import { entityOf } from './company';
import { faults, QboFault } from './faults';

export const MAX_BATCH_ITEMS = 30;

/** `/batch`: up to 30 items, each executed on its own and answered with its entity, its QueryResponse or its own Fault. */
export function runBatch(
  company: Company,
  input: Record<string, unknown>,
  options: WriteOptions,
): Record<string, unknown> {
  const items = input.BatchItemRequest as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(items) || items.length === 0) throw faults.required('BatchItemRequest');
  if (items.length > MAX_BATCH_ITEMS)
    throw faults.businessValidation(
      `Batch size ${items.length} exceeds the maximum of ${MAX_BATCH_ITEMS} items.`,
      'BatchItemRequest',
    );
  const answers = items.map((item) => {
    const bId = String(item.bId ?? '');
    try {
      if (typeof item.Query === 'string') return { bId, QueryResponse: company.query(item.Query) };
      const entityKey = Object.keys(item).find((k) => k !== 'bId' && k !== 'operation' && k !== 'optionsData');
      if (!entityKey) throw faults.required('entity');
      const entity = entityOf(entityKey);
      const obj = item[entityKey] as Record<string, unknown>;
      const op = String(item.operation ?? 'create');
      let result: Obj | Record<string, unknown>;
      if (op === 'create') result = company.create(entity, obj, options);
      else if (op === 'update') result = company.update(entity, obj, options);
      else if (op === 'delete') result = company.remove(entity, obj);
      else if (op === 'void') result = company.void(entity, obj);
      else throw faults.unsupported(`batch operation ${op}`);
      return { bId, [entity]: result };
    } catch (error) {
      if (error instanceof QboFault) return { bId, Fault: error.toItemFault() };
      throw error;
    }
  });
  return { BatchItemResponse: answers };
}
