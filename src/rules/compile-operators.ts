// Operators to closures (reference sections 3.8-3.9): comparison, arithmetic and unary minus,
// with the number-and-number case inline and EMQX's coercions and errors otherwise.

import { ArithmeticOp, ComparisonOperator, Expr } from './ast';
import { compareOp, looseEquals } from './compare';
import { Evaluator } from './compile-env';
import { RuleEvaluationError } from './errors';
import { NO_VALUE } from './no-value';
import { divide, integerDivision, MAX_SAFE, negateNumber, numericOp, widen } from './numbers';
import { isStaticFloat } from './static-types';
import { floatText, toText, typeName } from './values';
import { words } from '../words';

/** Numbers compared with numbers (the common case) skip EMQX's coercion rules. */
export function compileComparison(op: ComparisonOperator, left: Evaluator, right: Evaluator): Evaluator {
  switch (op) {
    case '=': return (s) => {
      const a = left(s);
      const b = right(s);
      return (a === b && a !== NO_VALUE) || looseEquals(a, b);
    };
    case '>': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a > b : compareOp(op, a, b);
    };
    case '<': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a < b : compareOp(op, a, b);
    };
    case '>=': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a >= b : compareOp(op, a, b);
    };
    case '<=': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a <= b : compareOp(op, a, b);
    };
    default: return (s) => compareOp(op, left(s), right(s));
  }
}

export function compileNegate(operand: Evaluator): Evaluator {
  return (s) => {
    const v = operand(s);
    if (typeof v === 'number') return -v;
    if (v === NO_VALUE) return v;
    if (typeof v !== 'bigint') throw operatorError('unary -', words('rules.operator.expectedNumber', 'expected a number, got __got__', { got: typeName(v) }));
    return negateNumber(v);
  };
}

function operatorError(op: string, reason: string): RuleEvaluationError {
  return new RuleEvaluationError(words('rules.operator.failed', 'operator __op__: __reason__', { op, reason }), 'bad_sql_function_argument');
}

function isText(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Uint8Array;
}

export function arithmetic(op: ArithmeticOp, a: unknown, b: unknown): unknown {
  // eKuiper: arithmetic with nil gives nil (no-value.ts).
  if (a === NO_VALUE || b === NO_VALUE) return NO_VALUE;
  const numA = typeof a === 'number' || typeof a === 'bigint';
  const numB = typeof b === 'number' || typeof b === 'bigint';
  if (op === '+') {
    if (numA && numB) return numericOp('+', a, b);
    // EMQX: if either side is a string, both are converted to text and concatenated.
    if (isText(a) || isText(b)) return toText(a) + toText(b);
    throw operatorError('+', words('rules.operator.cannotAdd', 'cannot add __left__ and __right__', { left: typeName(a), right: typeName(b) }));
  }
  if (op === 'div' || op === 'mod') return integerDivision(op, a, b);
  if (!numA || !numB) {
    throw operatorError(op, words('rules.operator.expectedNumbers', 'expected two numbers, got __left__ and __right__', { left: typeName(a), right: typeName(b) }));
  }
  return op === '/' ? divide(a, b) : numericOp(op, a, b);
}

/** `left` and `right` are the compiled `l` and `r`, whose static kinds choose the closure. */
export function compileArithmetic(op: ArithmeticOp, l: Expr, r: Expr, left: Evaluator, right: Evaluator): Evaluator {
  if ((op === 'div' || op === 'mod') && (isStaticFloat(l) || isStaticFloat(r))) {
    return (s) => {
      if (left(s) === NO_VALUE || right(s) === NO_VALUE) return NO_VALUE;
      throw operatorError(op, words('rules.operator.expectedIntegers', 'expected two integers, got __left__ and __right__', { left: isStaticFloat(l) ? 'float' : 'integer', right: isStaticFloat(r) ? 'float' : 'integer' }));
    };
  }
  if (op === '+' && (isStaticFloat(l) || isStaticFloat(r))) {
    // `'t=' + 2.0` is "t=2.0" in EMQX: the text of an operand the statement shows to be a float.
    const floatL = isStaticFloat(l);
    const floatR = isStaticFloat(r);
    return (s) => {
      const a = left(s);
      const b = right(s);
      if ((!isText(a) && !isText(b)) || a === NO_VALUE || b === NO_VALUE) return arithmetic('+', a, b);
      return (floatL ? floatTextOf(a) : toText(a)) + (floatR ? floatTextOf(b) : toText(b));
    };
  }
  // Two numbers whose result stays within 2^53 (the common case) are done inline; `widen`
  // makes an integer result beyond that exact (a BigInt), as Erlang's integers are.
  switch (op) {
    case '+': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a + b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('+', a, b, n);
      }
      return arithmetic('+', a, b);
    };
    case '-': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a - b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('-', a, b, n);
      }
      return arithmetic('-', a, b);
    };
    case '*': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a * b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('*', a, b, n);
      }
      return arithmetic('*', a, b);
    };
    default: return (s) => arithmetic(op, left(s), right(s));
  }
}

/** The text of a value the statement shows to be a float: `2.0` → "2.0" (EMQX str of a float). */
function floatTextOf(v: unknown): string {
  return typeof v === 'number' ? floatText(v) : toText(v);
}
