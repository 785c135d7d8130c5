// Item templates (DESIGN.md section 4): JSON text with `${a.b}` placeholders, compiled once at
// deploy into a tree, then filled from each row. Building values instead of pasting text keeps
// the result valid JSON whatever the values hold (EMQX breaks on quotes; we do not).
import { isUtf8 } from 'node:buffer';
import { types } from 'node:util';
import { bytesOf, dateText, isNumberArray, jsonText, JsonValueError, unboxed } from '../../json/encode';
import { ItemError } from './encoding';
import { parseJson as parseExactJson } from '../../rules/exact-json';
import { JsonDepthError } from '../../json/depth';
import { words } from '../../words';

/** A template that cannot be compiled; `line`/`column` are 1-based, `position` 0-based. */
export class TemplateSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(words('item.template.syntax', 'template line __line__, column __column__: __reason__', { line, column, reason }));
    this.name = 'TemplateSyntaxError';
  }
}

export type CompiledTemplate = (row: Record<string, unknown>) => Record<string, unknown>;

type Part = string | string[]; // literal text, or a placeholder path
type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'text'; parts: Part[] } // a JSON string holding placeholders
  // A bare placeholder as a JSON value; `attribute`: it is a whole attribute of the item (its
  // value is written as such, bytes as binary), else it is nested inside a map or list.
  | { kind: 'placeholder'; path: string[]; attribute?: boolean }
  | { kind: 'array'; items: Node[] }
  | { kind: 'object'; entries: [Part[], Node][] };

/** Compiles a template; throws TemplateSyntaxError naming the line and column. */
export function compileTemplate(text: string): CompiledTemplate {
  const root = new TemplateParser(text).parseDocument();
  if (root.kind !== 'object' && root.kind !== 'placeholder') {
    throw syntaxError(text, skipSpace(text, 0), words('item.template.notObjectText', 'the template must be a JSON object, e.g. {"id": "${id}"}'));
  }
  // The root object's bare placeholders are whole attributes; a root placeholder's value is the item.
  if (root.kind === 'object') {
    for (const [, value] of root.entries) if (value.kind === 'placeholder') value.attribute = true;
  }
  return (row) => {
    const value = root.kind === 'placeholder' ? lookupPath(row, root.path) : evaluate(root, row);
    const object = typeof value === 'string' ? parseJson(value) : value;
    if (object === null || typeof object !== 'object' || Array.isArray(object) || Buffer.isBuffer(object)) {
      throw new ItemError('template', words('item.template.notObject', 'the template did not give a JSON object: make its outer value {...}'));
    }
    // A whole-item placeholder: its fields are the attributes.
    if (root.kind === 'placeholder') for (const field of Object.values(object)) checkBytes(field, root.path, true);
    return object as Record<string, unknown>;
  };
}

/** Looks up `a.b.c` in the row; a JSON string met on the way is decoded (as the rule engine does). */
export function lookupPath(row: unknown, path: readonly string[]): unknown {
  let current: unknown = row;
  for (const key of path) {
    if (typeof current === 'string' || Buffer.isBuffer(current)) current = parseJson(current.toString());
    if (types.isMap(current)) {
      current = current.get(key);
      continue;
    }
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** JSON text met on a path or as the whole item; undefined when it is not JSON, an error when too deep (DESIGN.md section 6). */
function parseJson(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch (err) {
    if (err instanceof JsonDepthError) throw new ItemError('template', `decode_json_failed: ${err.message}`);
    return undefined;
  }
}

function evaluate(node: Node, row: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'placeholder': {
      const value = lookupPath(row, node.path);
      if (value !== null && typeof value === 'object') checkBytes(value, node.path, node.attribute === true);
      return value;
    }
    case 'text':
      return fillText(node.parts, row);
    case 'array':
      return node.items.map((item) => evaluate(item, row));
    case 'object': {
      const object: Record<string, unknown> = {};
      for (const [key, value] of node.entries) {
        const name = fillText(key, row);
        // A key named __proto__ is a key like any other (an assignment would set the prototype).
        if (name === '__proto__') Object.defineProperty(object, name, { value: evaluate(value, row), enumerable: true, writable: true, configurable: true });
        else object[name] = evaluate(value, row);
      }
      return object;
    }
  }
}

function fillText(parts: Part[], row: Record<string, unknown>): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : valueAsText(lookupPath(row, part), part);
  return out;
}

