// Rule SQL tokens (reference section 1). Positions are kept as offsets into the statement as
// the user wrote it, so errors point at the right line and column even after EMQX's
// clean-up (trimming, deleting `\n/`).

import { RuleSyntaxError } from './errors';
import { words } from '../words';

export type TokenKind =
  | 'name'     // identifier (case-sensitive)
  | 'qname'    // "double-quoted" name
  | 'string'   // 'single-quoted' literal
  | 'int'
  | 'float'
  | 'bool'     // lower-case true / false
  | 'range'    // [a..b]
  | 'keyword'  // value is upper case: SELECT, FROM, ...
  | 'op'       // punctuation and operators, div and mod
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Decoded value: the name, the string's text, the number, the keyword in upper case. */
  value: string;
  /** Number value for int/float; range bounds for range. */
  num: number;
  to: number;
  /** Offset into the original statement. */
  offset: number;
  /** The token's text as written. */
  text: string;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'SELECT', 'FROM', 'WHERE', 'AS', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'FOREACH', 'DO',
  'INCASE', 'AND', 'OR', 'NOT', 'IN', 'IF', 'ELSIF',
]);

const OPERATORS = ['=~', '~=', '!=', '<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '(', ')', '[', ']', ',', '.'];

const IDENT_START = /[A-Za-z]/;
const IDENT_PART = /[A-Za-z0-9_$@~]/;
const DIGIT = /[0-9]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const RANGE = /^\[(-?\d+)\.\.(-?\d+)\]/;

/** Maps an offset in the cleaned text back to the original, and offsets to line/column. */
export class SourceMap {
  constructor(readonly original: string, private readonly offsets: Int32Array) {}

  originalOffset(cleanOffset: number): number {
    if (cleanOffset < this.offsets.length) return this.offsets[cleanOffset];
    // Past the end: just after the last kept character.
    return this.offsets.length === 0 ? 0 : this.offsets[this.offsets.length - 1] + 1;
  }

  position(originalOffset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(originalOffset, this.original.length);
    for (let i = 0; i < end; i++) {
      if (this.original.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: originalOffset - lineStart + 1 };
  }

  error(reason: string, originalOffset: number, code = 'syntax_error'): RuleSyntaxError {
    const { line, column } = this.position(originalOffset);
    return new RuleSyntaxError(reason, line, column, code);
  }
}

/** EMQX's clean-up before lexing: trim spaces, CR and LF at both ends; delete every `\n/`. */
function clean(sql: string): { text: string; map: SourceMap } {
  const isTrim = (c: string): boolean => c === ' ' || c === '\r' || c === '\n';
  let start = 0;
  let end = sql.length;
  while (start < end && isTrim(sql[start])) start++;
  while (end > start && isTrim(sql[end - 1])) end--;
  const offsets: number[] = [];
  let text = '';
  for (let i = start; i < end; i++) {
    if (sql[i] === '\n' && sql[i + 1] === '/' && i + 1 < end) {
      i++;
      continue;
    }
    text += sql[i];
    offsets.push(i);
  }
  return { text, map: new SourceMap(sql, Int32Array.from(offsets)) };
}

/**
 * The end of a quoted token starting at `start` (EMQX's lexer: the body is any text without
 * the quote, or doubled quotes; the longest match wins). Returns the index after the closing
 * quote, or -1 when unterminated.
 */
function quotedEnd(text: string, start: number, quote: string): number {
  let i = start + 1;
  let lastClose = -1;
  while (i < text.length) {
    if (text[i] !== quote) {
      i++;
      continue;
    }
    let run = 0;
    while (text[i + run] === quote) run++;
    // An odd run must close the token; an even run may stay in the body (doubled quotes).
    if (run % 2 === 1) return i + run;
    lastClose = i + run - 1;
    i += run;
  }
  return lastClose;
}

export function tokenize(sql: string): { tokens: Token[]; map: SourceMap } {
  const { text, map } = clean(sql);
  if (LONE_SURROGATE.test(text)) {
    throw map.error(words('rules.lexer.notUtf8', 'the statement is not valid UTF-8 text'), 0);
  }
  if (text.length === 0) throw map.error(words('rules.lexer.empty', 'the statement is empty'), map.originalOffset(0));
  const tokens: Token[] = [];
  const push = (kind: TokenKind, value: string, at: number, end: number, num = 0, to = 0): void => {
    tokens.push({ kind, value, num, to, offset: map.originalOffset(at), text: text.slice(at, end) });
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      if (nl === -1) {
        throw map.error(words('rules.lexer.commentAtEnd', 'a -- comment must end with a line break (it cannot be on the last line)'), map.originalOffset(i));
      }
      i = nl + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = quotedEnd(text, i, c);
      if (end === -1) {
        const reason = c === "'"
          ? words('rules.lexer.unterminatedString', 'unterminated string: missing the closing __quote__', { quote: c })
          : words('rules.lexer.unterminatedName', 'unterminated quoted name: missing the closing __quote__', { quote: c });
        throw map.error(reason, map.originalOffset(i));
      }
      const raw = text.slice(i, end);
      // EMQX trims every quote at both ends of a string, but only the delimiters of a name.
      const value = c === "'" ? raw.replace(/^'+|'+$/g, '') : raw.slice(1, -1);
      push(c === "'" ? 'string' : 'qname', value, i, end);
      i = end;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j])) j++;
      const word = text.slice(i, j);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) push('keyword', upper, i, j);
      else if (word === 'div' || word === 'mod') push('op', word, i, j);
      else if (word === 'true' || word === 'false') push('bool', word, i, j);
      else push('name', word, i, j);
      i = j;
      continue;
    }
    if (DIGIT.test(c)) {
      i = lexNumber(text, i, map, push);
      continue;
    }
    if (c === '[') {
      const m = RANGE.exec(text.slice(i, i + 48));
      if (m) {
        push('range', m[0], i, i + m[0].length, Number(m[1]), Number(m[2]));
        i += m[0].length;
        continue;
      }
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) {
      const reason = c === '`'
        ? words('rules.lexer.backtick', 'unexpected character ` (backticks are not quotes in rule SQL; use "name" or \'text\')')
        : words('rules.lexer.unexpectedCharacter', 'unexpected character __char__', { char: JSON.stringify(c) });
      throw map.error(reason, map.originalOffset(i));
    }
    push('op', op, i, i + op.length);
    i += op.length;
  }
  push('eof', '', text.length, text.length);
  return { tokens, map };
}

