// The sink's update and condition expressions (DESIGN.md 1.3), parsed into a tree: DynamoDB's
// own grammar (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.html)
// with three conveniences: attribute names are written plainly (`count`, `a.b[0]`, or
// `` `odd-name` `` in backquotes), `${path}` is a value from the row, and numbers, 'quoted'
// strings and [] are literal values. Compiling the tree into DynamoDB's text is expression.ts.
import { expressionWords as say } from './expression-words';

/** An expression that does not parse or breaks a DynamoDB rule; `position` 0-based, `line`/`column` 1-based. */
export class ExpressionSyntaxError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly position: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(say.syntax(field, line, column, reason));
    this.name = 'ExpressionSyntaxError';
  }
}

export type PathSegment = string | number;
export interface PathNode {
  kind: 'path';
  segments: PathSegment[];
  pos: number;
}
/** `${a.b}`: a value from the row, encoded like the item. */
export interface PlaceholderNode {
  kind: 'placeholder';
  path: string[];
  pos: number;
}
export interface LiteralNode {
  kind: 'literal';
  type: 'N' | 'S' | 'L';
  text: string;
  pos: number;
}
export interface CallNode {
  kind: 'call';
  name: string;
  args: Operand[];
  pos: number;
}
export interface ArithmeticNode {
  kind: 'arithmetic';
  op: '+' | '-';
  left: Operand;
  right: Operand;
  pos: number;
}
export type Operand = PathNode | PlaceholderNode | LiteralNode | CallNode | ArithmeticNode;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type Condition =
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand; pos: number }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand; pos: number }
  | { kind: 'in'; subject: Operand; list: Operand[]; pos: number }
  | { kind: 'function'; call: CallNode; pos: number }
  | { kind: 'and' | 'or'; left: Condition; right: Condition; pos: number }
  | { kind: 'not'; operand: Condition; pos: number }
  | { kind: 'paren'; inner: Condition; pos: number };

export interface UpdateTree {
  set: { path: PathNode; value: Operand }[];
  remove: PathNode[];
  add: { path: PathNode; value: Operand }[];
  delete: { path: PathNode; value: Operand }[];
}

type TokenKind = 'name' | 'number' | 'string' | 'placeholder' | 'punct' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  /** A name written in backquotes: never a keyword. */
  quoted?: boolean;
}

const PUNCT = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'];
const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
/** DynamoDB limit: IN takes at most 100 values. */
const MAX_IN_VALUES = 100;
/** Deeper nesting than this is surely a mistake, and must not exhaust the stack. */
const MAX_DEPTH = 64;

