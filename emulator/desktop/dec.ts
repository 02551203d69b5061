/**
 * Exact decimals for QuickBooks Desktop amounts: money is integer cents, prices/quantities/percentages are decimal
 * text (up to 5 places, as qbXML's PRICETYPE and QUANTYPE allow), computed with bigints scaled by 10^5. No floats.
 */
const SCALE = 100_000n;

/** "12.5" → 1250000n (× 10^5). Throws on anything that is not a plain decimal. */
export function parseScaled(text: string): bigint {
  const s = text.trim();
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(s)) throw new Error(`not a decimal: ${text}`);
  const negative = s.startsWith('-');
  const [whole = '0', frac = ''] = s.replace('-', '').split('.');
  const digits = (frac + '00000').slice(0, 5);
  let v = BigInt(whole || '0') * SCALE + BigInt(digits);
  if (Number(frac[5] ?? '0') >= 5) v += 1n;
  return negative ? -v : v;
}

/** 1250000n → "12.5" (trailing zeros dropped), or with `places` fixed decimals. */
export function formatScaled(v: bigint, places?: number): string {
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / SCALE;
  let frac = (abs % SCALE).toString().padStart(5, '0');
  if (places !== undefined) frac = frac.slice(0, places).padEnd(places, '0');
  else frac = frac.replace(/0+$/, '');
  return `${negative && abs !== 0n ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export function normalizeDecimal(text: string): string {
  return formatScaled(parseScaled(text));
}

/** Rounds half away from zero, dividing by `by`. */
function divRound(a: bigint, by: bigint): bigint {
  const negative = a < 0n !== by < 0n;
  const aa = a < 0n ? -a : a;
  const bb = by < 0n ? -by : by;
  let q = aa / bb;
  if ((aa % bb) * 2n >= bb) q += 1n;
  return negative ? -q : q;
}

/** Money: "12.34" → 1234 cents (rounded half up at the third place). */
export function toCents(text: string): number {
  return Number(divRound(parseScaled(text), 1000n));
}

export function formatCents(cents: number): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  return `${negative ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** quantity × rate, rounded to the cent. */
export function lineCents(quantity: string, rate: string): number {
  return Number(divRound(parseScaled(quantity) * parseScaled(rate), SCALE * 1000n));
}

/** A price changed by a percentage (e.g. -10 = 10% off), kept to 5 places. */
export function adjustPrice(price: string, percent: string): string {
  const p = parseScaled(price);
  const pct = parseScaled(percent);
  return formatScaled(p + divRound(p * pct, 100n * SCALE));
}

/** `cents × percent / 100`, rounded to the cent. */
export function percentOfCents(cents: number, percent: string): number {
  return Number(divRound(BigInt(cents) * parseScaled(percent), 100n * SCALE));
}

/** The tax inside a tax-inclusive amount: cents × r / (100 + r). */
export function includedTaxCents(cents: number, percent: string): number {
  const r = parseScaled(percent);
  return Number(divRound(BigInt(cents) * r, 100n * SCALE + r));
}

/** rate = cents / quantity, to 5 places. */
export function rateFrom(cents: number, quantity: string): string {
  const q = parseScaled(quantity);
  if (q === 0n) return '0';
  return formatScaled(divRound(BigInt(cents) * 1000n * SCALE, q));
}

export function addQuantity(a: string, b: string, sign: 1 | -1 = 1): string {
  return formatScaled(parseScaled(a) + BigInt(sign) * parseScaled(b));
}
