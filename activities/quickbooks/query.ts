import { QboValidationError } from './errors';

/**
 * Safe QuickBooks queries. Values are quoted with backslash escapes (`'` → `\'`, `\` → `\\`); what a QuickBooks
 * query cannot carry (line breaks, control characters) is refused here, before anything is sent, with the same
 * non-retryable error type QuickBooks' own 4000 would give.
 */

export type Literal = string | number | boolean | Date;
export type Operator = '=' | '<' | '>' | '<=' | '>=' | 'LIKE' | 'IN';

const FIELD = /^[A-Za-z][A-Za-z0-9.]*$/;
const ENTITY = /^[A-Za-z][A-Za-z0-9]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

function refused(what: string, element?: string): QboValidationError {
  return new QboValidationError(`qbsync refused to build a QuickBooks query: ${what}`, {
    code: 'qbsync-query',
    element,
    userAction: element
      ? `remove line breaks and control characters from the ${element}`
      : 'report this as a qbsync bug',
  });
}

export function field(name: string): string {
  if (!FIELD.test(name)) throw refused(`"${name}" is not a field name`);
  return name;
}

export function entityName(name: string): string {
  if (!ENTITY.test(name)) throw refused(`"${name}" is not an entity name`);
  return name;
}

/** A string literal for QuickBooks' query language. */
export function quote(value: string, element = 'value'): string {
  if (CONTROL.test(value))
    throw refused(
      `the ${element} contains a line break or control character, which a QuickBooks query cannot carry`,
      element,
    );
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** QuickBooks takes date-times as ISO 8601 with an offset, as in `'2023-02-18T13:16:17-08:00'`; seconds precision, UTC. */
export function qboDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw refused('an invalid date');
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function literal(value: Literal, element?: string): string {
  if (value instanceof Date) return `'${qboDateTime(value)}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw refused(`${value} is not a number QuickBooks can take`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw refused(`a ${typeof value} is not a query value`);
  return quote(value, element);
}

export class QueryBuilder {
  private readonly clauses: string[] = [];
  private order?: string;
  private start?: number;
  private max?: number;

  constructor(readonly entity: string) {
    entityName(entity);
  }

  where(name: string, op: Exclude<Operator, 'IN'>, value: Literal): this;
  where(name: string, op: 'IN', values: readonly Literal[]): this;
  where(name: string, op: Operator, value: Literal | readonly Literal[]): this {
    if (op === 'IN') {
      const values = value as readonly Literal[];
      if (!Array.isArray(values) || values.length === 0)
        throw refused('IN needs a non-empty list (split long lists with chunkIn)');
      this.clauses.push(`${field(name)} IN (${values.map((v) => literal(v, name)).join(', ')})`);
    } else {
      if (!['=', '<', '>', '<=', '>=', 'LIKE'].includes(op)) throw refused(`"${op}" is not a QuickBooks operator`);
      if (Array.isArray(value)) throw refused(`${op} takes one value`);
      this.clauses.push(`${field(name)} ${op} ${literal(value as Literal, name)}`);
    }
    return this;
  }

  whereIn(name: string, values: readonly Literal[]): this {
    return this.where(name, 'IN', values);
  }

  orderBy(name: string, direction: 'ASC' | 'DESC' = 'ASC'): this {
    this.order = `${field(name)} ${direction}`;
    return this;
  }

  startPosition(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw refused('STARTPOSITION must be an integer ≥ 1');
    this.start = n;
    return this;
  }

  maxResults(n: number): this {
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw refused('MAXRESULTS must be an integer from 1 to 1000');
    this.max = n;
    return this;
  }

  /** The conditions joined with AND (QuickBooks has no OR), without the WHERE keyword; '' when none. */
  conditions(): string {
    return this.clauses.join(' AND ');
  }

  ordering(): string | undefined {
    return this.order;
  }

  build(): string {
    return this.compose('*');
  }

  buildCount(): string {
    return `SELECT COUNT(*) FROM ${this.entity}${this.clauses.length ? ` WHERE ${this.conditions()}` : ''}`;
  }

  private compose(what: string): string {
    let q = `SELECT ${what} FROM ${this.entity}`;
    if (this.clauses.length) q += ` WHERE ${this.conditions()}`;
    if (this.order) q += ` ORDERBY ${this.order}`;
    if (this.start !== undefined) q += ` STARTPOSITION ${this.start}`;
    if (this.max !== undefined) q += ` MAXRESULTS ${this.max}`;
    return q;
  }
}

/** `select('Customer').where('DisplayName', '=', "O'Brien").orderBy('Id').build()`. */
export function select(entity: string): QueryBuilder {
  return new QueryBuilder(entity);
}

/** Splits a long IN list: QuickBooks documents no maximum query length, so long lists go in several queries. */
export function chunkIn<T>(values: readonly T[], size = 100): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer');
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
