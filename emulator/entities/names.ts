import type { Company } from '../company';
import { faults } from '../faults';
import { CompanyIndexes } from './indexes';

/**
 * Name rules shared by customers and items: required, no colon/tab/newline, a maximum length, unique in the list by
 * `key` (case-insensitive): a customer's fully qualified name, so a job "Doe, Jack:Jack Doe" and a customer "Jack Doe"
 * coexist; an item's name.
 */
export function checkName(
  company: Company,
  entity: 'Customer' | 'Item',
  value: unknown,
  selfId: string,
  key: string = String(value),
): void {
  const field = CompanyIndexes.nameField(entity)!;
  if (typeof value !== 'string' || value.trim() === '') throw faults.required(field);
  if (/[:\t\n\r]/.test(value))
    throw faults.invalidValue(field, `${field} can not contain a colon (:), tab or newline.`);
  const max = entity === 'Customer' ? 500 : 100;
  if (value.length > max)
    throw faults.invalidValue(
      field,
      `String length is either shorter or longer than supported by specification. Min:1 Max:${max} supported. Supplied length:${value.length}`,
    );
  const holder = company.indexes.nameHolder(entity, key);
  if (holder && holder !== selfId) throw faults.duplicateName(value, holder);
}
