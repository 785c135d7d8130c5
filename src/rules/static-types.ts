// Integral floats that the SQL text shows (DESIGN.md section 2). EMQX keeps `2.0` apart from
// `2`; a JS number cannot. Where the statement itself says an expression is a float (a float
// literal, `/`, arithmetic with a float) or an integer (an integer literal, integer
// arithmetic), the compiler uses that knowledge for the few places EMQX tells them apart:
// `str`, `json_encode` and `+` on text, `is_float`/`is_int`, `float2str`, the bit functions, and the exact
// equality of IN, simple CASE and `contains`. It is decided once, when compiling, so the
// common path pays nothing. A float read from a payload (`{"x": 2.0}`) is still the JS
// number 2: that remains the documented deviation.

import { Expr } from './ast';

export type StaticKind = 'float' | 'int' | 'unknown';

/** Whether an expression is certainly a float. */
export function isStaticFloat(e: Expr): boolean {
  switch (e.type) {
    case 'const': return e.float;
    case 'negate': return isStaticFloat(e.operand);
    case 'arith':
      if (e.op === '/') return true;
      return (e.op === '+' || e.op === '-' || e.op === '*') && (isStaticFloat(e.left) || isStaticFloat(e.right));
    default: return false;
  }
}

/** Whether an expression is certainly an integer. */
export function isStaticInt(e: Expr): boolean {
  switch (e.type) {
    case 'const': return !e.float && (typeof e.value === 'number' || typeof e.value === 'bigint');
    case 'negate': return isStaticInt(e.operand);
    case 'arith':
      return e.op !== '/' && isStaticInt(e.left) && isStaticInt(e.right);
    default: return false;
  }
}

export function staticKind(e: Expr): StaticKind {
  if (isStaticFloat(e)) return 'float';
  if (isStaticInt(e)) return 'int';
  return 'unknown';
}

/** Two values the SQL text shows to be an integer and a float: never exactly equal in EMQX. */
export function kindsClash(a: StaticKind, b: StaticKind): boolean {
  return (a === 'float' && b === 'int') || (a === 'int' && b === 'float');
}
