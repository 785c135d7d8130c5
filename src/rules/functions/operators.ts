// The function forms of operators (reference sections 3.9, 5.2, 5.9): div(a, b), mod(a, b)
// and eq(a, b). EMQX's eq/2 is Erlang `==`: numeric-tolerant (1 == 1.0, maps structurally) but
// with no string-to-number coercion, unlike the `=` operator ('1' = 1 is true, eq('1', 1) false).

import { RuleFunction } from './types';
import { callError, define, integer } from './arguments';
import { termCompare } from '../compare';

function integerPair(fn: string, args: unknown[]): [number, number] {
  const a = integer(fn, args[0]);
  const b = integer(fn, args[1]);
  if (b === 0) throw callError(fn, 'division by zero', 'badarith');
  return [a, b];
}

export const operatorFunctions: RuleFunction[] = [
  // Erlang div truncates toward zero; rem takes the sign of the dividend, as JS % does.
  define('div', 2, 2, (args) => {
    const [a, b] = integerPair('div', args);
    return Math.trunc(a / b) + 0; // + 0 turns -0 into 0
  }),
  define('mod', 2, 2, (args) => {
    const [a, b] = integerPair('mod', args);
    return (a % b) + 0;
  }),
  define('eq', 2, 2, (args) => termCompare(args[0], args[1]) === 0),
];
