import { centsToQbo, centsToString, toCents } from '../../activities/quickbooks';

describe('money at the QuickBooks boundary', () => {
  it('reads JSON numbers exactly, where float arithmetic would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(toCents(0.1) + toCents(0.2)).toBe(toCents(0.3));
    expect(toCents(0.1 + 0.2, { rounding: 'half-up' })).toBe(30);
    expect(toCents((1.005 * 1000) / 1000, { rounding: 'half-up' })).toBe(101);
    expect(toCents(4.35)).toBe(435); // 4.35 * 100 = 434.99999999999994
    expect(toCents(1234567.89)).toBe(123456789);
    expect(toCents(12.5)).toBe(1250);
    expect(toCents(0)).toBe(0);
    expect(toCents(-0.07)).toBe(-7);
    expect(toCents(-1234567.89)).toBe(-123456789);
    expect(toCents('19.90')).toBe(1990);
    expect(toCents('1.500')).toBe(150);
    expect(toCents(1e21 / 1e15)).toBe(100000000);
    expect(toCents('2e2')).toBe(20000);
  });

  it('refuses sub-cent amounts unless rounding is asked for, and non-numbers', () => {
    expect(() => toCents(0.001)).toThrow(RangeError);
    expect(() => toCents(12.345)).toThrow(/more than two decimals/);
    expect(toCents(12.345, { rounding: 'half-up' })).toBe(1235);
    expect(toCents(-12.344, { rounding: 'half-up' })).toBe(-1234);
    expect(toCents('1.23456e2', { rounding: 'half-up' })).toBe(12346);
    for (const bad of [Number.NaN, Infinity, '', 'abc', '1,5', '--1'])
      expect(() => toCents(bad as number)).toThrow(RangeError);
    expect(() => toCents(1e20)).toThrow(/too large/);
  });

  it('writes cents back as the JSON number QuickBooks should get', () => {
    expect(centsToQbo(123456789)).toBe(1234567.89);
    expect(JSON.stringify({ Amount: centsToQbo(30) })).toBe('{"Amount":0.3}');
    expect(centsToQbo(-5)).toBe(-0.05);
    expect(centsToQbo(100)).toBe(1);
    expect(centsToString(-123456789)).toBe('-1234567.89');
    expect(() => centsToQbo(1.5)).toThrow(RangeError);
    for (let c = -2000; c <= 2000; c += 7) expect(toCents(centsToQbo(c))).toBe(c);
  });
});
