import type { Address } from '../../../schema/tables/app';
import { MappingProblem } from '../mapping';

/** Empty strings and missing values are the same thing on both sides. */
export function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

export interface QboAddress {
  Line1?: string;
  Line2?: string;
  Line3?: string;
  City?: string;
  CountrySubDivisionCode?: string;
  PostalCode?: string;
  Country?: string;
}

export function addressFromQbo(a: QboAddress | undefined | null): Address | null {
  if (!a) return null;
  const address: Address = {
    line1: text(a.Line1),
    line2: text(a.Line2),
    line3: text(a.Line3),
    city: text(a.City),
    region: text(a.CountrySubDivisionCode),
    postalCode: text(a.PostalCode),
    country: text(a.Country),
  };
  return Object.values(address).every((v) => v === null) ? null : address;
}

export function addressFromApp(a: Address | null | undefined): Address | null {
  if (!a) return null;
  return addressFromQbo({
    Line1: a.line1 ?? undefined,
    Line2: a.line2 ?? undefined,
    Line3: a.line3 ?? undefined,
    City: a.city ?? undefined,
    CountrySubDivisionCode: a.region ?? undefined,
    PostalCode: a.postalCode ?? undefined,
    Country: a.country ?? undefined,
  });
}

export function addressToQbo(a: Address | null): QboAddress | undefined {
  if (!a) return undefined;
  const out: QboAddress = {};
  if (a.line1) out.Line1 = a.line1;
  if (a.line2) out.Line2 = a.line2;
  if (a.line3) out.Line3 = a.line3;
  if (a.city) out.City = a.city;
  if (a.region) out.CountrySubDivisionCode = a.region;
  if (a.postalCode) out.PostalCode = a.postalCode;
  if (a.country) out.Country = a.country;
  return out;
}

/** QuickBooks rejects names with these characters (and ours would not survive a round trip). */
export function checkName(kind: string, value: string, max: number): MappingProblem | undefined {
  if (/[:\t\n\r]/.test(value))
    return new MappingProblem(
      `${kind} "${value.replace(/[\t\n\r]/g, ' ')}" contains a colon, tab or newline, which QuickBooks does not allow in names`,
      `rename it in the app without ':' or line breaks`,
      'qbsync-name',
    );
  if (value.length > max)
    return new MappingProblem(
      `${kind} "${value.slice(0, 40)}…" is ${value.length} characters long; QuickBooks allows ${max}`,
      `shorten it to ${max} characters in the app`,
      'qbsync-length',
    );
  return undefined;
}

/** An ISO date (YYYY-MM-DD) from whatever pg or QuickBooks gives. */
export function isoDate(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A string literal for QuickBooks' query language: backslash-escaped quotes and backslashes. */
export function qboString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A decimal in canonical form: a plain string without trailing zeros ('12.5', '-3', '0.125'), from a pg numeric
 * string or a QuickBooks JSON number. Never passes through float arithmetic.
 */
export function decimal(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  let s = typeof value === 'number' ? numberToPlainString(value) : String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`not a decimal number: ${s}`);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-?0+\d/.test(s)) s = s.replace(/^(-?)0+(\d)/, '$1$2');
  return s === '-0' ? '0' : s;
}

function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Integer cents from a QuickBooks amount (JSON number with at most 2 decimals) or a decimal string. */
export function cents(value: unknown): number {
  const d = decimal(value ?? 0) ?? '0';
  const negative = d.startsWith('-');
  const [whole, frac = ''] = d.replace('-', '').split('.');
  if (frac.length > 2) {
    // QuickBooks amounts carry cents; more digits are rounded half away from zero, as QuickBooks does.
    const rounded = BigInt(whole + frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1n : 0n);
    return Number(negative ? -rounded : rounded);
  }
  const n = BigInt(whole + frac.padEnd(2, '0'));
  return Number(negative ? -n : n);
}

/** Cents as the JSON number QuickBooks expects (exact for every amount below 2^53 cents). */
export function centsToAmount(value: number): number {
  return Number(centsToDecimal(value));
}

export function centsToDecimal(value: number): string {
  const negative = value < 0;
  const abs = Math.abs(value);
  const s = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return negative ? `-${s}` : s;
}

/** A decimal string as a JSON number for QuickBooks (quantities, unit prices, rates). */
export function decimalToNumber(value: string | null): number | undefined {
  return value === null ? undefined : Number(value);
}
