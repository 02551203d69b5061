import { centsToQbo } from '../../activities/money';
import { cents, centsToDecimal, decimal } from '../../activities/sync/entities/common';

test.each([
  [0.1, 10],
  [0.3, 30],
  [12.5, 1250],
  [1234567.89, 123456789],
  [-45.6, -4560],
  ['99999999999.99', 9999999999999],
  [0, 0],
  ['0.005', 1],
  ['-0.005', -1],
  ['2.675', 268],
])('cents(%p) = %p, without float arithmetic', (input, expected) => {
  expect(cents(input)).toBe(expected);
});

test('cents survive the round trip to QuickBooks amounts', () => {
  for (const c of [1, 10, 99, 101, 123456789, -4560, 2 ** 40 + 7]) expect(cents(centsToQbo(c))).toBe(c);
  expect(centsToDecimal(-5)).toBe('-0.05');
});

test.each([
  ['12.50000', '12.5'],
  [12.5, '12.5'],
  ['0010.0', '10'],
  ['-0.000', '0'],
  [1e-7, '0.0000001'],
  ['3', '3'],
])('decimal(%p) = %p', (input, expected) => {
  expect(decimal(input)).toBe(expected);
});

test('decimal rejects what is not a number', () => {
  expect(() => decimal('12,5')).toThrow('not a decimal');
});
