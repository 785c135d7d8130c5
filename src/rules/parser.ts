// Rule SQL statements to syntax trees (reference section 2): one binding-power table and a
// Pratt loop for expressions, recursive descent for clauses, then a check of where AND, OR,
// NOT, IN and comparisons may appear.

import { exactInteger } from './exact-json';
import { ArithmeticOp, CaseBranch, ComparisonOperator, Expr, Field, NameRef, Over, Segment, Source, Statement } from './ast';
import { SourceMap, Token, tokenize } from './lexer';

const OR_BP = 10;
const AND_BP = 20;
const NOT_BP = 30;
const COMPARISON_BP = 40;
const UNARY_BP = 70;

/** Binding power of every infix operator (reference section 2.4, low to high). */
const INFIX_POWER: Readonly<Record<string, number>> = {
  OR: OR_BP,
  AND: AND_BP,
  IN: COMPARISON_BP,
  '=': COMPARISON_BP, '!=': COMPARISON_BP, '<>': COMPARISON_BP, '<': COMPARISON_BP, '>': COMPARISON_BP,
  '<=': COMPARISON_BP, '>=': COMPARISON_BP, '=~': COMPARISON_BP, '~=': COMPARISON_BP,
  '+': 50, '-': 50,
  '*': 60, '/': 60, div: 60, mod: 60,
};

const ARITHMETIC = new Set(['+', '-', '*', '/', 'div', 'mod']);

/** eKuiper aggregates that take `*` as an argument: count(*), collect(*), last_value(*, true). */
const STAR_ARGUMENT = new Set(['count', 'collect', 'first_value', 'last_value', 'merge_agg']);

/** Where an expression stands, which decides what it may contain (reference section 2.4). */
type Place = { kind: 'value' } | { kind: 'condition' } | { kind: 'operand'; of: string };

export interface ParsedStatement {
  statement: Statement;
  map: SourceMap;
}

export function parseStatement(sql: string): ParsedStatement {
  const { tokens, map } = tokenize(sql);
  const statement = new Parser(tokens, map).statement();
  return { statement, map };
}

/** One expression alone, e.g. rule-sql's `eventTime` property (`payload.ts`). Throws RuleSyntaxError. */
export function parseExpression(text: string): { expr: Expr; map: SourceMap } {
  const { tokens, map } = tokenize(text);
  return { expr: new Parser(tokens, map).standalone(), map };
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'the end of the statement';
    case 'keyword': return t.value;
    case 'op': return t.value === 'div' || t.value === 'mod' ? t.value : `'${t.value}'`;
    default: return t.text;
  }
}

class Parser {
  private i = 0;

