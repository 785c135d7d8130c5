// Argument checks shared by the built-in functions, so that every type error reads the same:
// `upper(): expected a string, got undefined` (code bad_sql_function_argument).

import { RuleEvaluationError } from '../errors';
import { RuleFunction, RuleFunctionImpl } from './types';
import { bytesOf, decodeJson, isInteger, isMap, RuleMap, textOf, typeName } from '../values';
import { words } from '../../words';

export function define(name: string, minArgs: number, maxArgs: number, impl: RuleFunctionImpl): RuleFunction {
  return { name, minArgs, maxArgs, impl };
}

export function argError(fn: string, expected: string, got: unknown): RuleEvaluationError {
  return new RuleEvaluationError(words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn, expected: expectedText(expected), got: typeName(got) }));
}

/** The catalog's words for what an argument should be (type names in `got` stay as EMQX names them). */
function expectedText(expected: string): string {
  switch (expected) {
    case 'a string': return words('rules.expected.string', 'a string');
    case 'a string or bytes': return words('rules.expected.stringOrBytes', 'a string or bytes');
    case 'an integer': return words('rules.expected.integer', 'an integer');
    case 'a number': return words('rules.expected.number', 'a number');
    case 'a float': return words('rules.expected.float', 'a float');
    case 'a list': return words('rules.expected.list', 'a list');
    case 'a map or JSON object text': return words('rules.expected.map', 'a map or JSON object text');
    case 'a map, list, or JSON object text': return words('rules.expected.mapOrList', 'a map, list, or JSON object text');
    case 'a time offset': return words('rules.expected.timeOffset', 'a time offset');
    case 'JSON text': return words('rules.expected.jsonText', 'JSON text');
    case 'a number, boolean or numeric string': return words('rules.expected.intSource', 'a number, boolean or numeric string');
    case 'a number or numeric string': return words('rules.expected.floatSource', 'a number or numeric string');
    case 'text that is valid UTF-8': return words('rules.expected.utf8', 'text that is valid UTF-8');
    default: return expected;
  }
}

/** A failure that is not about a type (`sqrt(): domain error for -1`). */
export function callError(fn: string, reason: string, code = 'bad_sql_function_argument'): RuleEvaluationError {
  return new RuleEvaluationError(words('rules.call.failed', '__fn__(): __reason__', { fn, reason }), code);
}

export function text(fn: string, v: unknown): string {
  const t = textOf(v);
  if (t === undefined) throw argError(fn, 'a string', v);
  return t;
}

export function bytes(fn: string, v: unknown): Buffer {
  const b = bytesOf(v);
  if (b === undefined) throw argError(fn, 'a string or bytes', v);
  return b;
}

/** An integer that fits a JS number (|n| <= 2^53 - 1): positions, lengths, counts, offsets. */
export function integer(fn: string, v: unknown): number {
  if (!isInteger(v)) {
    if (typeof v === 'bigint') throw callError(fn, words('rules.call.integerOutOfRange', 'the integer __value__ is out of range here', { value: String(v) }));
    throw argError(fn, 'an integer', v);
  }
  return v;
}

/** An integer of any size, as a BigInt (bit functions, timestamps). */
export function bigInteger(fn: string, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (!isInteger(v)) throw argError(fn, 'an integer', v);
  return BigInt(v);
}

/** A number as a double; an integer beyond 2^53 becomes the nearest double (EMQX: math functions take floats). */
export function number(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw argError(fn, 'a number', v);
}

export function list(fn: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw argError(fn, 'a list', v);
  return v;
}

/** A map, or JSON text of a map (EMQX's map functions decode strings first). */
export function mapOrJson(fn: string, v: unknown): RuleMap {
  if (isMap(v)) return v;
  if (textOf(v) !== undefined) {
    const decoded = decodeJson(v);
    if (isMap(decoded)) return decoded;
    throw argError(fn, 'a map or JSON object text', decoded);
  }
  throw argError(fn, 'a map or JSON object text', v);
}

/** One of a fixed set of option words, e.g. `'leading'`. */
export function option<T extends string>(fn: string, v: unknown, allowed: readonly T[]): T {
  const t = textOf(v);
  if (t !== undefined && (allowed as readonly string[]).includes(t)) return t as T;
  const shown = t !== undefined ? `'${t}'` : typeName(v);
  throw callError(fn, words('rules.call.expectedOption', 'expected one of __allowed__, got __got__', { allowed: allowed.map((a) => `'${a}'`).join(', '), got: shown }));
}
