import type { Address } from '../../../../schema/tables/app';
import { text } from '../../../sync/entities/common';

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

/**
 * An address for QuickBooks. On a sparse update (`clearing`) every line is sent, empty where the app has none: a line
 * QuickBooks is not sent keeps its old value, which the next pull would bring back into the app.
 */
export function addressToQbo(a: Address | null, clearing = false): QboAddress | undefined {
  if (clearing) {
    const line = (v: string | null | undefined) => v ?? '';
    return {
      Line1: line(a?.line1),
      Line2: line(a?.line2),
      Line3: line(a?.line3),
      City: line(a?.city),
      CountrySubDivisionCode: line(a?.region),
      PostalCode: line(a?.postalCode),
      Country: line(a?.country),
    };
  }
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

/** A decimal string as a JSON number for QuickBooks (quantities, unit prices, rates). */
export function decimalToNumber(value: string | null): number | undefined {
  return value === null ? undefined : Number(value);
}

/**
 * A text field for QuickBooks: on a sparse update (`clearing`) a value the app cleared is sent empty, since a field
 * left out keeps its old value in QuickBooks.
 */
export function textToQbo(value: string | null, clearing: boolean): string | undefined {
  return value ?? (clearing ? '' : undefined);
}
