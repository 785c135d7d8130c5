// Rule SQL expressions to syntax trees (reference section 2.4): the Pratt loop over the
// operator table, the prefix forms (literals, names, calls with OVER, lists, CASE, unary
// operators) and infix ones (AND, OR, [NOT] IN, comparisons, arithmetic).

import { exactInteger } from './exact-json';
import { ArithmeticOp, CaseBranch, ComparisonOperator, Expr, Over } from './ast';
import { Token } from './lexer';
import { ARITHMETIC, COMPARISON_BP, INFIX_POWER, NOT_BP, UNARY_BP } from './operator-table';
import { parseNameRef } from './path-parser';
import { checkPlace, Place } from './placement';
import { describe, TokenCursor } from './token-cursor';
import { words } from '../words';

/** eKuiper aggregates that take `*` as an argument: count(*), collect(*), last_value(*, true). */
const STAR_ARGUMENT = new Set(['count', 'collect', 'first_value', 'last_value', 'merge_agg']);

export class ExprParser extends TokenCursor {
  /** One expression alone, up to the end of the text. */
  standalone(): Expr {
    const start: Token = { kind: 'op', value: '(', num: 0, to: 0, offset: 0, text: '' };
    const e = this.expr(0, { ...start, kind: 'eof' });
    this.check(e, { kind: 'value' });
    const end = this.peek();
    if (end.kind !== 'eof') this.fail(words('rules.parser.expectedEndOfExpression', 'expected the end of the expression, found __found__', { found: describe(end) }), end);
    return e;
  }

  protected check(e: Expr, place: Place): void {
    checkPlace(e, place, this.map);
  }

  protected condition(after: Token): Expr {
    const e = this.expr(0, after);
    this.check(e, { kind: 'condition' });
    return e;
  }

  /** The Pratt loop: parse a prefix, then fold in every infix operator binding tighter than `rbp`. */
  protected expr(rbp: number, after: Token): Expr {
    let left = this.prefix(after);
    for (;;) {
      const t = this.peek();
      const bp = this.infixPower(t);
      if (bp <= rbp) return left;
      if (bp === COMPARISON_BP && (left.type === 'compare' || left.type === 'in') && !left.paren) {
        this.fail(words('rules.parser.chainedComparison', 'comparisons cannot be chained (a < b < c); combine them with AND'), t);
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
      const open = this.expectOp('(', () => words('rules.parser.afterIn', 'after IN'));
      const items: Expr[] = [];
      let after = open;
      for (;;) {
        const item = this.expr(0, after);
        items.push(item);
        if (!this.isOp(this.peek(), ',')) break;
        after = this.next();
      }
      this.expectOp(')', () => words('rules.parser.closeInList', 'to close the list of __operator__', { operator: negated ? 'NOT IN' : inTok.value }));
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
          this.expectOp(')', () => words('rules.parser.closeParenthesis', "to close '('"));
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
    return this.fail(words('rules.parser.expectedExpression', 'expected an expression after __after__', { after: describe(after) }), t);
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
    this.expectOp(']', () => words('rules.parser.closeList', 'to close the list'));
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
    this.expectOp(')', () => words('rules.parser.closeArguments', 'to close the arguments of __name__(', { name }));
    const call: Expr = { type: 'call', name, args, at: nameTok.offset };
    if (this.isWord(this.peek(), 'OVER') && this.isOp(this.peek(1), '(')) call.over = this.over(this.next());
    return call;
  }

  /** `OVER ([PARTITION BY expr, ...] [WHEN condition])`, after the call's ')'. */
  private over(overTok: Token): Over {
    this.expectOp('(', () => words('rules.parser.afterOver', 'after OVER'));
    const over: Over = { partitionBy: [], at: overTok.offset };
    let t = this.peek();
    if (this.isWord(t, 'PARTITION')) {
      this.next();
      const by = this.peek();
      if (!this.isWord(by, 'BY')) this.fail(words('rules.parser.expectedByAfterPartition', 'expected BY after PARTITION, found __found__', { found: describe(by) }), by);
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
      this.fail(words('rules.parser.expectedOverPart', 'expected PARTITION BY or WHEN in OVER (...), found __found__', { found: describe(this.peek()) }), this.peek());
    }
    this.expectOp(')', () => words('rules.parser.closeOver', 'to close OVER ('));
    return over;
  }

  private nameOrCall(first: Token): Expr {
    if (first.kind === 'name' && this.isOp(this.peek(), '(')) return this.call(first.value, first);
    const ref = parseNameRef(this, first, 'expr');
    if (ref.type === 'path' && this.isOp(this.peek(), '(')) {
      // EMQX accepts `emqx_rule_funcs.upper(x)`, the module that holds the built-ins.
      const [segment] = ref.segments;
      if (ref.segments.length === 1 && segment.kind === 'key' && ref.root.startsWith('emqx_rule_funcs')) {
        return this.call(segment.key, first);
      }
      this.fail(words('rules.parser.notCallable', 'only a plain name can be called as a function'), first);
    }
    return ref;
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
      if (!this.isKeyword(thenTok, 'THEN')) this.fail(words('rules.parser.expectedThen', 'expected THEN, found __found__', { found: describe(thenTok) }), thenTok);
      const then = this.expr(0, this.next());
      this.check(then, { kind: 'value' });
      branches.push({ when, then });
    }
    if (branches.length === 0) this.fail(words('rules.parser.expectedWhen', 'expected WHEN, found __found__', { found: describe(this.peek()) }), this.peek());
    let otherwise: Expr | undefined;
    if (this.isKeyword(this.peek(), 'ELSE')) {
      otherwise = this.expr(0, this.next());
      this.check(otherwise, { kind: 'value' });
    }
    const end = this.peek();
    if (!this.isKeyword(end, 'END')) {
      this.fail(otherwise
        ? words('rules.parser.expectedEndKeyword', 'expected END, found __found__', { found: describe(end) })
        : words('rules.parser.expectedCaseEnd', 'expected WHEN, ELSE or END, found __found__', { found: describe(end) }), end);
    }
    this.next();
    return { type: 'case', subject, branches, otherwise, at: caseTok.offset };
  }
}
