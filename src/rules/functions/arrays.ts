// List functions (reference section 5.5). Positions are 1-based, as in Erlang's lists module.

import { RuleFunction } from './types';
import { callError, define, integer, list } from './arguments';
import { exactEquals } from '../values';
import { words } from '../../words';

function sublist(start: number, len: number, xs: unknown[]): unknown[] {
  if (start < 1) throw callError('sublist', words('rules.call.startAtLeastOne', 'start must be at least 1, got __start__', { start }));
  if (len < 0) throw callError('sublist', words('rules.call.negativeLength', 'length must not be negative, got __length__', { length: len }));
  return xs.slice(start - 1, start - 1 + len);
}

export const arrayFunctions: RuleFunction[] = [
  define('nth', 2, 2, (args) => {
    const n = integer('nth', args[0]);
    const xs = list('nth', args[1]);
    if (n < 1 || n > xs.length) throw callError('nth', words('rules.call.positionOutOfRange', 'position __position__ is out of range 1..__size__', { position: n, size: xs.length }));
    return xs[n - 1];
  }),
  define('length', 1, 1, (args) => list('length', args[0]).length),
  define('sublist', 2, 3, (args) => {
    if (args.length === 2) return sublist(1, integer('sublist', args[0]), list('sublist', args[1]));
    return sublist(integer('sublist', args[0]), integer('sublist', args[1]), list('sublist', args[2]));
  }),
  define('first', 1, 1, (args) => {
    const xs = list('first', args[0]);
    if (xs.length === 0) throw callError('first', words('rules.call.emptyList', 'the list is empty'));
    return xs[0];
  }),
  define('last', 1, 1, (args) => {
    const xs = list('last', args[0]);
    if (xs.length === 0) throw callError('last', words('rules.call.emptyList', 'the list is empty'));
    return xs[xs.length - 1];
  }),
  define('contains', 2, 2, (args) => list('contains', args[1]).some((x) => exactEquals(x, args[0]))),
];
