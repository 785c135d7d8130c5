// Math functions (reference section 5.9). Arguments must be numbers; a result that is not a
// finite number is a domain error, as Erlang's math module raises badarith.

import { RuleFunction } from './types';
import { callError, define, number } from './arguments';
import { words } from '../../words';

function finite(fn: string, args: unknown[], result: number): number {
  if (!Number.isFinite(result)) {
    throw callError(fn, words('rules.call.domainError', 'domain error for __args__', { args: args.map((a) => String(a)).join(', ') }), 'badarith');
  }
  return result;
}

function unary(name: string, f: (x: number) => number): RuleFunction {
  return define(name, 1, 1, (args) => finite(name, args, f(number(name, args[0]))));
}

function binary(name: string, f: (x: number, y: number) => number): RuleFunction {
  return define(name, 2, 2, (args) => finite(name, args, f(number(name, args[0]), number(name, args[1]))));
}

/**
 * ceil, floor, round: Erlang returns an integer, so a result beyond 2^53 is a BigInt holding the
 * double's exact value (`ceil(1.5e20)` = 150000000000000000000); an integer argument is itself.
 */
function toInteger(name: string, f: (x: number) => number): RuleFunction {
  return define(name, 1, 1, (args) => {
    const v = args[0];
    if (typeof v === 'bigint') return v;
    const r = finite(name, args, f(number(name, v)));
    return Number.isSafeInteger(r) ? r + 0 : BigInt(r);
  });
}

export const mathFunctions: RuleFunction[] = [
  // Deviation (DESIGN.md section 2): EMQX's abs/1 only takes integers; we take any number.
  define('abs', 1, 1, (args) => (typeof args[0] === 'bigint' ? (args[0] < 0n ? -args[0] : args[0]) : finite('abs', args, Math.abs(number('abs', args[0]))))),
  toInteger('ceil', Math.ceil),
  toInteger('floor', Math.floor),
  // Erlang round/1 rounds half away from zero; Math.round rounds half up.
  toInteger('round', (x) => Math.sign(x) * Math.round(Math.abs(x))),
  unary('sqrt', Math.sqrt),
  binary('power', Math.pow),
  unary('exp', Math.exp),
  unary('log', (x) => (x > 0 ? Math.log(x) : NaN)),
  unary('log10', (x) => (x > 0 ? Math.log10(x) : NaN)),
  unary('log2', (x) => (x > 0 ? Math.log2(x) : NaN)),
  binary('fmod', (x, y) => x % y),
  unary('sin', Math.sin),
  unary('cos', Math.cos),
  unary('tan', Math.tan),
  unary('asin', Math.asin),
  unary('acos', Math.acos),
  unary('atan', Math.atan),
  unary('sinh', Math.sinh),
  unary('cosh', Math.cosh),
  unary('tanh', Math.tanh),
  unary('asinh', Math.asinh),
  unary('acosh', Math.acosh),
  unary('atanh', Math.atanh),
  define('random', 0, 0, () => Math.random()),
];
