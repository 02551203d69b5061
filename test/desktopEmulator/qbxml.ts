import { parseXml, type XmlElement } from '../../emulator/desktop';

/** A qbXML request document as an integration writes it. */
export function qbxml(body: string, options: { version?: string; attrs?: string } = {}): string {
  const attrs = options.attrs ?? 'onError="stopOnError"';
  return `<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="${options.version ?? '13.0'}"?>\n<QBXML><QBXMLMsgsRq ${attrs}>${body}</QBXMLMsgsRq></QBXML>`;
}

/** The `*Rs` elements of a response document. */
export function responses(xml: string): XmlElement[] {
  const doc = parseXml(xml);
  expect(doc.root.name).toBe('QBXML');
  const msgs = doc.root.children[0];
  expect(msgs.name).toBe('QBXMLMsgsRs');
  return msgs.children;
}

export function msgsAttrs(xml: string): Record<string, string> {
  return parseXml(xml).root.children[0].attrs;
}

export function text(e: XmlElement | undefined, ...path: string[]): string | undefined {
  let cur = e;
  for (const p of path) cur = cur?.children.find((c) => c.name === p);
  return cur?.text;
}

export function all(e: XmlElement, name: string): XmlElement[] {
  return e.children.filter((c) => c.name === name);
}