function tokenize(text: string, fail: (pos: number, reason: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (NAME_START.test(c)) {
      while (i < text.length && NAME_PART.test(text[i])) i++;
      tokens.push({ kind: 'name', text: text.slice(start, i), pos: start });
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) fail(start, say.unterminatedName());
      if (end === i + 1) fail(start, say.emptyName());
      tokens.push({ kind: 'name', text: text.slice(i + 1, end), pos: start, quoted: true });
      i = end + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(i))!;
      i += m[0].length;
      if (i < text.length && NAME_PART.test(text[i])) fail(start, say.badNumber(text.slice(start, i + 1)));
      tokens.push({ kind: 'number', text: m[0], pos: start });
    } else if (c === "'") {
      // 'it''s' or 'it\'s': a quote inside is doubled or escaped.
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(start, say.unterminatedString());
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (text[i] === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (text[i] === "'") {
          i++;
          break;
        } else {
          value += text[i++];
        }
      }
      tokens.push({ kind: 'string', text: value, pos: start });
    } else if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) fail(start, say.unterminatedPlaceholder());
      const inner = text.slice(i + 2, end).trim();
      if (inner === '' || inner.split('.').some((s) => s === '' || /[\s"'{$\\`]/.test(s))) {
        fail(start, say.badPlaceholder(`\${${text.slice(i + 2, end)}}`));
      }
      tokens.push({ kind: 'placeholder', text: inner, pos: start });
      i = end + 1;
    } else if (c === '#' || c === ':') {
      fail(start, say.aliases(c === '#' ? '#name' : ':value'));
    } else {
      const p = PUNCT.find((x) => text.startsWith(x, i));
      if (!p) fail(start, say.unexpected(JSON.stringify(c)));
      tokens.push({ kind: 'punct', text: p, pos: start });
      i += p.length;
    }
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

const CLAUSES = ['SET', 'REMOVE', 'ADD', 'DELETE'] as const;
type Clause = (typeof CLAUSES)[number];

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private depth = 0;

  constructor(
    private readonly field: string,
    private readonly text: string,
  ) {
    this.tokens = tokenize(text, (pos, reason) => this.fail(pos, reason));
  }

  fail(pos: number, reason: string): never {
    const before = this.text.slice(0, pos);
    const line = before.split('\n').length;
    throw new ExpressionSyntaxError(this.field, reason, pos, line, pos - before.lastIndexOf('\n'));
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }

  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === text;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && !t.quoted && t.text.toUpperCase() === word;
  }

  private expect(text: string, what: string): Token {
    if (!this.isPunct(text)) this.fail(this.peek().pos, say.expected(what, this.describe(this.peek())));
    return this.next();
  }

  private describe(t: Token): string {
    if (t.kind === 'end') return say.endOfExpression();
    if (t.kind === 'placeholder') return `\${${t.text}}`;
    if (t.kind === 'string') return `'${t.text}'`;
    return `"${t.text}"`;
  }

  private end(): void {
    const t = this.peek();
    if (t.kind !== 'end') this.fail(t.pos, say.unexpected(this.describe(t)));
  }

  // ---- update expressions -------------------------------------------------------------------

  parseUpdate(): UpdateTree {
    const tree: UpdateTree = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<Clause>();
    if (this.peek().kind === 'end') this.fail(0, say.updateEmpty());
    while (this.peek().kind !== 'end') {
      const t = this.next();
      const clause = (t.kind === 'name' && !t.quoted ? t.text.toUpperCase() : '') as Clause;
      if (!CLAUSES.includes(clause)) this.fail(t.pos, say.expectedClause(this.describe(t)));
      // DynamoDB: each clause at most once; its actions are separated by commas.
      if (seen.has(clause)) this.fail(t.pos, say.clauseTwice(clause));
      seen.add(clause);
      do {
        const path = this.parsePath();
        if (clause === 'SET') {
          this.expect('=', say.equalsInSet(this.text.slice(path.pos, this.peek().pos).trim()));
          tree.set.push({ path, value: this.parseSetValue() });
        } else if (clause === 'REMOVE') {
          tree.remove.push(path);
        } else {
          const value = this.parseOperand();
          (clause === 'ADD' ? tree.add : tree.delete).push({ path, value });
        }
      } while (this.isPunct(',') && this.next());
      const after = this.peek();
      if (after.kind !== 'end' && !(after.kind === 'name' && !after.quoted && CLAUSES.includes(after.text.toUpperCase() as Clause))) {
        this.fail(after.pos, say.expectedNextClause(this.describe(after)));
      }
    }
    return tree;
  }

  /** SET's value: an operand, or operand + operand, or operand - operand (DynamoDB allows one). */
  private parseSetValue(): Operand {
    const left = this.parseOperand();
    if (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next();
      const right = this.parseOperand();
      if (this.isPunct('+') || this.isPunct('-')) {
        this.fail(this.peek().pos, say.oneArithmetic());
      }
      return { kind: 'arithmetic', op: op.text as '+' | '-', left, right, pos: op.pos };
    }
    return left;
  }

  // ---- condition expressions ----------------------------------------------------------------

  parseConditionExpression(): Condition {
    if (this.peek().kind === 'end') this.fail(0, say.conditionEmpty());
    const c = this.parseOr();
    this.end();
    return c;
  }

  private nest<T>(pos: number, fn: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(pos, say.tooDeep(MAX_DEPTH));
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  // DynamoDB's precedence, loosest first: OR, AND, NOT, then comparisons and functions.
  private parseOr(): Condition {
    let left = this.parseAnd();
    while (this.isKeyword('OR')) {
      const pos = this.next().pos;
      left = { kind: 'or', left, right: this.parseAnd(), pos };
    }
    return left;
  }

  private parseAnd(): Condition {
    let left = this.parseNot();
    while (this.isKeyword('AND')) {
      const pos = this.next().pos;
      left = { kind: 'and', left, right: this.parseNot(), pos };
    }
    return left;
  }

  private parseNot(): Condition {
    if (this.isKeyword('NOT')) {
      const pos = this.next().pos;
      return this.nest(pos, () => ({ kind: 'not', operand: this.parseNot(), pos }));
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Condition {
    const t = this.peek();
    if (['AND', 'OR', 'BETWEEN', 'IN'].some((k) => this.isKeyword(k))) {
      this.fail(t.pos, say.expectedCondition(t.text.toUpperCase()));
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.nest(t.pos, () => this.parseOr());
      this.expect(')', "')'");
      return { kind: 'paren', inner, pos: t.pos };
    }
    const subject = this.parseOperand();
    const op = this.peek();
    if (op.kind === 'punct' && ['=', '<>', '<', '<=', '>', '>='].includes(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left: subject, right: this.parseOperand(), pos: op.pos };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.parseOperand();
      if (!this.isKeyword('AND')) this.fail(this.peek().pos, say.expectedBetweenAnd(this.describe(this.peek())));
      this.next();
      return { kind: 'between', subject, low, high: this.parseOperand(), pos: op.pos };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expect('(', say.parenAfterIn());
      const list: Operand[] = [];
      do list.push(this.parseOperand());
      while (this.isPunct(',') && this.next());
      this.expect(')', say.commaOrParen());
      if (list.length > MAX_IN_VALUES) this.fail(op.pos, say.inTooMany(MAX_IN_VALUES));
      return { kind: 'in', subject, list, pos: op.pos };
    }
    if (subject.kind === 'call') return { kind: 'function', call: subject, pos: subject.pos };
    this.fail(op.pos, say.expectedComparison(this.describe(op)));
  }

  // ---- operands ----------------------------------------------------------------------------

  private parseOperand(): Operand {
    const t = this.peek();
    if (t.kind === 'placeholder') {
      this.next();
      return { kind: 'placeholder', path: t.text.split('.'), pos: t.pos };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'literal', type: 'N', text: t.text, pos: t.pos };
    }
    if (t.kind === 'punct' && t.text === '-' && this.peek(1).kind === 'number' && this.peek(1).pos === t.pos + 1) {
      this.next();
      return { kind: 'literal', type: 'N', text: `-${this.next().text}`, pos: t.pos };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', type: 'S', text: t.text, pos: t.pos };
    }
    if (this.isPunct('[') && this.isPunct(']', 1)) {
      this.next();
      this.next();
      return { kind: 'literal', type: 'L', text: '[]', pos: t.pos };
    }
    if (t.kind === 'name' && !t.quoted && this.isPunct('(', 1)) {
      this.next();
      this.next();
      const args: Operand[] = [];
      this.nest(t.pos, () => {
        if (!this.isPunct(')')) {
          do args.push(this.parseOperand());
          while (this.isPunct(',') && this.next());
        }
      });
      this.expect(')', say.commaOrParenIn(t.text));
      return { kind: 'call', name: t.text, args, pos: t.pos };
    }
    if (t.kind === 'name') return this.parsePath();
    this.fail(t.pos, say.expectedOperand(this.describe(t)));
  }

  /** name ( .name | [index] )* */
  parsePath(): PathNode {
    const t = this.next();
    if (t.kind !== 'name') this.fail(t.pos, say.expectedName(this.describe(t)));
    const segments: PathSegment[] = [t.text];
    for (;;) {
      if (this.isPunct('.') && this.peek(1).kind === 'name') {
        this.next();
        segments.push(this.next().text);
      } else if (this.isPunct('[') && this.peek(1).kind === 'number' && this.isPunct(']', 2)) {
        this.next();
        const index = this.next();
        if (!/^\d+$/.test(index.text)) this.fail(index.pos, say.listIndex());
        segments.push(Number(index.text));
        this.next();
      } else if (this.isPunct('.') || this.isPunct('[')) {
        this.fail(this.peek().pos, say.expectedPathPart());
      } else {
        return { kind: 'path', segments, pos: t.pos };
      }
    }
  }
}

export function parseUpdateExpression(text: string, field = 'updateExpression'): { tree: UpdateTree; fail: Parser['fail'] } {
  const p = new Parser(field, text);
  return { tree: p.parseUpdate(), fail: (pos, reason) => p.fail(pos, reason) };
}

export function parseCondition(text: string, field = 'condition'): { tree: Condition; fail: Parser['fail'] } {
  const p = new Parser(field, text);
  return { tree: p.parseConditionExpression(), fail: (pos, reason) => p.fail(pos, reason) };
}
