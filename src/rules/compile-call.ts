// Function calls to closures: the lookup, arity and error wrapping done once at compile time,
// the calls whose result depends on a float being a float, and is_str of an atom column.

import { Expr } from './ast';
import { CompileEnv, CompileExpr, Evaluator } from './compile-env';
import { compileArithmetic } from './compile-operators';
import { RuleEvaluationError } from './errors';
import { isUnsupportedFunction, lookupFunction, suggestFunction } from './functions';
import { NO_VALUE, SEES_NO_VALUE_AS_UNDEFINED } from './no-value';
import { Scope } from './scope';
import { isStaticFloat, kindsClash, staticKind } from './static-types';
import { exactEquals, floatText, isBinary } from './values';
import { words } from '../words';

const TEXT_OF_FLOAT = new Set(['str', 'str_utf8', 'str_utf16_le']);
const BIT_FUNCTIONS = new Set(['bitnot', 'bitand', 'bitor', 'bitxor', 'bitsl', 'bitsr']);

/**
 * The calls whose result depends on a float being a float (static-types.ts), when an argument
 * is one the statement shows to be a float or an integer; undefined for every other call.
 */
function floatAwareCall(
  name: string, args: Expr[], evals: Evaluator[], generic: Evaluator, env: CompileEnv,
  invoke: (values: unknown[], s: Scope) => unknown, compileExpr: CompileExpr,
): Evaluator | undefined {
  const [a] = evals;
  if (TEXT_OF_FLOAT.has(name) && isStaticFloat(args[0])) {
    return (s) => {
      const v = a(s);
      return invoke([typeof v === 'number' ? floatText(v) : v], s);
    };
  }
  if (name === 'json_encode' && args.length === 1 && isStaticFloat(args[0])) {
    // jiffy writes a float with a point: json_encode(4 / 2) is "2.0".
    return (s) => {
      const v = a(s);
      return typeof v === 'number' && Number.isSafeInteger(v) ? `${v}.0` : invoke([v], s);
    };
  }
  if ((name === 'is_float' || name === 'is_int') && args.length === 1) {
    const kind = staticKind(args[0]);
    if (kind === 'unknown') return undefined;
    const answer = (name === 'is_float') === (kind === 'float');
    return (s) => {
      a(s);
      return answer;
    };
  }
  if (name === 'float2str' && args.length === 2 && staticKind(args[0]) === 'int') {
    return (s) => {
      generic(s);
      throw new RuleEvaluationError(words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn: 'float2str', expected: words('rules.expected.float', 'a float'), got: 'integer' }), 'bad_sql_function_argument');
    };
  }
  if (BIT_FUNCTIONS.has(name) && args.some(isStaticFloat)) {
    return (s) => {
      for (const e of evals) e(s);
      throw new RuleEvaluationError(words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn: name, expected: words('rules.expected.integer', 'an integer'), got: 'float' }), 'bad_sql_function_argument');
    };
  }
  if (name === 'contains' && args.length === 2 && args[1].type === 'list') {
    const kinds = args[1].items.map(staticKind);
    const subjectKind = staticKind(args[0]);
    if (!kinds.some((k) => kindsClash(subjectKind, k))) return undefined;
    const items = args[1].items.map((item) => compileExpr(item, env));
    return (s) => {
      const v = a(s);
      let found = false;
      for (let i = 0; i < items.length; i++) {
        const x = items[i](s);
        if (!found && !kindsClash(subjectKind, kinds[i]) && exactEquals(v, x)) found = true;
      }
      return found;
    };
  }
  return undefined;
}

/** EMQX event columns that hold Erlang atoms: text here, but not a string for is_str() (3.6). */
const ATOM_COLUMNS = new Set(['event', 'reason', 'action', 'result', 'authz_source', 'node']);

