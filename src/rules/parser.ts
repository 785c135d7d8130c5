// Rule SQL statements to syntax trees (reference section 2): the clauses by recursive descent
// (SELECT or FOREACH ... DO ... INCASE, FROM, WHERE, GROUP BY, HAVING). Expressions are
// expr-parser.ts's; the operator table is operator-table.ts; where AND, OR, NOT, IN and
// comparisons may appear is placement.ts.

import { Expr, Field, NameRef, Source, Statement } from './ast';
import { ExprParser } from './expr-parser';
import { SourceMap, Token, tokenize } from './lexer';
import { parseNameRef } from './path-parser';
import { describe } from './token-cursor';
import { words } from '../words';

export interface ParsedStatement {
  statement: Statement;
  map: SourceMap;
}

export function parseStatement(sql: string): ParsedStatement {
  const { tokens, map } = tokenize(sql);
  const statement = new StatementParser(tokens, map).statement();
  return { statement, map };
}

/** One expression alone, e.g. rule-sql's `eventTime` property (`payload.ts`). Throws RuleSyntaxError. */
export function parseExpression(text: string): { expr: Expr; map: SourceMap } {
  const { tokens, map } = tokenize(text);
  return { expr: new ExprParser(tokens, map).standalone(), map };
}

class StatementParser extends ExprParser {
  statement(): Statement {
    const first = this.next();
    if (this.isKeyword(first, 'SELECT')) {
      const fields = this.fields(first);
      this.expectFrom(() => words('rules.parser.expectedCommaOrFrom', "expected ',' or FROM"));
      return this.finish({ kind: 'select', fields, sources: [] });
    }
    if (this.isKeyword(first, 'FOREACH')) {
      const fields = this.fields(first);
      const statement: Statement = { kind: 'foreach', fields, sources: [] };
      let expected = (): string => words('rules.parser.expectedAfterForeach', "expected ',', DO, INCASE or FROM");
      if (this.isKeyword(this.peek(), 'DO')) {
        statement.doFields = this.fields(this.next());
        expected = () => words('rules.parser.expectedAfterDo', "expected ',', INCASE or FROM");
      }
      if (this.isKeyword(this.peek(), 'INCASE')) {
        const incase = this.next();
        statement.incase = this.condition(incase);
        expected = () => words('rules.parser.expectedFrom', 'expected FROM');
      }
      this.expectFrom(expected);
      return this.finish(statement);
    }
    return this.fail(words('rules.parser.expectedStatement', 'expected SELECT or FOREACH, found __found__', { found: describe(first) }), first);
  }

  private expectFrom(expected: () => string): void {
    const t = this.peek();
    if (!this.isKeyword(t, 'FROM')) this.fail(words('rules.parser.expectedFound', '__expected__, found __found__', { expected: expected(), found: describe(t) }), t);
  }

  private finish(statement: Statement): Statement {
    statement.sources = this.sources(this.next());
    if (this.isKeyword(this.peek(), 'WHERE')) statement.where = this.condition(this.next());
    this.groupByAndHaving(statement);
    const end = this.peek();
    if (end.kind !== 'eof') {
      const expected = statement.where
        ? words('rules.parser.expectedEnd', 'expected the end of the statement')
        : words('rules.parser.expectedWhereOrEnd', "expected ',', WHERE or the end of the statement");
      this.fail(words('rules.parser.expectedFound', '__expected__, found __found__', { expected, found: describe(end) }), end);
    }
    return statement;
  }

  /** eKuiper's `GROUP BY expr, ..., WINDOW(...)` and `HAVING condition` (DESIGN.md section 7). */
  private groupByAndHaving(statement: Statement): void {
    const group = this.peek();
    if (this.isWord(group, 'GROUP')) {
      this.next();
      const by = this.peek();
      if (!this.isWord(by, 'BY')) this.fail(words('rules.parser.expectedByAfterGroup', 'expected BY after GROUP, found __found__', { found: describe(by) }), by);
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

  private sources(from: Token): Source[] {
    const sources: Source[] = [];
    let after = from;
    for (;;) {
      const t = this.next();
      if (t.kind !== 'name' && t.kind !== 'qname' && t.kind !== 'string') {
        this.fail(words('rules.parser.expectedTopic', 'expected a topic after __after__, found __found__', { after: describe(after), found: describe(t) }), t);
      }
      if (t.kind === 'name' && this.isOp(this.peek(), '/')) {
        this.fail(words('rules.parser.quoteTopic', 'a topic with \'/\' must be quoted: FROM "__topic__/..."', { topic: t.value }), t);
      }
      sources.push({ topic: t.value, at: t.offset });
      if (!this.isOp(this.peek(), ',')) return sources;
      after = this.next();
    }
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
      this.fail(words('rules.parser.lowerCaseOperator', '__word__ is not an operator here: div and mod are written in lower case', { word: t.value }), t);
    }
    if (t.kind === 'name' || t.kind === 'qname') return parseNameRef(this, t, 'target') as NameRef;
    const found = t.kind === 'keyword' ? words('rules.parser.reservedWord', 'the reserved word __word__', { word: t.value }) : describe(t);
    return this.fail(as
      ? words('rules.parser.expectedNameAfterAs', 'expected a name after AS, found __found__', { found })
      : words('rules.parser.expectedNameAfterExpression', 'expected a name after the expression, found __found__', { found }), t);
  }
}
