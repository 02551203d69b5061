import type { Condition, Query, Value } from './parser';

type Row = Record<string, unknown>;

/** A field of a QuickBooks object by a dotted path (case-insensitive, as QuickBooks is); a reference ({value, name}) reads as its value. */
export function fieldValue(obj: Row, path: string): unknown {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    const record = current as Row;
    if (part in record) current = record[part];
    else {
      const key = Object.keys(record).find((k) => k.toLowerCase() === part.toLowerCase());
      current = key === undefined ? undefined : record[key];
    }
  }
  if (current && typeof current === 'object' && 'value' in current) return (current as { value: unknown }).value;
  return current;
}

const DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;
const DIGITS = /^\d+$/;

/** A sortable key: dates and numeric ids as numbers, strings case-insensitively, as QuickBooks compares them. */
function key(value: unknown, literal: Value): number | string | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof literal === 'number') return Number(value);
  if (typeof literal === 'boolean') return String(value) === 'true';
  const text = String(value);
  if (DATE_PREFIX.test(literal) && DATE_PREFIX.test(text))
    return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (DIGITS.test(literal) && DIGITS.test(text)) return Number(text);
  return text.toLowerCase();
}

function literalKey(literal: Value): number | string | boolean {
  if (typeof literal !== 'string') return literal;
  if (DATE_PREFIX.test(literal)) return Date.parse(literal.length === 10 ? `${literal}T00:00:00Z` : literal);
  if (DIGITS.test(literal)) return Number(literal);
  return literal.toLowerCase();
}

/** What decides how key() reads a value against a literal. */
function literalKind(literal: Value): string {
  if (typeof literal !== 'string') return typeof literal;
  return DATE_PREFIX.test(literal) ? 'date' : DIGITS.test(literal) ? 'digits' : 'text';
}

function likeToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*');
  return new RegExp(`^${escaped}$`, 'is');
}

/** Compiles one WHERE condition into a predicate once, so a scan does no parsing per row. */
export function predicate(c: Condition): (row: Row) => boolean {
  if (c.op === 'LIKE') {
    const re = likeToRegExp(String(c.value));
    return (row) => {
      const v = fieldValue(row, c.field);
      return typeof v === 'string' && re.test(v);
    };
  }
  if (c.op === 'IN') {
    // A row's key depends on the literal only through its kind (number, boolean, date, digits, text): one key and one
    // set lookup per kind instead of a comparison per literal (a match query names up to a page of values).
    const kinds = new Map<string, { literal: Value; keys: Set<number | string | boolean> }>();
    for (const l of c.value as Value[]) {
      const kind = literalKind(l);
      const entry = kinds.get(kind) ?? { literal: l, keys: new Set() };
      const k = literalKey(l);
      if (!(typeof k === 'number' && Number.isNaN(k))) entry.keys.add(k);
      kinds.set(kind, entry);
    }
    const groups = [...kinds.values()];
    return (row) => {
      const v = fieldValue(row, c.field);
      return groups.some(({ literal, keys }) => {
        const k = key(v, literal);
        return k !== undefined && keys.has(k);
      });
    };
  }
  const literal = c.value as Value;
  const target = literalKey(literal);
  const test = (a: number | string | boolean): boolean => {
    switch (c.op) {
      case '=':
        return a === target;
      case '!=':
        return a !== target;
      case '<':
        return a < target;
      case '>':
        return a > target;
      case '<=':
        return a <= target;
      case '>=':
        return a >= target;
      default:
        return false;
    }
  };
  return (row) => {
    const k = key(fieldValue(row, c.field), literal);
    return k !== undefined && !(typeof k === 'number' && Number.isNaN(k)) && test(k);
  };
}

function sortKey(value: unknown): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = String(value);
  if (DIGITS.test(text)) return Number(text);
  if (DATE_PREFIX.test(text)) return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return text.toLowerCase();
}

/** Sorts once by a field (keys computed once per row); missing values go last. */
export function sortBy<T extends Row>(rows: T[], field: string, desc: boolean): T[] {
  const sign = desc ? -1 : 1;
  const decorated = rows.map((row) => ({ row, k: sortKey(fieldValue(row, field)) }));
  decorated.sort((a, b) => {
    if (a.k === b.k) return 0;
    if (a.k === undefined) return 1;
    if (b.k === undefined) return -1;
    if (typeof a.k !== typeof b.k) return sign * (typeof a.k === 'number' ? -1 : 1);
    return sign * (a.k < b.k ? -1 : 1);
  });
  return decorated.map((d) => d.row);
}

/** Filters, counts or pages rows as QuickBooks' query endpoint does. */
export function evaluate(rows: Row[], q: Query, entity: string, defaultOrder = 'Id'): Record<string, unknown> {
  const predicates = q.where.map(predicate);
  let matched = predicates.length ? rows.filter((r) => predicates.every((p) => p(r))) : rows;
  if (q.count) return { totalCount: matched.length };
  // Without ORDERBY, QuickBooks sorts name lists by name and transactions by Id.
  matched = sortBy(matched, q.orderBy?.field ?? defaultOrder, q.orderBy?.desc ?? false);
  const page = matched.slice(q.startPosition - 1, q.startPosition - 1 + q.maxResults);
  if (page.length === 0) return {};
  return { [entity]: page, startPosition: q.startPosition, maxResults: page.length };
}
