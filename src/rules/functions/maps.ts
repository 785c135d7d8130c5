// Map functions (reference section 5.6). Every one accepts JSON object text in place of a map.
// `map_get`/`map_put` split their key on dots; `mget`/`mput` take it literally.

import { RuleFunction } from './types';
import { parseJson } from '../exact-json';
import { failIfTooDeep } from '../errors';
import { argError, define, mapOrJson, text } from './arguments';
import { isMap, RuleMap, textOf } from '../values';

/** One step into a value; a string met on the way is JSON-decoded (reference 3.3). */
function stepInto(value: unknown, key: string): unknown {
  let container = value;
  if (typeof container === 'string' || Buffer.isBuffer(container)) {
    try {
      container = parseJson(textOf(container) ?? '');
    } catch (err) {
      failIfTooDeep(err);
      return undefined;
    }
  }
  if (!isMap(container)) return undefined;
  return Object.prototype.hasOwnProperty.call(container, key) ? container[key] : undefined;
}

/** The value at a dot-path (`'a.b'`), or undefined. */
export function dotPathGet(path: string, value: unknown): unknown {
  let current = value;
  for (const key of path.split('.')) {
    current = stepInto(current, key);
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * EMQX `nested_put`: a map (or JSON object text, decoded) gets the value at the dot-path;
 * anything else, undefined included, is replaced by a new map (emqx_rule_maps: a target that
 * is not a map becomes `#{}`). Keys are own properties, `__proto__` too.
 */
function putPath(keys: string[], value: unknown, target: unknown): RuleMap {
  let container = target;
  if (typeof container === 'string' || Buffer.isBuffer(container)) {
    try {
      container = parseJson(textOf(container) ?? '');
    } catch (err) {
      failIfTooDeep(err);
      container = undefined;
    }
  }
  const base: RuleMap = isMap(container) ? { ...container } : {};
  const [head, ...rest] = keys;
  const current = Object.prototype.hasOwnProperty.call(base, head) ? base[head] : undefined;
  const written = rest.length === 0 ? value : putPath(rest, value, current);
  Object.defineProperty(base, head, { value: written, enumerable: true, writable: true, configurable: true });
  return base;
}

function sortedKeys(m: RuleMap): string[] {
  return Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function withDefault(v: unknown, args: unknown[], index: number): unknown {
  return v === undefined && args.length > index ? args[index] : v;
}

export const mapFunctions: RuleFunction[] = [
  define('map_new', 0, 0, () => ({})),
  define('map_get', 2, 3, (args) => {
    // EMQX's nested_get: anything that is not a map (or JSON map text) simply has no keys.
    return withDefault(dotPathGet(text('map_get', args[0]), args[1]), args, 2);
  }),
  define('map_put', 3, 3, (args) => putPath(text('map_put', args[0]).split('.'), args[1], args[2])),
  define('mget', 2, 3, (args) => {
    const m = mapOrJson('mget', args[1]);
    // EMQX looks the key up as a term: anything but a string (a list, a number) finds nothing.
    const key = textOf(args[0]);
    const v = key !== undefined && Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
    return withDefault(v, args, 2);
  }),
  define('mput', 3, 3, (args) => {
    const m = mapOrJson('mput', args[2]);
    return { ...m, [text('mput', args[0])]: args[1] };
  }),
  define('map_keys', 1, 1, (args) => sortedKeys(mapOrJson('map_keys', args[0]))),
  define('map_values', 1, 1, (args) => {
    const m = mapOrJson('map_values', args[0]);
    return sortedKeys(m).map((k) => m[k]);
  }),
  define('map_to_entries', 1, 1, (args) => {
    const m = mapOrJson('map_to_entries', args[0]);
    return sortedKeys(m).map((k) => ({ key: k, value: m[k] }));
  }),
  define('map_size', 1, 1, (args) => {
    // EMQX converts with map(): an empty list is the empty map.
    const v = args[0];
    if (Array.isArray(v)) {
      if (v.length === 0) return 0;
      throw argError('map_size', 'a map or JSON object text', v);
    }
    return Object.keys(mapOrJson('map_size', v)).length;
  }),
];
