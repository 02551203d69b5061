/**
 * qbXML as QuickBooks Desktop and Reckon Accounts read and write it: a small element tree, a writer that escapes and
 * keeps text inside ISO-8859-1 (QuickBooks turns anything else into a parse error or '?'), and a parser for answers.
 * Element order is the caller's: each builder in entities/ lists children in the schema's xsd:sequence order.
 */
export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text?: string;
}

export type Child = XNode | undefined | null | false;

/** An element; `undefined` children (optional fields left out) are dropped, so builders can list every field in order. */
export function x(name: string, content?: string | number | Child[] | null, attrs: Record<string, string> = {}): XNode {
  if (Array.isArray(content)) return { name, attrs, children: content.filter((c): c is XNode => !!c) };
  return { name, attrs, children: [], text: content === undefined || content === null ? '' : String(content) };
}

/** An optional leaf: left out when the value is empty. */
export function opt(name: string, value: string | number | null | undefined): XNode | undefined {
  return value === undefined || value === null || value === '' ? undefined : x(name, value);
}

const TRANSLIT: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u20AC': 'EUR',
  '\u2122': '(TM)',
  '\u00A0': ' ',
  '\u0141': 'L',
  '\u0142': 'l',
  '\u0152': 'OE',
  '\u0153': 'oe',
  '\u00DF': 'ss',
};

/**
 * Text QuickBooks can store: ISO-8859-1 kept as is; other letters transliterated (accents stripped, typographic
 * quotes and dashes made plain); what still cannot be written is reported, never sent as '?'.
 */
export function latin1(value: string): { text: string; refused?: string } {
  let out = '';
  const refused: string[] = [];
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (
      code === 0x09 ||
      code === 0x0a ||
      code === 0x0d ||
      (code >= 0x20 && code <= 0xff && !(code >= 0x7f && code < 0xa0))
    ) {
      out += ch;
      continue;
    }
    if (TRANSLIT[ch] !== undefined) {
      out += TRANSLIT[ch];
      continue;
    }
    const stripped = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    if (stripped && [...stripped].every((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0)! <= 0xff)) out += stripped;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
    else refused.push(ch);
  }
  return refused.length ? { text: out, refused: [...new Set(refused)].join('') } : { text: out };
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;');

export class QbxmlTextError extends Error {
  override name = 'QbxmlTextError';
  constructor(
    readonly element: string,
    readonly refused: string,
  ) {
    super(`<${element}> holds characters QuickBooks cannot store (${refused})`);
  }
}

function write(node: XNode): string {
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
  if (node.children.length === 0) {
    const t = latin1(node.text ?? '');
    if (t.refused) throw new QbxmlTextError(node.name, t.refused);
    return t.text === '' ? `<${node.name}${attrs}/>` : `<${node.name}${attrs}>${escapeText(t.text)}</${node.name}>`;
  }
  return `<${node.name}${attrs}>${node.children.map(write).join('')}</${node.name}>`;
}

export type QbxmlVersion = '13.0' | '6.1';

/** A whole request document: the XML declaration (QBWC fails without it), the qbxml version, the message set. */
export function qbxmlDocument(
  requests: XNode[],
  options: {
    version: QbxmlVersion;
    onError?: 'stopOnError' | 'continueOnError';
    newMessageSetID?: string;
    oldMessageSetID?: string;
  },
): string {
  const attrs: Record<string, string> = {};
  if (options.newMessageSetID) attrs.newMessageSetID = options.newMessageSetID;
  if (options.oldMessageSetID) attrs.oldMessageSetID = options.oldMessageSetID;
  attrs.onError = options.onError ?? 'continueOnError';
  const body = write(x('QBXML', [x('QBXMLMsgsRq', requests, attrs)]));
  return `<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="${options.version}"?>\n${body}`;
}

/** Renders a node alone (tests and error details). */
export function writeNode(node: XNode): string {
  return write(node);
}

// ---- parsing -------------------------------------------------------------------------------------------------------

export class QbxmlParseError extends Error {
  override name = 'QbxmlParseError';
}

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** Parses an answer document into its root element. */
export function parseQbxml(xml: string): XNode {
  let i = 0;
  const stack: XNode[] = [];
  let root: XNode | undefined;
  const len = xml.length;
  while (i < len) {
    const lt = xml.indexOf('<', i);
    const textPart = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length && textPart.trim()) {
      const top = stack[stack.length - 1];
      top.text = (top.text ?? '') + decode(textPart);
    }
    if (lt < 0) break;
    if (xml.startsWith('<?', lt)) {
      i = xml.indexOf('?>', lt) + 2;
      if (i < 2) throw new QbxmlParseError('unterminated processing instruction');
      continue;
    }
    if (xml.startsWith('<!--', lt)) {
      i = xml.indexOf('-->', lt) + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (stack.length) {
        const top = stack[stack.length - 1];
        top.text = (top.text ?? '') + xml.slice(lt + 9, end);
      }
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!', lt)) {
      i = xml.indexOf('>', lt) + 1;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new QbxmlParseError('unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new QbxmlParseError(`unexpected </${name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const inner = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([^\s/>]+)/.exec(inner);
    if (!m) throw new QbxmlParseError(`bad tag <${tag}>`);
    const node: XNode = { name: m[1], attrs: {}, children: [] };
    const attrRe = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
    for (let a; (a = attrRe.exec(inner.slice(m[1].length)));) node.attrs[a[1]] = decode(a[3] ?? a[4] ?? '');
    if (stack.length) stack[stack.length - 1].children.push(node);
    else root = node;
    if (!selfClosing) stack.push(node);
  }
  if (!root || stack.length) throw new QbxmlParseError('the document is incomplete');
  return root;
}

export function child(node: XNode | undefined, name: string): XNode | undefined {
  return node?.children.find((c) => c.name === name);
}

export function children(node: XNode | undefined, name: string): XNode[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

/** Text at a path of child names (`textAt(ret, 'CustomerRef', 'ListID')`). */
export function textAt(node: XNode | undefined, ...path: string[]): string | undefined {
  let cur = node;
  for (const p of path) cur = child(cur, p);
  return cur?.text;
}

/** One `*Rs` of an answer. */
export interface QbxmlResponse {
  name: string;
  requestID?: string;
  statusCode: number;
  statusSeverity: string;
  statusMessage: string;
  iteratorID?: string;
  iteratorRemainingCount?: number;
  rets: XNode[];
  node: XNode;
}

/** The `*Rs` elements of an answer document, with their status and `*Ret` records. */
export function responsesOf(xml: string): QbxmlResponse[] {
  const root = parseQbxml(xml);
  const msgs = child(root, 'QBXMLMsgsRs');
  if (root.name !== 'QBXML' || !msgs) throw new QbxmlParseError('the answer has no QBXML/QBXMLMsgsRs');
  return msgs.children.map((rs) => ({
    name: rs.name,
    requestID: rs.attrs.requestID,
    statusCode: Number(rs.attrs.statusCode ?? 0),
    statusSeverity: rs.attrs.statusSeverity ?? 'Info',
    statusMessage: rs.attrs.statusMessage ?? '',
    iteratorID: rs.attrs.iteratorID,
    iteratorRemainingCount:
      rs.attrs.iteratorRemainingCount === undefined ? undefined : Number(rs.attrs.iteratorRemainingCount),
    rets: rs.children.filter((c) => c.name.endsWith('Ret')),
    node: rs,
  }));
}
