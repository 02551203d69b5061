import type { Address } from '../../../../schema/tables/app';
import { text } from '../../../sync/entities/common';
import { MappingProblem } from '../../../sync/entity';
import { latin1, opt, textAt, x, type XNode } from '../qbxml';

export const isActive = (ret: XNode) => textAt(ret, 'IsActive') !== 'false';

export function refId(ret: XNode, name: string): string | undefined {
  return textAt(ret, name, 'ListID');
}

export function addressFromRet(a: XNode | undefined): Address | null {
  if (!a) return null;
  const address: Address = {
    line1: text(textAt(a, 'Addr1')),
    line2: text(textAt(a, 'Addr2')),
    line3: text(textAt(a, 'Addr3')),
    city: text(textAt(a, 'City')),
    region: text(textAt(a, 'State')),
    postalCode: text(textAt(a, 'PostalCode')),
    country: text(textAt(a, 'Country')),
  };
  return Object.values(address).every((v) => v === null) ? null : address;
}

/** An address in schema order; lines longer than QuickBooks keeps (41) are cut, never rejected. */
export function addressToXml(name: string, a: Address | null): XNode | undefined {
  if (!a) return undefined;
  const cut = (v: string | null | undefined, n: number) => (v ? v.slice(0, n) : undefined);
  return x(name, [
    opt('Addr1', cut(a.line1, 41)),
    opt('Addr2', cut(a.line2, 41)),
    opt('Addr3', cut(a.line3, 41)),
    opt('City', cut(a.city, 31)),
    opt('State', cut(a.region, 21)),
    opt('PostalCode', cut(a.postalCode, 13)),
    opt('Country', cut(a.country, 31)),
  ]);
}

/**
 * A name QuickBooks will store: transliterated into ISO-8859-1 and within its length, or a problem naming the record,
 * the field and what to do.
 */
export function qbName(label: string, field: string, value: string, max: number): { value: string } | MappingProblem {
  const t = latin1(value.trim());
  if (t.refused)
    return new MappingProblem(
      `${label}: the ${field} "${value}" has characters QuickBooks cannot store (${t.refused})`,
      `change the ${field} in the app to Latin characters`,
      'qbsync-text',
    );
  if (!t.text)
    return new MappingProblem(`${label} has no ${field}`, `give it a ${field} in the app`, 'qbsync-required');
  if (t.text.length > max)
    return new MappingProblem(
      `${label}: the ${field} "${t.text}" has ${t.text.length} characters; QuickBooks allows ${max}`,
      `shorten the ${field} to ${max} characters in the app`,
      'qbsync-length',
    );
  return { value: t.text };
}

/** Free text QuickBooks keeps (descriptions, memos): transliterated; characters it cannot store are a problem. */
export function qbText(
  label: string,
  field: string,
  value: string | null,
  max: number,
): { value?: string } | MappingProblem {
  if (!value) return {};
  const t = latin1(value);
  if (t.refused)
    return new MappingProblem(
      `${label}: the ${field} has characters QuickBooks cannot store (${t.refused})`,
      `change the ${field} in the app to Latin characters`,
      'qbsync-text',
    );
  return { value: t.text.slice(0, max) };
}
