// "No value" (DESIGN.md section 7): what `lag`, `latest` and `changed_col` give where eKuiper
// gives nil — nothing earlier in the partition, or nothing changed. It is neither JSON null (a
// value) nor EMQX's undefined (a missing column, which EMQX compares and computes with), but
// eKuiper's nil as its valuer treats it (internal/xsql/valuer.go, SimpleDataEval): every
// comparison with it is false (`!=` too), arithmetic with it gives it again, IN and NOT IN are
// false, a CASE WHEN on it does not match, and a column holding it is left out of the row.
// A function given it gives it (the call is skipped), except the functions that test for a
// missing value (is_null, coalesce, ...), which see undefined. Only those three analytic
// functions produce it, so stateless statements never meet it.

export const NO_VALUE: unique symbol = Symbol('no value');

export type NoValue = typeof NO_VALUE;

/** The functions that see "no value" as undefined (they exist to test for a missing value). */
export const SEES_NO_VALUE_AS_UNDEFINED: ReadonlySet<string> = new Set([
  'is_null', 'is_not_null', 'is_null_var', 'is_not_null_var', 'coalesce', 'coalesce_ne',
]);
