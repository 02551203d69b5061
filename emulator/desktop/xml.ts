/**
 * A small, strict XML reader and writer for qbXML and SOAP: element order is kept, an unescaped `&` or `<` is an
 * error, and (optionally) so is any character outside ISO-8859-1, as QuickBooks' own parser treats them.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (concatenated, entities decoded); '' when it only has child elements. */
  text: string;
}

export interface XmlDocument {
  /** Processing instructions before the root, in order: e.g. [['xml', 'version="1.0"'], ['qbxml', 'version="13.0"']]. */
  instructions: Array<[string, string]>;
  root: XmlElement;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at character ${offset})`);
  }
}

export interface ParseOptions {
  /** Reject characters above U+00FF (QuickBooks' parser only takes ISO-8859-1). */
  latin1Only?: boolean;
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(source: string, options: ParseOptions = {}): XmlDocument {
  let i = 0;
  const n = source.length;
  if (source.charCodeAt(0) === 0xfeff) i = 1;
  if (options.latin1Only) {
    for (let k = 0; k < n; k++) {
      const c = source.charCodeAt(k);
      if (c > 0xff && !(k === 0 && c === 0xfeff))
        throw new XmlSyntaxError(`character U+${c.toString(16).toUpperCase().padStart(4, '0')} is not ISO-8859-1`, k);
    }
  }
  const fail = (message: string): never => {
    throw new XmlSyntaxError(message, i);
  };
  const skipSpace = () => {
    while (i < n && /\s/.test(source[i])) i++;
  };
  const readName = (): string => {
    const start = i;
    if (i >= n || !NAME_START.test(source[i])) fail('expected a name');
    while (i < n && NAME_CHAR.test(source[i])) i++;
    return source.slice(start, i);
  };
  const decode = (raw: string, at: number): string => {
    if (raw.includes('<')) throw new XmlSyntaxError('"<" must be escaped', at);
    return raw.replace(/&([^;&\s]{0,10});?/g, (match, body: string) => {
      if (!match.endsWith(';')) throw new XmlSyntaxError('unescaped "&"', at);
      if (body.startsWith('#x')) {
        const code = parseInt(body.slice(2), 16);
        if (!/^#x[0-9a-fA-F]+$/.test(body) || code > 0x10ffff) throw new XmlSyntaxError(`bad reference &${body};`, at);
        if (options.latin1Only && code > 0xff) throw new XmlSyntaxError(`&${body}; is not ISO-8859-1`, at);
        return String.fromCodePoint(code);
      }
      if (body.startsWith('#')) {
        const code = Number(body.slice(1));
        if (!/^#[0-9]+$/.test(body) || code > 0x10ffff) throw new XmlSyntaxError(`bad reference &${body};`, at);
        if (options.latin1Only && code > 0xff) throw new XmlSyntaxError(`&${body}; is not ISO-8859-1`, at);
        return String.fromCodePoint(code);
      }
      const value = ENTITIES[body];
      if (value === undefined) throw new XmlSyntaxError(`unknown entity &${body};`, at);
      return value;
    });
  };
  const skipMisc = (instructions: Array<[string, string]> | undefined) => {
    for (;;) {
      skipSpace();
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        const body = source.slice(i + 2, end);
        const target = /^[A-Za-z_][\w.-]*/.exec(body)?.[0];
        if (!target) fail('bad processing instruction');
        if (!instructions) fail('processing instruction after the root element');
        instructions!.push([target!, body.slice(target!.length).trim()]);
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<!DOCTYPE', i)) {
        fail('DOCTYPE is not accepted');
      } else return;
    }
  };

  const readElement = (): XmlElement => {
    if (source[i] !== '<') fail('expected "<"');
    i++;
    const name = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (source.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace between attributes');
      const attr = readName();
      skipSpace();
      if (source[i] !== '=') fail(`attribute ${attr} has no value`);
      i++;
      skipSpace();
      const quote = source[i];
      if (quote !== '"' && quote !== "'") fail('attribute value must be quoted');
      const end = source.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute value');
      if (attr in attrs) fail(`duplicate attribute ${attr}`);
      attrs[attr] = decode(source.slice(i + 1, end), i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (i >= n) fail(`element ${name} is not closed`);
      if (source.startsWith('</', i)) {
        i += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (source[i] !== '>') fail('expected ">"');
        i++;
        return { name, attrs, children, text: children.length ? text.trim() : text };
      }
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<![CDATA[', i)) {
        const end = source.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        text += source.slice(i + 9, end);
        i = end + 3;
      } else if (source.startsWith('<?', i)) {
        fail('processing instruction inside an element');
      } else if (source[i] === '<') {
        children.push(readElement());
      } else {
        const next = source.indexOf('<', i);
        const end = next < 0 ? n : next;
        text += decode(source.slice(i, end), i);
        i = end;
      }
    }
  };

  const instructions: Array<[string, string]> = [];
  skipMisc(instructions);
  if (i >= n) fail('no root element');
  const root = readElement();
  skipMisc(undefined);
  if (i < n) fail('content after the root element');
  return { instructions, root };
}

/** Reads a pseudo-attribute of a processing instruction, e.g. version in `version="13.0"`. */
export function pseudoAttribute(body: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)
    .exec(body)
    ?.slice(1)
    .find((v) => v !== undefined);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A child list entry for the writer: an element, or undefined/false to skip. */
export type Child = XmlElement | undefined | false | null;

/** Builds an element: `el('Name', 'text')`, `el('CustomerRet', [children])`, `el('X', {attr}, [children])`. */
export function el(name: string, content?: string | number | Child[], maybeChildren?: Child[]): XmlElement;
export function el(name: string, attrs: Record<string, string | undefined>, content?: string | Child[]): XmlElement;
export function el(
  name: string,
  a?: string | number | Child[] | Record<string, string | undefined>,
  b?: string | Child[],
): XmlElement {
  let attrs: Record<string, string> = {};
  let content: string | number | Child[] | undefined;
  if (a !== undefined && typeof a === 'object' && !Array.isArray(a)) {
    attrs = Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => e[1] !== undefined));
    content = b;
  } else content = a;
  if (Array.isArray(content))
    return { name, attrs, children: content.filter((c): c is XmlElement => Boolean(c)), text: '' };
  return { name, attrs, children: [], text: content === undefined ? '' : String(content) };
}

/** Only when the value is defined: `opt('Memo', memo)`. */
export function opt(name: string, value: string | number | undefined): XmlElement | undefined {
  return value === undefined ? undefined : el(name, value);
}

export function writeXml(element: XmlElement, indent = ''): string {
  const attrs = Object.entries(element.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  if (element.children.length === 0) {
    if (element.text === '') return `${indent}<${element.name}${attrs} />`;
    return `${indent}<${element.name}${attrs}>${escapeXml(element.text)}</${element.name}>`;
  }
  const inner = element.children.map((c) => writeXml(c, `${indent}  `)).join('\n');
  return `${indent}<${element.name}${attrs}>\n${inner}\n${indent}</${element.name}>`;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text;
}

export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** The local part of a possibly prefixed name (soap:Body → Body). */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}
