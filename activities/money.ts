/**
 * Money at the QuickBooks boundary. QuickBooks JSON carries amounts as decimal numbers (12.5, 0.1, 1234567.89);
 * qbsync keeps integer cents. A JSON number's shortest decimal string (what `String(n)` gives) is exactly what
 * QuickBooks wrote, so cents come from that string's digits — never from `n * 100`, which is 0.1 * 3 = 0.30000000000000004.
 */

export type Rounding = 'reject' | 'half-up';

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** Integer cents of a decimal amount. More than two decimals are refused unless `rounding: 'half-up'` (away from zero). */
export function toCents(amount: number | string, options: { rounding?: Rounding } = {}): number {
  if (typeof amount === 'number' && !Number.isFinite(amount))
    throw new RangeError(`${amount} is not an amount of money`);
  const text = String(amount).trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError(`"${text}" is not an amount of money`);
  const negative = m[1] === '-';
  let digits = (m[2] || '0') + (m[3] ?? '');
  // Position of the decimal point within `digits`, moved by the exponent (1e-7, 1.5e+21).
  let point = (m[2] || '0').length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point) || '0';
  const fraction = digits.slice(point);
  const kept = (fraction + '00').slice(0, 2);
  const rest = fraction.slice(2);
  let cents = BigInt(whole) * 100n + BigInt(kept);
  if (/[1-9]/.test(rest)) {
    if ((options.rounding ?? 'reject') === 'reject')
      throw new RangeError(`${text} has more than two decimals; cents would lose part of it`);
    if (rest[0] >= '5') cents += 1n;
  }
  if (cents > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${text} is too large to hold exactly in cents`);
  const n = Number(cents);
  return negative && n !== 0 ? -n : n;
}

/** The JSON number QuickBooks should receive for integer cents: 123456789 → 1234567.89, -5 → -0.05. */
export function centsToQbo(cents: number): number {
  // Number() of a decimal string is the double nearest to it, whose shortest form (JSON.stringify) is that string.
  return Number(centsToString(cents));
}

/** Decimal string of integer cents, for logs and messages: 123456789 → "1234567.89". */
export function centsToString(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`${cents} is not a whole number of cents`);
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
