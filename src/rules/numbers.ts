// Arithmetic on the engine's numbers (reference section 3.9), exact as Erlang's is: an integer
// result beyond 2^53 - 1 is a BigInt, never a rounded double (DESIGN.md section 2). The
// evaluator does two plain numbers inline and calls `widen` only when the double result left
// the exact range, so ordinary arithmetic costs one range check more.

import { RuleEvaluationError } from './errors';
import { exactInteger } from './exact-json';
import { typeName } from './values';
import { words } from '../words';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export type NumericOp = '+' | '-' | '*';

function bigOp(op: NumericOp, a: bigint, b: bigint): bigint {
  return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

/**
 * `a op b` for two JS numbers whose double result `r` is beyond 2^53: exact when both are
 * integers (the result is then a BigInt), else the float `r` (EMQX: float arithmetic).
 */
export function widen(op: NumericOp, a: number, b: number, r: number): number | bigint {
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return exactInteger(bigOp(op, BigInt(a), BigInt(b)));
  return r;
}

/** `+ - *` on two numbers of any kind (number or BigInt). */
export function numericOp(op: NumericOp, a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
    return r <= MAX_SAFE && r >= -MAX_SAFE ? r : widen(op, a, b, r);
  }
  // One side is a BigInt: with an integer on the other side the result is exact; with a float
  // it is a float (Erlang converts the integer to a float).
  if (typeof a === 'bigint' && typeof b === 'bigint') return exactInteger(bigOp(op, a, b));
  const other = typeof a === 'bigint' ? b : a;
  if (Number.isSafeInteger(other)) return exactInteger(bigOp(op, BigInt(a), BigInt(b)));
  const x = Number(a);
  const y = Number(b);
  return op === '+' ? x + y : op === '-' ? x - y : x * y;
}

/** `/`: always a float (EMQX: `4 / 2` = 2.0); a BigInt is converted to the nearest double. */
export function divide(a: number | bigint, b: number | bigint): number {
  if (b === 0) throw new RuleEvaluationError(words('rules.operator.divisionByZero', 'operator __op__: division by zero', { op: '/' }), 'badarith');
  return Number(a) / Number(b);
}

/**
 * `div` (truncates toward zero) and `mod` (Erlang rem: the sign of the dividend) on integers.
 * `asFunction`: the call form `div(a, b)`, whose errors name the function.
 */
export function integerDivision(op: 'div' | 'mod', a: unknown, b: unknown, asFunction = false): number | bigint {
  const intA = typeof a === 'bigint' || Number.isSafeInteger(a);
  const intB = typeof b === 'bigint' || Number.isSafeInteger(b);
  if (!intA || !intB) {
    const reason = asFunction
      ? words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn: op, expected: words('rules.expected.integer', 'an integer'), got: typeName(intA ? b : a) })
      : words('rules.operator.failed', 'operator __op__: __reason__', {
        op, reason: words('rules.operator.expectedIntegers', 'expected two integers, got __left__ and __right__', { left: typeName(a), right: typeName(b) }),
      });
    throw new RuleEvaluationError(reason, 'bad_sql_function_argument');
  }
  if (b === 0) {
    throw new RuleEvaluationError(asFunction
      ? words('rules.call.divisionByZero', '__fn__(): division by zero', { fn: op })
      : words('rules.operator.divisionByZero', 'operator __op__: division by zero', { op }), 'badarith');
  }
  if (typeof a === 'number' && typeof b === 'number') {
    const rem = a % b; // exact for integers
    // (a - rem) is a multiple of b, so this division is exact; Math.trunc(a / b) is not (2^53 - 1 div 2).
    // + 0 turns -0 (JS) into 0 (Erlang integers have no sign on zero).
    return (op === 'mod' ? rem : (a - rem) / b) + 0;
  }
  const x = BigInt(a as number | bigint);
  const y = BigInt(b as number | bigint);
  return exactInteger(op === 'div' ? x / y : x % y);
}

/** Unary minus on a number of either kind. */
export function negateNumber(v: number | bigint): number | bigint {
  return typeof v === 'number' ? -v : exactInteger(-v);
}