/**
 * A value inside a string, as EMQX renders it: text as is, undefined/null as words, a Date as
 * its ISO 8601 text, the rest as JSON (the rule engine's json_encode). Bytes that are not
 * UTF-8 fail: the template would have to change them.
 */
function valueAsText(value: unknown, path: string[]): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return value.toString();
  try {
    if (value !== null && typeof value === 'object') {
      if (types.isDate(value)) return dateText(value, '');
      const bytes = bytesOf(value);
      if (bytes) {
        if (!isUtf8(bytes)) throw new JsonValueError('', notUtf8(), 'bytes');
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      }
      const boxed = unboxed(value);
      if (boxed !== value) return valueAsText(boxed, path);
    }
    return jsonText(value, '', { invalidUtf8: 'error' });
  } catch (err) {
    if (err instanceof JsonValueError) throw placeholderError(path, err);
    throw err;
  }
}

/**
 * Bytes that are not UTF-8, anywhere in a bare placeholder's value, fail the message: nested in
 * a map or list they would become JSON text with U+FFFD (DESIGN.md 4). Bytes that are a whole
 * attribute (`allowTop`) are written as binary, unchanged.
 */
function checkBytes(value: unknown, path: string[], allowTop: boolean): void {
  if (value === null || typeof value !== 'object') return;
  if (bytesOf(value)) {
    if (allowTop) return;
    const bytes = bytesOf(value) as Uint8Array;
    if (!isUtf8(bytes)) throw placeholderError(path, new JsonValueError('', notUtf8(), 'bytes'));
    return;
  }
  if (types.isDate(value) || isNumberArray(value)) return;
  // Plain data is the common case: look for bytes without encoding anything. A cycle or a deep
  // value is left to the encoder, which names it.
  const found = findInvalidBytes(value, 0, []);
  if (found !== undefined) {
    throw placeholderError(path, new JsonValueError(found, notUtf8(), 'bytes'));
  }
}

/** The path (inside the value) of the first bytes that are not UTF-8, or undefined. */
function findInvalidBytes(value: unknown, depth: number, at: string[]): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  const bytes = bytesOf(value);
  if (bytes) return isUtf8(bytes) ? undefined : at.join('.');
  const children: Iterable<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as [string, unknown])
    : types.isMap(value)
      ? [...value].map(([k, v]) => [String(k), v] as [string, unknown])
      : types.isSet(value)
        ? [...value].map((v, i) => [String(i), v] as [string, unknown])
        : Object.entries(value);
  for (const [key, child] of children) {
    if (child === null || typeof child !== 'object') continue;
    at.push(key);
    const found = findInvalidBytes(child, depth + 1, at);
    at.pop();
    if (found !== undefined) return found;
  }
  return undefined;
}

function notUtf8(): string {
  return words('item.template.notUtf8', 'holds bytes that are not UTF-8 text');
}

function placeholderError(path: string[], err: JsonValueError): ItemError {
  const vars = { where: `\${${path.join('.')}}`, at: err.path, reason: err.reason };
  if (err.problem === 'bytes') {
    return new ItemError(
      'template',
      err.path
        ? words('item.template.bytesAt', 'template placeholder __where__ (at __at__) holds bytes that are not UTF-8 text, which a template cannot put into JSON text without changing them: write the bytes as a whole attribute (e.g. "raw": __where__) to store them as binary, or turn them into text in the rule (base64_encode(...) or bin2hexstr(...))', vars)
        : words('item.template.bytes', 'template placeholder __where__ holds bytes that are not UTF-8 text, which a template cannot put into JSON text without changing them: write the bytes as a whole attribute (e.g. "raw": __where__) to store them as binary, or turn them into text in the rule (base64_encode(...) or bin2hexstr(...))', vars),
    );
  }
  return new ItemError(
    'template',
    err.path
      ? words('item.template.placeholderAt', 'template placeholder __where__ (at __at__) __reason__', vars)
      : words('item.template.placeholder', 'template placeholder __where__ __reason__', vars),
  );
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++;
  return pos;
}