function isAtomColumn(name: string, cols: Record<string, unknown>): boolean {
  if (name === 'reason_code') return cols.event === 'client.connack';
  if (name === 'event') return typeof cols.event === 'string' && !cols.event.startsWith('$');
  return ATOM_COLUMNS.has(name);
}

/** `compileExpr` compiles the arguments (compile-expr.ts passes itself). */
export function compileCall(name: string, args: Expr[], at: number, env: CompileEnv, compileExpr: CompileExpr): Evaluator {
  if ((name === 'div' || name === 'mod') && args.length === 2) {
    return compileArithmetic(name, args[0], args[1], compileExpr(args[0], env), compileExpr(args[1], env));
  }
  const arg = args[0];
  if (name === 'is_str' && args.length === 1 && arg.type === 'var' && (ATOM_COLUMNS.has(arg.name) || arg.name === 'reason_code')) {
    const column = arg.name;
    const value = compileExpr(arg, env);
    return (s) => {
      const v = value(s);
      return isBinary(v) && !(s.fromColumns(column) && isAtomColumn(column, s.cols));
    };
  }
  const fn = lookupFunction(name);
  if (fn === undefined) {
    if (isUnsupportedFunction(name)) {
      throw env.map.error(words('rules.parser.unsupportedFunction', 'function __name__ is not supported', { name }), at, 'sql_function_not_supported');
    }
    const suggestion = suggestFunction(name);
    const reason = suggestion
      ? words('rules.parser.unknownFunctionHint', 'function __name__ is not supported; did you mean __suggestion__?', { name, suggestion })
      : words('rules.parser.unsupportedFunction', 'function __name__ is not supported', { name });
    throw env.map.error(reason, at, 'sql_function_not_supported');
  }
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    throw env.map.error(arityReason(name, fn.minArgs, fn.maxArgs, args.length), at, 'bad_sql_function_arity');
  }
  const impl = fn.impl;
  const evals = args.map((arg) => compileExpr(arg, env));
  const seesNoValue = SEES_NO_VALUE_AS_UNDEFINED.has(name);
  const invoke = (values: unknown[], s: Scope): unknown => {
    // "No value" (no-value.ts): the call gives it too, unless the function tests for a missing value.
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== NO_VALUE) continue;
      if (!seesNoValue) return NO_VALUE;
      values[i] = undefined;
    }
    try {
      return impl(values, s);
    } catch (err) {
      if (err instanceof RuleEvaluationError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new RuleEvaluationError(words('rules.call.failed', '__fn__(): __reason__', { fn: name, reason: message }), 'bad_sql_function_argument');
    }
  };
  const generic = genericCall(evals, invoke);
  return floatAwareCall(name, args, evals, generic, env, invoke, compileExpr) ?? generic;
}

function genericCall(evals: Evaluator[], invoke: (values: unknown[], s: Scope) => unknown): Evaluator {
  switch (evals.length) {
    case 0: return (s) => invoke([], s);
    case 1: {
      const [a] = evals;
      return (s) => invoke([a(s)], s);
    }
    case 2: {
      const [a, b] = evals;
      return (s) => invoke([a(s), b(s)], s);
    }
    default: return (s) => {
      const values = new Array<unknown>(evals.length);
      for (let i = 0; i < evals.length; i++) values[i] = evals[i](s);
      return invoke(values, s);
    };
  }
}

/** `function avg expects 1 argument, got 2` (also for the stream plan's functions). */
export function arityReason(name: string, min: number, max: number, got: number): string {
  if (min === max && min === 1) return words('rules.parser.arityOne', 'function __name__ expects 1 argument, got __got__', { name, got });
  if (min === max) return words('rules.parser.arityExact', 'function __name__ expects __n__ arguments, got __got__', { name, n: min, got });
  if (max === Infinity) return words('rules.parser.arityAtLeast', 'function __name__ expects at least __min__ arguments, got __got__', { name, min, got });
  return words('rules.parser.arityRange', 'function __name__ expects __min__ to __max__ arguments, got __got__', { name, min, max, got });
}
