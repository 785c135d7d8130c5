// Walking and writing paths (reference sections 3.3 and 3.5): keys into maps, 1-based and
// negative indexes into lists, JSON text decoded on the way, and EMQX's nested put for AS
// targets. Values met on the way are never modified: a put copies what it changes.

import { failIfTooDeep, RuleEvaluationError } from './errors';
import { parseJson } from './exact-json';
import { typeName } from './values';
import { words } from '../words';

export type Step = (value: unknown) => unknown;

const hasOwn = Object.prototype.hasOwnProperty;

/** Names that a plain object inherits; a key with such a name must be an own property. */
export function isInheritedName(key: string): boolean {
  return key in Object.prototype;
}

/** JSON text met by a path step is decoded on the fly; text that is not JSON gives undefined. */
export function decodeLenient(v: string | Uint8Array): unknown {
  const text = typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  // Only an object or a list can be walked into; skip the parse for anything else.
  const c = text.charCodeAt(0);
  if (c !== 123 && c !== 91 && c !== 32 && c !== 9 && c !== 10 && c !== 13) return undefined;
  try {
    return parseJson(text);
  } catch (err) {
    failIfTooDeep(err);
    return undefined;
  }
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** `.key`: a map's entry; undefined on anything that is not a map. */
export function keyStep(key: string): Step {
  if (isInheritedName(key)) {
    return (v) => {
      if (typeof v === 'string' || v instanceof Uint8Array) v = decodeLenient(v);
      return isPlainMap(v) && hasOwn.call(v, key) ? v[key] : undefined;
    };
  }
  return (v) => {
    if (typeof v === 'object' && v !== null) {
      if (Array.isArray(v)) return undefined;
      if (v instanceof Uint8Array) return keyOf(decodeLenient(v), key);
      return (v as Record<string, unknown>)[key];
    }
    return typeof v === 'string' ? keyOf(decodeLenient(v), key) : undefined;
  };
}

function keyOf(v: unknown, key: string): unknown {
  return isPlainMap(v) ? v[key] : undefined;
}

/** `[i]` on a list: 1-based, negative from the end; 0 and out of range give undefined. */
export function indexOf(v: unknown, i: unknown): unknown {
  if (typeof v === 'string' || v instanceof Uint8Array) v = decodeLenient(v);
  if (!Array.isArray(v) || typeof i !== 'number' || !Number.isInteger(i) || i === 0) return undefined;
  const at = i > 0 ? i - 1 : v.length + i;
  return at >= 0 && at < v.length ? v[at] : undefined;
}

export function indexStep(i: number): Step {
  return (v) => indexOf(v, i);
}

/** `a[2..4]`: EMQX `range_get`, 1-based inclusive with negative bounds from the end. */
export function rangeGet(from: number, to: number, v: unknown): unknown[] {
  if (!Array.isArray(v)) {
    throw new RuleEvaluationError(words('rules.range.notList', 'range [__from__..__to__]: expected a list, got __got__ (range_get, non_list_data)', { from, to, got: typeName(v) }), 'range_get');
  }
  if (from === 0 || to === 0) {
    throw new RuleEvaluationError(words('rules.range.indexZero', 'range [__from__..__to__]: index 0 is not valid (indexes start at 1)', { from, to }), 'invalid_index');
  }
  const begin = from < 0 ? v.length + from + 1 : from;
  const end = to < 0 ? v.length + to + 1 : to;
  const count = end - begin + 1;
  if (begin < 1 || begin > v.length + 1 || count < 0) {
    throw new RuleEvaluationError(words('rules.range.outOfBounds', 'range [__from__..__to__] is out of bounds for a list of __size__', { from, to, size: v.length }), 'range_get');
  }
  return v.slice(begin - 1, begin - 1 + count);
}

/** `[a..b]` as a literal: the inclusive integer list (EMQX `lists:seq`). */
export function rangeList(from: number, to: number): number[] {
  if (from > to + 1) {
    throw new RuleEvaluationError(words('rules.range.endBeforeStart', 'range [__from__..__to__]: the end is before the start', { from, to }), 'range_gen');
  }
  const out: number[] = [];
  for (let n = from; n <= to; n++) out.push(n);
  return out;
}

/** One resolved step of an AS target. Index steps carry their (evaluated) index. */
export type PutStep =
  | { kind: 'key'; key: string }
  /** `head`/`tail`: the constants `[0]` and `[-0]`; an index read from a variable has neither. */
  | { kind: 'index'; index: unknown; head: boolean; tail: boolean };

/**
 * EMQX `nested_put`: the container with `value` written at `steps`, copying what it changes.
 * A key put into something that is not a map replaces it with a new map; an index put into
 * something that is not a list gives `[value]`.
 */
export function putIn(container: unknown, steps: readonly PutStep[], from: number, value: unknown): unknown {
  if (from === steps.length) return value;
  const step = steps[from];
  if (step.kind === 'key') {
    const map: Record<string, unknown> = isPlainMap(container) ? { ...container } : {};
    const current = hasOwn.call(map, step.key) ? map[step.key] : undefined;
    const written = putIn(current, steps, from + 1, value);
    if (step.key === '__proto__') {
      Object.defineProperty(map, step.key, { value: written, enumerable: true, writable: true, configurable: true });
    } else {
      map[step.key] = written;
    }
    return map;
  }
  if (!Array.isArray(container)) {
    if (step.index === undefined) return container;
    return [putIn(undefined, steps, from + 1, value)];
  }
  if (step.tail) return [...container, putIn(undefined, steps, from + 1, value)];
  if (step.head) return [putIn(undefined, steps, from + 1, value), ...container];
  const i = step.index;
  // 0 read from a variable, or an index out of range, changes nothing.
  if (typeof i !== 'number' || !Number.isInteger(i) || i === 0) return container;
  const at = i > 0 ? i - 1 : container.length + i;
  if (at < 0 || at >= container.length) return container;
  const list = container.slice();
  list[at] = putIn(list[at], steps, from + 1, value);
  return list;
}