  constructor(private readonly tokens: Token[], private readonly map: SourceMap) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.value === op;
  }

  private isKeyword(t: Token, kw: string): boolean {
    return t.kind === 'keyword' && t.value === kw;
  }

  private fail(reason: string, at: Token | number): never {
    throw this.map.error(reason, typeof at === 'number' ? at : at.offset);
  }

  private expectOp(op: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) this.fail(`expected '${op}' ${what}, found ${describe(t)}`, t);
    return this.next();
  }

  standalone(): Expr {
    const start: Token = { kind: 'op', value: '(', num: 0, to: 0, offset: 0, text: '' };
    const e = this.expr(0, { ...start, kind: 'eof' });
    this.check(e, { kind: 'value' });
    const end = this.peek();
    if (end.kind !== 'eof') this.fail(`expected the end of the expression, found ${describe(end)}`, end);
    return e;
  }

  statement(): Statement {
    const first = this.next();
    if (this.isKeyword(first, 'SELECT')) {
      const fields = this.fields(first);
      this.expectFrom("expected ',' or FROM");
      return this.finish({ kind: 'select', fields, sources: [] });
    }
    if (this.isKeyword(first, 'FOREACH')) {
      const fields = this.fields(first);
      const statement: Statement = { kind: 'foreach', fields, sources: [] };
      let expected = "expected ',', DO, INCASE or FROM";
      if (this.isKeyword(this.peek(), 'DO')) {
        statement.doFields = this.fields(this.next());
        expected = "expected ',', INCASE or FROM";
      }
      if (this.isKeyword(this.peek(), 'INCASE')) {
        const incase = this.next();
        statement.incase = this.condition(incase);
        expected = 'expected FROM';
      }
      this.expectFrom(expected);
      return this.finish(statement);
    }
    return this.fail(`expected SELECT or FOREACH, found ${describe(first)}`, first);
  }

  private expectFrom(expected: string): void {
    const t = this.peek();
    if (!this.isKeyword(t, 'FROM')) this.fail(`${expected}, found ${describe(t)}`, t);
  }

  private finish(statement: Statement): Statement {
    statement.sources = this.sources(this.next());
    if (this.isKeyword(this.peek(), 'WHERE')) statement.where = this.condition(this.next());
    this.groupByAndHaving(statement);
    const end = this.peek();
    if (end.kind !== 'eof') {
      const expected = statement.where ? 'expected the end of the statement' : "expected ',', WHERE or the end of the statement";
      this.fail(`${expected}, found ${describe(end)}`, end);
    }
    return statement;
  }

  /** A word that is a clause keyword only where it stands (GROUP, BY, HAVING, OVER, PARTITION): EMQX has none of them. */
  private isWord(t: Token, word: string): boolean {
    return t.kind === 'name' && t.value.toUpperCase() === word;
  }

  /** eKuiper's `GROUP BY expr, ..., WINDOW(...)` and `HAVING condition` (DESIGN.md section 7). */
  private groupByAndHaving(statement: Statement): void {
    const group = this.peek();
    if (this.isWord(group, 'GROUP')) {
      this.next();
      const by = this.peek();
      if (!this.isWord(by, 'BY')) this.fail(`expected BY after GROUP, found ${describe(by)}`, by);
      this.next();
      statement.groupAt = group.offset;
      statement.groupBy = [];
      let after = by;
      for (;;) {
        const e = this.expr(0, after);
        this.check(e, { kind: 'value' });
        statement.groupBy.push(e);
        if (!this.isOp(this.peek(), ',')) break;
        after = this.next();
      }
    }
    const having = this.peek();
    if (this.isWord(having, 'HAVING')) {
      statement.havingAt = having.offset;
      statement.having = this.condition(this.next());
    }
  }

  /** `OVER ([PARTITION BY expr, ...] [WHEN condition])`, after the call's ')'. */
  private over(overTok: Token): Over {
    this.expectOp('(', 'after OVER');
    const over: Over = { partitionBy: [], at: overTok.offset };
    let t = this.peek();
    if (this.isWord(t, 'PARTITION')) {
      this.next();
      const by = this.peek();
      if (!this.isWord(by, 'BY')) this.fail(`expected BY after PARTITION, found ${describe(by)}`, by);
      let after = this.next();
      for (;;) {
        const e = this.expr(0, after);
        this.check(e, { kind: 'value' });
        over.partitionBy.push(e);
        if (!this.isOp(this.peek(), ',')) break;
        after = this.next();
      }
      t = this.peek();
    }
    if (this.isKeyword(t, 'WHEN')) over.when = this.condition(this.next());
    if (over.partitionBy.length === 0 && over.when === undefined) {
      this.fail(`expected PARTITION BY or WHEN in OVER (...), found ${describe(this.peek())}`, this.peek());
    }
    this.expectOp(')', 'to close OVER (');
    return over;
  }

  private sources(from: Token): Source[] {
    const sources: Source[] = [];
    let after = from;
    for (;;) {
      const t = this.next();
      if (t.kind !== 'name' && t.kind !== 'qname' && t.kind !== 'string') {
        this.fail(`expected a topic after ${describe(after)}, found ${describe(t)}`, t);
      }
      if (t.kind === 'name' && this.isOp(this.peek(), '/')) {
        this.fail(`a topic with '/' must be quoted: FROM "${t.value}/..."`, t);
      }
      sources.push({ topic: t.value, at: t.offset });
      if (!this.isOp(this.peek(), ',')) return sources;
      after = this.next();
    }
  }

  private condition(after: Token): Expr {
    const e = this.expr(0, after);
    this.check(e, { kind: 'condition' });
    return e;
  }

  private fields(after: Token): Field[] {
    const fields: Field[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '*')) {
        this.next();
        fields.push({ kind: 'star', at: t.offset });
      } else {
        const expr = this.expr(0, after);
        this.check(expr, { kind: 'value' });
        const field: Field = { kind: 'expr', expr, at: t.offset };
        const next = this.peek();
        if (this.isKeyword(next, 'AS')) field.alias = this.target(this.next());
        else if (next.kind === 'name' || next.kind === 'qname') field.alias = this.target(undefined);
        fields.push(field);
      }
      if (!this.isOp(this.peek(), ',')) return fields;
      after = this.next();
    }
  }

  private target(as: Token | undefined): NameRef {
    const t = this.next();
    if (!as && t.kind === 'name' && /^(div|mod)$/i.test(t.value)) {
      this.fail(`${t.value} is not an operator here: div and mod are written in lower case`, t);
    }
    if (t.kind === 'name' || t.kind === 'qname') return this.nameRef(t, 'target') as NameRef;
    const found = t.kind === 'keyword' ? `the reserved word ${t.value}` : describe(t);
    return this.fail(`expected a name after ${as ? 'AS' : 'the expression'}, found ${found}`, t);
  }

  /** The Pratt loop: parse a prefix, then fold in every infix operator binding tighter than `rbp`. */
  private expr(rbp: number, after: Token): Expr {
    let left = this.prefix(after);
    for (;;) {
      const t = this.peek();
      const bp = this.infixPower(t);
      if (bp <= rbp) return left;
      if (bp === COMPARISON_BP && (left.type === 'compare' || left.type === 'in') && !left.paren) {
        this.fail('comparisons cannot be chained (a < b < c); combine them with AND', t);
      }
      left = this.infix(left, this.next(), bp);
    }
  }

  private infixPower(t: Token): number {
    if (t.kind === 'op' || t.kind === 'keyword') {
      if (this.isKeyword(t, 'NOT')) return this.isKeyword(this.peek(1), 'IN') ? COMPARISON_BP : 0;
      return INFIX_POWER[t.value] ?? 0;
    }
    return 0;
  }

  private infix(left: Expr, t: Token, bp: number): Expr {
    const at = t.offset;
    if (t.kind === 'keyword') {
      if (t.value === 'AND' || t.value === 'OR') {
        const type = t.value === 'AND' ? 'and' : 'or';
        return { type, left, right: this.expr(bp, t), at };
      }
      const negated = t.value === 'NOT';
      const inTok = negated ? this.next() : t;
      const open = this.expectOp('(', 'after IN');
      const items: Expr[] = [];
      let after = open;
      for (;;) {
        const item = this.expr(0, after);
        items.push(item);
        if (!this.isOp(this.peek(), ',')) break;
        after = this.next();
      }
      this.expectOp(')', `to close the list of ${negated ? 'NOT IN' : inTok.value}`);
      return { type: 'in', subject: left, items, negated, at };
    }
    const right = this.expr(bp, t);
    if (ARITHMETIC.has(t.value)) return { type: 'arith', op: t.value as ArithmeticOp, left, right, at };
    return { type: 'compare', op: t.value as ComparisonOperator, left, right, at };
  }

  private prefix(after: Token): Expr {
    const t = this.peek();
    const at = t.offset;
    switch (t.kind) {
      case 'int': case 'float':
        this.next();
        return { type: 'const', value: t.kind === 'int' ? exactInteger(BigInt(t.text)) : t.num, float: t.kind === 'float', at };
      case 'string':
        this.next();
        return { type: 'const', value: t.value, float: false, at };
      case 'bool':
        this.next();
        return { type: 'const', value: t.value === 'true', float: false, at };
      case 'range':
        this.next();
        return { type: 'range', from: t.num, to: t.to, at };
      case 'name': case 'qname':
        return this.nameOrCall(this.next());
      case 'keyword':
        if (t.value === 'CASE') return this.caseExpr(this.next());
        if (t.value === 'NOT') {
          this.next();
          return { type: 'not', operand: this.expr(NOT_BP, t), at };
        }
        break;
      case 'op':
        if (t.value === '(') {
          this.next();
          const inner = this.expr(0, t);
          this.expectOp(')', "to close '('");
          inner.paren = true;
          return inner;
        }
        if (t.value === '[') return this.list(this.next());
        if (t.value === '-' || t.value === '+') {
          this.next();
          const operand = this.expr(UNARY_BP, t);
          if (t.value === '+') return operand;
          if (operand.type === 'const' && (typeof operand.value === 'number' || typeof operand.value === 'bigint') && !operand.paren) {
            return { type: 'const', value: -operand.value, float: operand.float, at };
          }
          return { type: 'negate', operand, at };
        }
        if ((t.value === 'div' || t.value === 'mod') && this.isOp(this.peek(1), '(')) {
          this.next();
          return this.call(t.value, t);
        }
        break;
      default:
        break;
    }
    return this.fail(`expected an expression after ${describe(after)}`, t);
  }

  private list(open: Token): Expr {
    const items: Expr[] = [];
    if (this.isOp(this.peek(), ']')) {
      this.next();
      return { type: 'list', items, at: open.offset };
    }
    let after = open;
    for (;;) {
      items.push(this.expr(0, after));
      if (!this.isOp(this.peek(), ',')) break;
      after = this.next();
    }
    this.expectOp(']', 'to close the list');
    return { type: 'list', items, at: open.offset };
  }

  private call(name: string, nameTok: Token): Expr {
    const open = this.next();
    const args: Expr[] = [];
    if (!this.isOp(this.peek(), ')')) {
      let after = open;
      for (;;) {
        const t = this.peek();
        const n = this.peek(1);
        if (this.isOp(t, '*') && (this.isOp(n, ')') || this.isOp(n, ',')) && STAR_ARGUMENT.has(name.toLowerCase())) {
          // `count(*)`: every event; a name no statement can otherwise produce.
          this.next();
          args.push({ type: 'var', name: '*', at: t.offset });
        } else {
          args.push(this.expr(0, after));
        }
        if (!this.isOp(this.peek(), ',')) break;
        after = this.next();
      }
    }
    this.expectOp(')', `to close the arguments of ${name}(`);
    const call: Expr = { type: 'call', name, args, at: nameTok.offset };
    if (this.isWord(this.peek(), 'OVER') && this.isOp(this.peek(1), '(')) call.over = this.over(this.next());
    return call;
  }

  private nameOrCall(first: Token): Expr {
    if (first.kind === 'name' && this.isOp(this.peek(), '(')) return this.call(first.value, first);
    const ref = this.nameRef(first, 'expr');
    if (ref.type === 'path' && this.isOp(this.peek(), '(')) {
      // EMQX accepts `emqx_rule_funcs.upper(x)`, the module that holds the built-ins.
      const [segment] = ref.segments;
      if (ref.segments.length === 1 && segment.kind === 'key' && ref.root.startsWith('emqx_rule_funcs')) {
        return this.call(segment.key, first);
      }
      this.fail('only a plain name can be called as a function', first);
    }
    return ref;
  }

  /** A name followed by `.key`, `[index]` and, in expressions only, a final `[a..b]`. */
  private nameRef(first: Token, use: 'expr' | 'target' | 'index'): Expr {
    const segments: Segment[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '.')) {
        this.next();
        segments.push({ kind: 'key', key: this.key(t) });
      } else if (this.isOp(t, '[')) {
        this.next();
        segments.push(this.index(t));
        this.expectOp(']', 'to close the index');
      } else if (t.kind === 'range') {
        if (use !== 'expr') this.fail(`a range ${t.text} cannot be used ${use === 'target' ? 'in an alias' : 'as an index'}`, t);
        this.next();
        const target: NameRef = segments.length === 0
          ? { type: 'var', name: first.value, at: first.offset }
          : { type: 'path', root: first.value, segments, at: first.offset };
        const more = this.peek();
        if (this.isOp(more, '.') || this.isOp(more, '[') || more.kind === 'range') {
          this.fail(`a range ${t.text} must be the last step of a path`, more);
        }
        return { type: 'getRange', target, from: t.num, to: t.to, at: first.offset };
      } else {
        break;
      }
    }
    if (segments.length === 0) return { type: 'var', name: first.value, at: first.offset };
    return { type: 'path', root: first.value, segments, at: first.offset };
  }

  private key(dot: Token): string {
    const t = this.next();
    switch (t.kind) {
      case 'name': case 'qname': case 'string': case 'bool': return t.value;
      case 'int': return t.text;
      default: return this.fail(`expected a key after '.' (a name, an integer or a 'quoted' key), found ${describe(t)}`, t.kind === 'eof' ? dot : t);
    }
  }

  private index(open: Token): Segment {
    const t = this.next();
    if (t.kind === 'int') return { kind: 'index', index: t.num, tail: false };
    if ((this.isOp(t, '-') || this.isOp(t, '+')) && this.peek().kind === 'int') {
      const n = this.next().num;
      return t.value === '-' ? { kind: 'index', index: -n, tail: n === 0 } : { kind: 'index', index: n, tail: false };
    }
    if (t.kind === 'name' || t.kind === 'qname') return { kind: 'indexRef', ref: this.nameRef(t, 'index') as NameRef };
    return this.fail(`expected an index after '[' (an integer, a name or a path), found ${describe(t)}`, t.kind === 'eof' ? open : t);
  }

  private caseExpr(caseTok: Token): Expr {
    let subject: Expr | undefined;
    if (!this.isKeyword(this.peek(), 'WHEN')) {
      subject = this.expr(0, caseTok);
      this.check(subject, { kind: 'value' });
    }
    const branches: CaseBranch[] = [];
    while (this.isKeyword(this.peek(), 'WHEN')) {
      const whenTok = this.next();
      const when = this.expr(0, whenTok);
      this.check(when, subject ? { kind: 'value' } : { kind: 'condition' });
      const thenTok = this.peek();
      if (!this.isKeyword(thenTok, 'THEN')) this.fail(`expected THEN, found ${describe(thenTok)}`, thenTok);
      const then = this.expr(0, this.next());
      this.check(then, { kind: 'value' });
      branches.push({ when, then });
    }
    if (branches.length === 0) this.fail(`expected WHEN, found ${describe(this.peek())}`, this.peek());
    let otherwise: Expr | undefined;
    if (this.isKeyword(this.peek(), 'ELSE')) {
      otherwise = this.expr(0, this.next());
      this.check(otherwise, { kind: 'value' });
    }
    const end = this.peek();
    if (!this.isKeyword(end, 'END')) {
      this.fail(`expected ${otherwise ? 'END' : 'WHEN, ELSE or END'}, found ${describe(end)}`, end);
    }
    this.next();
    return { type: 'case', subject, branches, otherwise, at: caseTok.offset };
  }

  /**
   * AND, OR, NOT and IN belong to conditions only; a comparison may be a whole value but not
   * an operand (reference section 2.4).
   */
  private check(e: Expr, place: Place): void {
    switch (e.type) {
      case 'and': case 'or': case 'not': case 'in': {
        if (place.kind !== 'condition') {
          const word = e.type === 'in' ? (e.negated ? 'NOT IN' : 'IN') : e.type.toUpperCase();
          this.fail(`${word} is only allowed in WHERE, INCASE and CASE WHEN conditions`, e.at);
        }
        if (e.type === 'in') {
          this.check(e.subject, { kind: 'operand', of: e.negated ? 'NOT IN' : 'IN' });
          for (const item of e.items) this.check(item, { kind: 'value' });
        } else if (e.type === 'not') {
          this.check(e.operand, { kind: 'condition' });
        } else {
          this.check(e.left, place);
          this.check(e.right, place);
        }
        return;
      }
      case 'compare':
        if (place.kind === 'operand') this.fail(`a comparison cannot be an operand of ${place.of}`, e.at);
        this.check(e.left, { kind: 'operand', of: `'${e.op}'` });
        this.check(e.right, { kind: 'operand', of: `'${e.op}'` });
        return;
      case 'arith': {
        const of = e.op === 'div' || e.op === 'mod' ? e.op : `'${e.op}'`;
        this.check(e.left, { kind: 'operand', of });
        this.check(e.right, { kind: 'operand', of });
        return;
      }
      case 'negate':
        this.check(e.operand, { kind: 'operand', of: "unary '-'" });
        return;
      case 'call':
        for (const arg of e.args) this.check(arg, { kind: 'value' });
        return; // OVER's parts were checked as they were parsed
      case 'list':
        for (const item of e.items) this.check(item, { kind: 'value' });
        return;
      default:
        return; // CASE parts were checked as they were parsed
    }
  }
}
