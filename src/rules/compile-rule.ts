// The entry point (DESIGN.md section 2): `compileRule` parses a statement and gives the
// stateless rule (rule.ts) or, for windows, aggregates and analytic functions, the stateful one
// (stream/stream.ts). It sits above both so that the evaluator never imports the stream.

import { parseStatement } from './parser';
import { checkPatternLiterals } from './pattern-literals';
import { CompiledRule, Rule } from './rule';
import { isStateful } from './stream/plan';
import { StreamRule } from './stream/stream';

/** Parses and compiles one statement. Throws RuleSyntaxError (with line and column). */
export function compileRule(sql: string, options: { id?: string } = {}): Rule {
  const { statement, map } = parseStatement(sql);
  checkPatternLiterals(statement, map);
  if (isStateful(statement)) return new StreamRule(options.id ?? '', sql, statement, map);
  return new CompiledRule(options.id ?? '', sql, statement, { map });
}
