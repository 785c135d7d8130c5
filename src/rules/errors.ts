// The two error types of the rule engine (DESIGN.md section 2): a statement that does not
// parse, and an evaluation that raises. Both carry a stable `code` so callers and the
// editor can tell kinds apart without matching on message text.

import { JsonDepthError } from '../json/depth';
import { words } from '../words';

/** A statement that is not valid EMQX rule SQL. `line` and `column` are 1-based. */
export class RuleSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly code: string;
  /** The message without the position prefix, e.g. `expected FROM`. */
  readonly reason: string;
  constructor(reason: string, line: number, column: number, code = 'syntax_error') {
    super(words('rules.syntax.at', 'SQL line __line__, column __column__: __reason__', { line, column, reason }));
    this.name = 'RuleSyntaxError';
    this.line = line;
    this.column = column;
    this.code = code;
    this.reason = reason;
  }
}

/**
 * An evaluation that raised (EMQX: an exception, counted as failed). `errorClass` is EMQX's
 * class for the phase (`select_and_transform_error`, `match_conditions_error`, ...).
 */
export class RuleEvaluationError extends Error {
  readonly code: string;
  errorClass: string;
  constructor(message: string, code = 'bad_sql_function_argument', errorClass = 'select_and_transform_error') {
    super(message);
    this.name = 'RuleEvaluationError';
    this.code = code;
    this.errorClass = errorClass;
  }
}

/**
 * Where JSON text that does not parse just gives undefined (a path step, a map function), JSON
 * nested past the limit still fails the message: EMQX: decode_json_failed (DESIGN.md section 6).
 */
export function failIfTooDeep(err: unknown): void {
  if (err instanceof JsonDepthError) throw new RuleEvaluationError(words('rules.json.decodeFailed', 'decode_json_failed: __reason__', { reason: err.message }), 'decode_json_failed');
}