function syntaxError(text: string, position: number, reason: string): TemplateSyntaxError {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return new TemplateSyntaxError(reason, position, line, column);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A recursive-descent JSON parser that also accepts `${path}` as a value and inside strings. */
class TemplateParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): Node {
    if (this.text.trim() === '') throw this.error(words('item.template.empty', 'the template is empty'));
    const node = this.parseValue();
    this.pos = skipSpace(this.text, this.pos);
    if (this.pos < this.text.length) throw this.error(words('item.template.trailing', 'unexpected text after the end of the JSON object'));
    return node;
  }

  private error(reason: string, at = this.pos): TemplateSyntaxError {
    return syntaxError(this.text, at, reason);
  }

  private parseValue(): Node {
    this.pos = skipSpace(this.text, this.pos);
    const c = this.text[this.pos];
    if (c === '{') return this.parseObject();
    if (c === '[') return this.parseArray();
    if (c === '"') {
      const parts = this.parseString();
      return parts.every((p) => typeof p === 'string') ? { kind: 'literal', value: parts.join('') } : { kind: 'text', parts };
    }
    if (c === '$' && this.text[this.pos + 1] === '{') return { kind: 'placeholder', path: this.parsePlaceholder() };
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: 'literal', value };
      }
    }
    NUMBER.lastIndex = this.pos;
    const number = NUMBER.exec(this.text);
    if (number) {
      this.pos += number[0].length;
      // An integer literal beyond 2^53 keeps its digits (a BigInt, written as N).
      return { kind: 'literal', value: parseExactJson(number[0]) };
    }
    if (c === undefined) throw this.error(words('item.template.unexpectedEnd', 'unexpected end of template, expected a value'));
    const found = JSON.stringify(c);
    throw this.error(words('item.template.unexpected', 'unexpected __found__, expected a value (string, number, object, array, true, false, null or ${path})', { found }));
  }

  private parseObject(): Node {
    this.pos++; // {
    const entries: [Part[], Node][] = [];
    this.pos = skipSpace(this.text, this.pos);
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.pos = skipSpace(this.text, this.pos);
      if (this.text[this.pos] !== '"') throw this.error(words('item.template.expectedKey', 'expected a key in double quotes'));
      const key = this.parseString();
      this.pos = skipSpace(this.text, this.pos);
      if (this.text[this.pos] !== ':') throw this.error(words('item.template.expectedColon', "expected ':' after the key"));
      this.pos++;
      entries.push([key, this.parseValue()]);
      this.pos = skipSpace(this.text, this.pos);
      const c = this.text[this.pos++];
      if (c === '}') return { kind: 'object', entries };
      if (c !== ',') throw this.error(words('item.template.expectedCommaBrace', "expected ',' or '}'"), this.pos - 1);
    }
  }

  private parseArray(): Node {
    this.pos++; // [
    const items: Node[] = [];
    this.pos = skipSpace(this.text, this.pos);
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.parseValue());
      this.pos = skipSpace(this.text, this.pos);
      const c = this.text[this.pos++];
      if (c === ']') return { kind: 'array', items };
      if (c !== ',') throw this.error(words('item.template.expectedCommaBracket', "expected ',' or ']'"), this.pos - 1);
    }
  }

  /** A JSON string starting at `"`; placeholders inside become path parts. */
  private parseString(): Part[] {
    const start = this.pos++;
    const parts: Part[] = [];
    let literal = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.error(words('item.template.unterminatedString', 'unterminated string'), start);
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error(words('item.template.badUnicodeEscape', 'bad \\u escape'));
          literal += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else if (e !== undefined && e in ESCAPES) {
          literal += ESCAPES[e];
          this.pos += 2;
        } else {
          throw this.error(words('item.template.badEscape', 'bad escape in string'));
        }
      } else if (c === '$' && this.text[this.pos + 1] === '{') {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(this.parsePlaceholder());
      } else if (c < ' ') {
        throw this.error(words('item.template.controlCharacter', 'control character in string: write it as an escape such as \\n'));
      } else {
        literal += c;
        this.pos++;
      }
    }
    if (literal || parts.length === 0) parts.push(literal);
    return parts;
  }

  private parsePlaceholder(): string[] {
    const start = this.pos;
    let end = start + 2;
    while (end < this.text.length && !'}"\n'.includes(this.text[end])) end++;
    if (this.text[end] !== '}') throw this.error(words('item.template.unterminatedPlaceholder', "unterminated placeholder: '${' needs a closing '}'"), start);
    const inner = this.text.slice(start + 2, end).trim();
    const path = inner.split('.');
    if (inner === '' || path.some((segment) => segment === '' || /[\s"{$\\]/.test(segment))) {
      const placeholder = `\${${this.text.slice(start + 2, end)}}`;
      throw this.error(words('item.template.badPlaceholder', 'bad placeholder __placeholder__: write a path such as ${payload.temp}', { placeholder }), start);
    }
    this.pos = end + 1;
    return path;
  }
}
