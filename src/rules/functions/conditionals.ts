// Null handling, conditionals and type checks (reference section 5.2). undefined and JSON null
// differ here: `is_null` and `coalesce` see only undefined, `is_null_var` sees both.

import { RuleFunction } from './types';
import { argError, define } from './arguments';
import { decodeJson, isBinary, isInt, isMap, isNumber, textOf } from '../values';

function firstOf(fn: string, args: unknown[], skip: (v: unknown) => boolean): unknown {
  // coalesce(a, b) looks at its arguments; coalesce([list]) at the list's items.
  const candidates = args.length === 1 ? args[0] : args;
  if (!Array.isArray(candidates)) throw argError(fn, 'a list', candidates);
  for (const v of candidates) if (!skip(v)) return v;
  return undefined;
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  const t = textOf(v);
  if (t === '') return true;
  if (t !== undefined) {
    // EMQX converts a string with map(): it must be JSON object text.
    const decoded = decodeJson(t);
    if (isMap(decoded)) return Object.keys(decoded).length === 0;
    throw argError('is_empty', 'a map, list, or JSON object text', decoded);
  }
  throw argError('is_empty', 'a map, list, or JSON object text', v);
}

export const conditionalFunctions: RuleFunction[] = [
  define('null', 0, 0, () => undefined),
  define('coalesce', 1, 2, (args) => firstOf('coalesce', args, (v) => v === undefined)),
  define('coalesce_ne', 1, 2, (args) => firstOf('coalesce_ne', args, (v) => v === undefined || v === '')),
  define('is_null', 1, 1, (args) => args[0] === undefined),
  define('is_not_null', 1, 1, (args) => args[0] !== undefined),
  define('is_null_var', 1, 1, (args) => args[0] === undefined || args[0] === null),
  define('is_not_null_var', 1, 1, (args) => args[0] !== undefined && args[0] !== null),
  define('is_str', 1, 1, (args) => isBinary(args[0])),
  define('is_bool', 1, 1, (args) => typeof args[0] === 'boolean'),
  // An integer beyond 2^53 is a BigInt, and a JS number beyond 2^53 is a float (values.ts).
  define('is_int', 1, 1, (args) => isInt(args[0])),
  define('is_float', 1, 1, (args) => typeof args[0] === 'number' && !Number.isSafeInteger(args[0])),
  define('is_num', 1, 1, (args) => isNumber(args[0])),
  define('is_map', 1, 1, (args) => isMap(args[0])),
  define('is_array', 1, 1, (args) => Array.isArray(args[0])),
  define('is_empty', 1, 1, (args) => isEmpty(args[0])),
];
