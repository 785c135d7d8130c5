// The deploy-time check of regular expressions written as literals in a statement (DESIGN.md
// section 6: a pattern that needs backtracking is a deploy-time error naming the construct).
// A pattern computed per message is checked when it is used, with the same reason.

import { Statement } from './ast';
import { SourceMap } from './lexer';
import { patternProblem } from './functions/regex';
import { words } from '../words';

const PATTERN_FUNCTIONS = new Set(['regex_match', 'regex_replace', 'regex_extract']);

/**
 * Throws RuleSyntaxError (at the pattern's line and column) for the first literal pattern, in
 * the order written, of regex_match / regex_replace / regex_extract that cannot run (EMQX: the
 * pattern is PCRE; here only what RE2 runs in linear time is accepted, see functions/pcre.ts).
 */
export function checkPatternLiterals(statement: Statement, map: SourceMap): void {
  const pending: unknown[] = [statement];
  let first: { reason: string; at: number } | undefined;
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
      continue;
    }
    const call = node as { type?: unknown; name?: unknown; args?: { type: string; value?: unknown; at: number }[] };
    if (call.type === 'call' && typeof call.name === 'string' && PATTERN_FUNCTIONS.has(call.name) && Array.isArray(call.args)) {
      const pattern = call.args[1];
      if (pattern !== undefined && pattern.type === 'const' && typeof pattern.value === 'string') {
        const problem = patternProblem(pattern.value);
        if (problem !== undefined && (first === undefined || pattern.at < first.at)) first = { reason: words('rules.call.failed', '__fn__(): __reason__', { fn: call.name, reason: problem }), at: pattern.at };
      }
    }
    for (const value of Object.values(node)) if (value !== null && typeof value === 'object') pending.push(value);
  }
  if (first !== undefined) throw map.error(first.reason, first.at, 'bad_sql_function_argument');
}