function lexNumber(
  text: string,
  start: number,
  map: SourceMap,
  push: (kind: TokenKind, value: string, at: number, end: number, num?: number) => void,
): number {
  let j = start;
  while (DIGIT.test(text[j] ?? '')) j++;
  let kind: TokenKind = 'int';
  if (text[j] === '.' && DIGIT.test(text[j + 1] ?? '')) {
    kind = 'float';
    j++;
    while (DIGIT.test(text[j] ?? '')) j++;
  }
  const exp = /^[eE][+-]?\d+/.exec(text.slice(j, j + 24));
  if (exp) {
    if (kind === 'int') {
      throw map.error(words('rules.lexer.exponentNeedsPoint', 'invalid number __number__: an exponent needs a decimal point (write 1.5e3)', { number: text.slice(start, j + exp[0].length) }), map.originalOffset(start));
    }
    j += exp[0].length;
  }
  if (/[A-Za-z_]/.test(text[j] ?? '')) {
    let k = j;
    while (/[A-Za-z0-9_]/.test(text[k] ?? '')) k++;
    throw map.error(words('rules.lexer.invalidNumber', 'invalid number __number__', { number: text.slice(start, k) }), map.originalOffset(start));
  }
  const raw = text.slice(start, j);
  push(kind, raw, start, j, Number(raw));
  return j;
}
