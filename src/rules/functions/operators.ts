// The function forms of operators (reference sections 3.9, 5.2, 5.9): div(a, b), mod(a, b)
// and eq(a, b). EMQX's eq/2 is Erlang `==`: numeric-tolerant (1 == 1.0, maps structurally) but
// with no string-to-number coercion, unlike the `=` operator ('1' = 1 is true, eq('1', 1) false).

import { RuleFunction } from './types';
import { define } from './arguments';
import { termCompare } from '../compare';
import { integerDivision } from '../numbers';

export const operatorFunctions: RuleFunction[] = [
  // Erlang div truncates toward zero; rem takes the sign of the dividend, as JS % does.
  define('div', 2, 2, (args) => integerDivision('div', args[0], args[1], true)),
  define('mod', 2, 2, (args) => integerDivision('mod', args[0], args[1], true)),
  define('eq', 2, 2, (args) => termCompare(args[0], args[1]) === 0),
];
