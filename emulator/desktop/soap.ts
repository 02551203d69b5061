/** SOAP 1.1 document/literal, as the QuickBooks Web Connector speaks it (namespace http://developer.intuit.com/). */
import { escapeXml, localName, parseXml, type XmlElement } from './xml';

export const QBWC_NS = 'http://developer.intuit.com/';
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

export const QBWC_OPERATIONS = [
  'serverVersion',
  'clientVersion',
  'authenticate',
  'sendRequestXML',
  'receiveResponseXML',
  'getLastError',
  'connectionError',
  'closeConnection',
] as const;
export type QbwcOperation = (typeof QBWC_OPERATIONS)[number];

/** Arguments in the order of the WSDL's sequences. */
export type SoapArgs = Array<[string, string | number]>;

export function soapRequest(operation: QbwcOperation, args: SoapArgs): string {
  const body = args.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    `<soap:Body><${operation} xmlns="${QBWC_NS}">${body}</${operation}></soap:Body></soap:Envelope>`
  );
}

export function soapHeaders(operation: QbwcOperation, length: number): Record<string, string> {
  return {
    'content-type': 'text/xml; charset=utf-8',
    soapaction: `"${QBWC_NS}${operation}"`,
    'content-length': String(length),
    'user-agent': 'Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)',
  };
}

export class SoapFault extends Error {}

/** The `<operationResult>` of a response: a string, or for authenticate the ArrayOfString's strings. */
export function soapResult(operation: QbwcOperation, xml: string): { text?: string; strings?: string[] } {
  const doc = parseXml(xml);
  if (localName(doc.root.name) !== 'Envelope') throw new SoapFault('the answer is not a SOAP envelope');
  const body = doc.root.children.find((c) => localName(c.name) === 'Body');
  if (!body) throw new SoapFault('the SOAP envelope has no Body');
  const fault = body.children.find((c) => localName(c.name) === 'Fault');
  if (fault) {
    const text = fault.children.find((c) => localName(c.name) === 'faultstring')?.text ?? 'SOAP fault';
    throw new SoapFault(text);
  }
  const response = body.children.find((c) => localName(c.name) === `${operation}Response`);
  if (!response) throw new SoapFault(`the SOAP body has no ${operation}Response`);
  if (
    response.attrs.xmlns !== QBWC_NS &&
    !Object.entries(response.attrs).some(([k, v]) => k.startsWith('xmlns:') && v === QBWC_NS)
  )
    throw new SoapFault(`${operation}Response is not in the namespace ${QBWC_NS}`);
  const result: XmlElement | undefined = response.children.find((c) => localName(c.name) === `${operation}Result`);
  if (!result) return {};
  if (operation === 'authenticate')
    return { strings: result.children.filter((c) => localName(c.name) === 'string').map((c) => c.text) };
  return { text: result.text };
}
