import { faults } from '../faults';

export type Value = string | number | boolean;

export interface Condition {
  field: string;
  op: '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE' | '!=';
  value: Value | Value[];
}

export interface Query {
  count: boolean;
  entity: string;
  where: Condition[];
  orderBy?: { field: string; desc: boolean };
  startPosition: number;
  maxResults: number;
}

type Token = { kind: 'word' | 'string' | 'number' | 'op' | 'punct'; text: string; value?: Value };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= input.length) throw faults.queryParser(`Encountered unterminated string at position ${i}`);
        const ch = input[i];
        if (ch === '\\' && i + 1 < input.length) {
          value += input[i + 1];
          i += 2;
        } else if (ch === "'") {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      // An unescaped quote inside a value leaves a word glued to the string: QuickBooks reports a parse error.
      if (i < input.length && /[A-Za-z0-9_]/.test(input[i]))
        throw faults.queryParser(
          `Encountered " <IDENTIFIER> "${input.slice(i).split(/[\s,)]/)[0]}" at line 1, column ${i + 1}`,
        );
      tokens.push({ kind: 'string', text: value, value });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(input[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_*]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*|^\*/.exec(input.slice(i))!;
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else if ('<>=!'.includes(c)) {
      const two = input.slice(i, i + 2);
      const op = ['<=', '>=', '!='].includes(two) ? two : c;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else if ('(),'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else {
      throw faults.queryParser(
        `Lexical error at line 1, column ${i + 1}.  Encountered: "${c}" (${c.charCodeAt(0)}), after : ""`,
      );
    }
  }
  return tokens;
}

/** Parses QuickBooks' query language: SELECT * | COUNT(*) FROM E [WHERE …] [ORDERBY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]. */
export function parseQuery(input: string): Query {
  const tokens = tokenize(input.trim());
  let p = 0;
  const peek = () => tokens[p];
  const word = (w: string) => peek()?.kind === 'word' && peek().text.toUpperCase() === w;
  const expect = (w: string) => {
    if (!word(w))
      throw faults.queryParser(`Encountered "${peek()?.text ?? '<EOF>'}" at position ${p}. Was expecting: "${w}"`);
    p++;
  };
  expect('SELECT');
  let count = false;
  if (peek()?.text === '*') p++;
  else if (word('COUNT')) {
    p++;
    if (peek()?.text !== '(' || tokens[p + 1]?.text !== '*' || tokens[p + 2]?.text !== ')')
      throw faults.queryParser('Was expecting: "(*)"');
    p += 3;
    count = true;
  } else throw faults.queryParser(`Encountered "${peek()?.text ?? '<EOF>'}". Was expecting: "*" or "count(*)"`);
  expect('FROM');
  const entity = peek()?.kind === 'word' ? tokens[p++].text : '';
  if (!entity) throw faults.queryParser('Was expecting: <IDENTIFIER>');
  const where: Condition[] = [];
  if (word('WHERE')) {
    p++;
    for (;;) {
      const field = peek();
      if (field?.kind !== 'word')
        throw faults.queryParser(`Encountered "${field?.text ?? '<EOF>'}". Was expecting: <IDENTIFIER>`);
      p++;
      let op: Condition['op'];
      if (word('IN')) op = 'IN';
      else if (word('LIKE')) op = 'LIKE';
      else if (peek()?.kind === 'op') op = peek().text as Condition['op'];
      else
        throw faults.queryParser(
          `Encountered "${peek()?.text ?? '<EOF>'}" after "${field.text}". Was expecting an operator`,
        );
      p++;
      let value: Value | Value[];
      if (op === 'IN') {
        if (peek()?.text !== '(') throw faults.queryParser('Was expecting: "("');
        p++;
        const list: Value[] = [];
        for (;;) {
          list.push(literal(tokens[p++]));
          if (peek()?.text === ',') p++;
          else if (peek()?.text === ')') {
            p++;
            break;
          } else throw faults.queryParser(`Encountered "${peek()?.text ?? '<EOF>'}". Was expecting: "," or ")"`);
        }
        value = list;
      } else value = literal(tokens[p++]);
      where.push({ field: field.text, op, value });
      if (word('AND')) p++;
      else break;
    }
  }
  let orderBy: Query['orderBy'];
  if (word('ORDERBY') || word('ORDER')) {
    if (word('ORDER')) {
      p++;
      expect('BY');
    } else p++;
    const field = tokens[p++];
    if (field?.kind !== 'word') throw faults.queryParser('Was expecting: <IDENTIFIER> after ORDERBY');
    let desc = false;
    if (word('DESC')) {
      desc = true;
      p++;
    } else if (word('ASC')) p++;
    orderBy = { field: field.text, desc };
  }
  let startPosition = 1;
  let maxResults = 100;
  for (;;) {
    if (word('STARTPOSITION')) {
      p++;
      startPosition = Number(literal(tokens[p++]));
    } else if (word('MAXRESULTS')) {
      p++;
      maxResults = Number(literal(tokens[p++]));
    } else break;
  }
  if (p < tokens.length)
    throw faults.queryParser(`Encountered "${tokens[p].text}" at position ${p}. Was expecting: <EOF>`);
  if (!Number.isInteger(startPosition) || startPosition < 1)
    throw faults.queryValidation(`STARTPOSITION must be a positive integer: ${startPosition}`);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000)
    throw faults.queryValidation(`MAXRESULTS must be from 1 to 1000: ${maxResults}`);
  return { count, entity, where, orderBy, startPosition, maxResults };
}

function literal(token: Token | undefined): Value {
  if (!token) throw faults.queryParser('Encountered "<EOF>". Was expecting a value');
  if (token.kind === 'string' || token.kind === 'number') return token.value!;
  if (token.kind === 'word' && /^(true|false)$/i.test(token.text)) return token.text.toLowerCase() === 'true';
  throw faults.queryParser(`Encountered "${token.text}". Was expecting a quoted value or a number`);
}
