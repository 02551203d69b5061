import type { Company } from './company';
import { entityOf } from './company';
import { faults } from './faults';

const LOOK_BACK_MS = 30 * 24 * 3600 * 1000;
const MAX_OBJECTS = 1000;

/** `/cdc?entities=…&changedSince=…`: changes of the last 30 days, at most 1000 objects in all, deletions as `{status:"Deleted"}`. */
export function changeDataCapture(company: Company, params: URLSearchParams, now: number): Record<string, unknown> {
  const names = (params.get('entities') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (!names.length) throw faults.required('entities');
  const since = Date.parse(params.get('changedSince') ?? '');
  if (Number.isNaN(since)) throw faults.invalidValue('changedSince', 'changedSince must be a date-time');
  if (now - since > LOOK_BACK_MS)
    throw faults.businessValidation(
      'cdc ChangedSince parameter can not be more than 30 days in the past.',
      'changedSince',
    );
  let budget = MAX_OBJECTS;
  const responses = names.map((n) => {
    const entity = entityOf(n);
    const changed = company.changedSince(entity, since).slice(0, budget);
    budget -= changed.length;
    return changed.length ? { [entity]: changed, startPosition: 1, maxResults: changed.length } : {};
  });
  return { CDCResponse: [{ QueryResponse: responses }] };
}
