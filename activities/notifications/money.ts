import { centsToString } from '../money';

/** Thousands separators on the whole part of a decimal string: "-1234567.5" → "-1,234,567.5". */
function group(decimal: string): string {
  const [whole, fraction] = decimal.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Integer cents for people: 123456 → "1,234.56". Exact: integer arithmetic on the cents, never a float. */
export function formatCents(cents: number): string {
  return group(centsToString(cents));
}

/**
 * A numeric column as PostgreSQL returns it (a decimal string, e.g. unit price "12.50000", quantity "3.00000") for
 * people: trailing zeros dropped down to `minDecimals` ("12.50", "3", "0.12345"). String work only, never a float.
 */
export function formatDecimal(value: string | null | undefined, minDecimals: number): string {
  if (value === null || value === undefined || value === '') return '';
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) return value;
  let fraction = (m[3] ?? '').replace(/0+$/, '');
  if (fraction.length < minDecimals) fraction = fraction.padEnd(minDecimals, '0');
  const whole = (m[2] || '0').replace(/^0+(?=\d)/, '');
  return group(`${m[1]}${whole}${fraction ? `.${fraction}` : ''}`);
}
