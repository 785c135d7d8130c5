// Analytic functions (DESIGN.md section 7), as eKuiper's internal/binder/function/funcs_analytic.go
// runs them: state per partition (`OVER (PARTITION BY ...)`, one partition without it), updated
// by every event that FROM matched, before WHERE, so that WHERE cannot starve the state. An
// event for which `OVER (... WHEN cond)` is false leaves the state alone and reads it. The
// partitions themselves, and the step that runs these functions per event, are in partitions.ts.

import { RuleEvaluationError } from '../errors';
import { NO_VALUE } from '../no-value';
import { words } from '../../words';

export interface AnalyticFunction {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /**
   * One event: `args` are the evaluated arguments, `valid` whether OVER's WHEN held, `state` the
   * partition's state (undefined on its first event). Returns the value and the new state.
   */
  step(args: readonly unknown[], valid: boolean, state: unknown): { value: unknown; state: unknown };
}

const isNull = (v: unknown): boolean => v === null || v === undefined;

/** eKuiper compares with reflect.DeepEqual; JSON values compare the same way here. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'bigint' || typeof b === 'bigint' ? String(a) === String(b) && typeof a === typeof b : false;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function flag(fn: string, v: unknown, which: 'first' | 'fourth'): boolean {
  if (typeof v !== 'boolean') {
    const vars = { fn, got: String(v) };
    throw new RuleEvaluationError(which === 'first'
      ? words('rules.stream.ignoreNullFirst', '__fn__(): the first argument (ignoreNull) must be true or false, got __got__', vars)
      : words('rules.stream.ignoreNullFourth', '__fn__(): the fourth argument (ignoreNull) must be true or false, got __got__', vars), 'bad_sql_function_argument');
  }
  return v;
}

const ANALYTIC: AnalyticFunction[] = [
  {
    // lag(x[, offset = 1[, default[, ignoreNull = true]]]): x from `offset` events earlier in
    // the partition. eKuiper's ring queue, pre-filled with the default (nil there: "no value"
    // here, no-value.ts); ignoreNull defaults to true (funcs_analytic.go), so a null or
    // missing x neither moves nor fills it.
    name: 'lag', minArgs: 1, maxArgs: 4,
    step(args, valid, state) {
      const offset = args.length >= 2 ? args[1] : 1;
      if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 1) {
        throw new RuleEvaluationError(words('rules.stream.lagOffset', 'lag(): the offset must be a positive integer, got __got__', { got: String(offset) }), 'bad_sql_function_argument');
      }
      const dflt = args.length >= 3 ? args[2] : NO_VALUE;
      const ignoreNull = args.length >= 4 ? flag('lag', args[3], 'fourth') : true;
      const queue = (state as unknown[] | undefined) ?? new Array<unknown>(offset).fill(dflt);
      let value = queue[0];
      if (valid && !(ignoreNull && isNull(args[0]))) {
        value = queue.shift();
        queue.push(args[0] === undefined ? null : args[0]);
      }
      return { value, state: queue };
    },
  },
  {
    // latest(x[, default]): x if it is not null, else the latest non-null x of the partition,
    // else the default, else "no value" (eKuiper: nil).
    name: 'latest', minArgs: 1, maxArgs: 2,
    step(args, valid, state) {
      if (valid && !isNull(args[0])) return { value: args[0], state: [args[0]] };
      const kept = state as [unknown] | undefined;
      return { value: kept ? kept[0] : args.length >= 2 ? args[1] : NO_VALUE, state };
    },
  },
  {
    // had_changed(ignoreNull, x, ...): whether any x differs from its value at the partition's
    // previous event (the first non-null value counts as a change).
    name: 'had_changed', minArgs: 2, maxArgs: Infinity,
    step(args, valid, state) {
      const ignoreNull = flag('had_changed', args[0], 'first');
      const last = (state as unknown[] | undefined) ?? new Array<unknown>(args.length - 1).fill(null);
      if (!valid) return { value: false, state: last };
      let changed = false;
      for (let i = 1; i < args.length; i++) {
        const v = args[i] === undefined ? null : args[i];
        if (ignoreNull && v === null) continue;
        if (!sameValue(v, last[i - 1])) {
          changed = true;
          last[i - 1] = v;
        }
      }
      return { value: changed, state: last };
    },
  },
  {
    // changed_col(ignoreNull, x): x when it differs from the partition's previous value, else
    // "no value" (eKuiper: nil), so that `changed_col(true, x) > 30` holds only on a change.
    name: 'changed_col', minArgs: 2, maxArgs: 2,
    step(args, valid, state) {
      const ignoreNull = flag('changed_col', args[0], 'first');
      const v = args[1] === undefined ? null : args[1];
      if (!valid || (ignoreNull && v === null)) return { value: NO_VALUE, state };
      const last = state as [unknown] | undefined;
      if (last !== undefined ? sameValue(v, last[0]) : v === null) return { value: NO_VALUE, state };
      return { value: v, state: [v] };
    },
  },
];

const BY_NAME = new Map(ANALYTIC.map((a) => [a.name, a]));

/** An analytic function by name, case-insensitive as in eKuiper. */
export function lookupAnalytic(name: string): AnalyticFunction | undefined {
  return BY_NAME.get(name.toLowerCase());
}
