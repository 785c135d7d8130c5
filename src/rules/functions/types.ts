// The contract between the evaluator and the built-in function library
// (reference/emqx-rule-sql.md section 5).

/** What a function may read besides its arguments. */
export interface CallContext {
  /** The rule's input columns (EMQX column names). */
  readonly columns: Record<string, unknown>;
  /** True in SELECT and DO fields; message helpers (`topic()`, `payload()`...) give undefined elsewhere. */
  readonly inSelect: boolean;
  /** The payload JSON-decoded once per evaluation (lazy; throws RuleEvaluationError decode_json_failed). */
  decodedPayload(): unknown;
}

export type RuleFunctionImpl = (args: unknown[], ctx: CallContext) => unknown;

export interface RuleFunction {
  readonly name: string;
  /** Accepted argument counts, inclusive; `max` Infinity for variadic functions. */
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly impl: RuleFunctionImpl;
}
