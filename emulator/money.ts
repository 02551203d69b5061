/** Amounts are kept exact as integer cents and written as JSON numbers, as QuickBooks writes them. */
export function toCents(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  const s =
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(6)) : String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`not an amount: ${s}`);
  const negative = s.startsWith('-');
  const [whole, frac = ''] = s.replace('-', '').split('.');
  let cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  if (Number((frac + '000').slice(2, 3)) >= 5) cents += 1n;
  return Number(negative ? -cents : cents);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

/** A quantity times a unit price, rounded half up to the cent, without float error (6 decimal digits each at most). */
export function lineAmountCents(qty: number, unitPrice: number): number {
  const scale = 1_000_000n;
  const q = BigInt(Math.round(qty * 1_000_000));
  const u = BigInt(Math.round(unitPrice * 1_000_000));
  const product = q * u; // scaled by 10^12
  const cents = (product * 100n) / (scale * scale);
  const remainder = (product * 100n) % (scale * scale);
  const half = (scale * scale) / 2n;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  return Number(cents + (abs(remainder) >= half ? (product < 0n ? -1n : 1n) : 0n));
}

/** `cents × percent / 100`, rounded half up to the cent; the percent is read as an exact decimal (e.g. 6.25). */
export function percentOfCents(cents: number, percent: unknown): number {
  const text = typeof percent === 'number' ? percent.toFixed(6) : String(percent ?? '0').trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return 0;
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const scaled = BigInt(whole) * 1_000_000n + BigInt((frac + '000000').slice(0, 6)); // percent × 10^6
  const numerator = BigInt(Math.abs(cents)) * scaled; // cents × percent × 10^6
  const denominator = 100n * 1_000_000n;
  let result = numerator / denominator;
  if ((numerator % denominator) * 2n >= denominator) result += 1n;
  const sign = (cents < 0 ? -1 : 1) * (text.startsWith('-') ? -1 : 1);
  return sign * Number(result);
}
