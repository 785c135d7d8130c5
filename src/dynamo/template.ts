// Item templates (DESIGN.md section 4): JSON text with `${a.b}` placeholders, compiled once at
// deploy into a tree, then filled from each row. Building values instead of pasting text keeps
// the result valid JSON whatever the values hold (EMQX breaks on quotes; we do not).
import { ItemError } from './encoding';

/** A template that cannot be compiled; `line`/`column` are 1-based, `position` 0-based. */
export class TemplateSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`template line ${line}, column ${column}: ${reason}`);
    this.name = 'TemplateSyntaxError';
  }
}

export type CompiledTemplate = (row: Record<string, unknown>) => Record<string, unknown>;

type Part = string | string[]; // literal text, or a placeholder path
type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'text'; parts: Part[] } // a JSON string holding placeholders
  | { kind: 'placeholder'; path: string[] } // a bare placeholder as a JSON value
  | { kind: 'array'; items: Node[] }
  | { kind: 'object'; entries: [Part[], Node][] };

/** Compiles a template; throws TemplateSyntaxError naming the line and column. */
export function compileTemplate(text: string): CompiledTemplate {
  const root = new TemplateParser(text).parseDocument();
  if (root.kind !== 'object' && root.kind !== 'placeholder') {
    throw syntaxError(text, skipSpace(text, 0), 'the template must be a JSON object, e.g. {"id": "${id}"}');
  }
  return (row) => {
    const value = evaluate(root, row);
    const object = typeof value === 'string' ? parseJson(value) : value;
    if (object === null || typeof object !== 'object' || Array.isArray(object) || Buffer.isBuffer(object)) {
      throw new ItemError('template', 'the template did not give a JSON object: make its outer value {...}');
    }
    return object as Record<string, unknown>;
  };
}

/** Looks up `a.b.c` in the row; a JSON string met on the way is decoded (as the rule engine does). */
export function lookupPath(row: unknown, path: readonly string[]): unknown {
  let current: unknown = row;
  for (const key of path) {
    if (typeof current === 'string' || Buffer.isBuffer(current)) current = parseJson(current.toString());
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function evaluate(node: Node, row: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'placeholder':
      return lookupPath(row, node.path);
    case 'text':
      return fillText(node.parts, row);
    case 'array':
      return node.items.map((item) => evaluate(item, row));
    case 'object': {
      const object: Record<string, unknown> = {};
      for (const [key, value] of node.entries) object[fillText(key, row)] = evaluate(value, row);
      return object;
    }
  }
}

function fillText(parts: Part[], row: Record<string, unknown>): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : valueAsText(lookupPath(row, part));
  return out;
}

/** A value inside a string, as EMQX renders it: text as is, undefined/null as words, the rest as JSON. */
function valueAsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? String(value);
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
    if (this.text.trim() === '') throw this.error('the template is empty');
    const node = this.parseValue();
    this.pos = skipSpace(this.text, this.pos);
    if (this.pos < this.text.length) throw this.error('unexpected text after the end of the JSON object');
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
      return { kind: 'literal', value: Number(number[0]) };
    }
    if (c === undefined) throw this.error('unexpected end of template, expected a value');
    throw this.error(`unexpected ${JSON.stringify(c)}, expected a value (string, number, object, array, true, false, null or \${path})`);
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
      if (this.text[this.pos] !== '"') throw this.error('expected a key in double quotes');
      const key = this.parseString();
      this.pos = skipSpace(this.text, this.pos);
      if (this.text[this.pos] !== ':') throw this.error("expected ':' after the key");
      this.pos++;
      entries.push([key, this.parseValue()]);
      this.pos = skipSpace(this.text, this.pos);
      const c = this.text[this.pos++];
      if (c === '}') return { kind: 'object', entries };
      if (c !== ',') throw this.error("expected ',' or '}'", this.pos - 1);
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
      if (c !== ',') throw this.error("expected ',' or ']'", this.pos - 1);
    }
  }

  /** A JSON string starting at `"`; placeholders inside become path parts. */
  private parseString(): Part[] {
    const start = this.pos++;
    const parts: Part[] = [];
    let literal = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.error('unterminated string', start);
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('bad \\u escape');
          literal += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else if (e !== undefined && e in ESCAPES) {
          literal += ESCAPES[e];
          this.pos += 2;
        } else {
          throw this.error('bad escape in string');
        }
      } else if (c === '$' && this.text[this.pos + 1] === '{') {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(this.parsePlaceholder());
      } else if (c < ' ') {
        throw this.error('control character in string: write it as an escape such as \\n');
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
    if (this.text[end] !== '}') throw this.error("unterminated placeholder: '${' needs a closing '}'", start);
    const inner = this.text.slice(start + 2, end).trim();
    const path = inner.split('.');
    if (inner === '' || path.some((segment) => segment === '' || /[\s"{$\\]/.test(segment))) {
      throw this.error(`bad placeholder \${${this.text.slice(start + 2, end)}}: write a path such as \${payload.temp}`, start);
    }
    this.pos = end + 1;
    return path;
  }
}
