// One JSON encoder for the rule engine's `json_encode` and for the sink's items (DESIGN.md 4),
// so that a map holding bytes, a Map from a function node or a BigInt comes out the same
// wherever it is turned into JSON text.
//
// EMQX: `json_encode` is `emqx_utils_json:encode/1`, jiffy with `force_utf8`: compact, keys in
// map order, the atom `undefined` as the string "undefined", binaries as text with U+FFFD for
// each byte sequence that is not UTF-8, integers with all their digits.
// Beyond what Erlang terms can hold, for values a function node hands over (DESIGN.md 4):
// a Map is an object, a Set a list, a Date its ISO 8601 text, a typed array of numbers a list,
// an ArrayBuffer or DataView bytes, a boxed primitive its value, an object with `toJSON` what
// that gives (as JSON.stringify does). What cannot be written exactly fails with
// JsonValueError naming the path: a function, a symbol, NaN or ±Infinity, an invalid Date, an
// Error, an object of a class with no fields to write (a Promise, a WeakMap, ...), a cycle,
// more than MAX_JSON_DEPTH levels. -0 is written 0 (JSON and DynamoDB have no negative zero).
//
// A function node runs in its own V8 context: its Map, Date, Uint8Array and even its plain
// objects have that context's prototypes, so `instanceof` and `=== Object.prototype` would miss
// them. Types are told by node:util's `types` (internal slots) and plain objects by a prototype
// whose own prototype is null.

import { isUtf8 } from 'node:buffer';
import { types } from 'node:util';
import { words } from '../words';

/** Most levels of nesting written as JSON text; deeper is an error, not a stack overflow. */
export const MAX_JSON_DEPTH = 1000;

/** Levels the fast path checks before it leaves a value to the careful encoder (cycles are deep). */
const FAST_DEPTH = 64;

export type JsonValueProblem = 'bytes' | 'cycle' | 'depth' | 'value';

/** A value that cannot be written as JSON exactly; `path` is e.g. `m.calib[2]` ('' for the whole value). */
export class JsonValueError extends Error {
  readonly path: string;
  constructor(
    path: string,
    /** What is wrong and how to fix it, without the path: "is a function, which ...". */
    readonly reason: string,
    readonly problem: JsonValueProblem = 'value',
  ) {
    super(reason);
    this.name = 'JsonValueError';
    this.path = shortPath(path);
    this.message = this.path ? words('json.value.at', '__path__ __reason__', { path: this.path, reason }) : reason;
  }
}

/** A path for a message: a very deep one keeps its start and end (`a.b.c…[0][0]`). */
function shortPath(path: string): string {
  if (path.length <= 120) return path;
  // Cut between segments (before a `.` or `[`), never inside a name or an index.
  const head = path.slice(0, 70);
  const tail = path.slice(-40);
  const headEnd = Math.max(head.lastIndexOf('.'), head.lastIndexOf('['));
  const tailStart = tail.search(/[.[]/);
  return `${head.slice(0, headEnd > 0 ? headEnd : head.length)}…${tailStart >= 0 ? tail.slice(tailStart) : tail}`;
}

export interface JsonTextOptions {
  /**
   * Bytes that are not UTF-8: `replace` writes U+FFFD for each bad sequence (EMQX's
   * json_encode, the default); `error` fails (a template, which must not change data silently).
   */
  invalidUtf8?: 'replace' | 'error';
}

/**
 * Compact JSON text of `value` (see the file comment for what each JavaScript value becomes).
 * `path` names the value in errors. Throws JsonValueError.
 */
export function jsonText(value: unknown, path = '', options?: JsonTextOptions): string {
  // Most values are plain JSON: checking that is cheaper than encoding in JavaScript, and
  // JSON.stringify then writes exactly what the careful encoder would.
  if (isPlainJson(value, 0)) return JSON.stringify(value);
  return encode(value, path, { stack: [], strictBytes: options?.invalidUtf8 === 'error' });
}

/** Only strings, finite numbers, booleans, null, dense arrays and plain objects, not too deep. */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= FAST_DEPTH) return false;
      if (Array.isArray(value)) {
        // A hole reads as undefined, which is not plain: the careful encoder writes it.
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      const fields = value as Record<string, unknown>;
      if (fields.toJSON !== undefined) return false;
      for (const key in fields) if (!isPlainJson(fields[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

interface Walk {
  /** The objects being written, outermost first: a value met again is a cycle. */
  stack: object[];
  strictBytes: boolean;
}

function encode(value: unknown, path: string, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notFinite(path, value);
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      // EMQX's atom `undefined` (also a hole in a sparse array).
      return '"undefined"';
    case 'object':
      return value === null ? 'null' : encodeObject(value, path, walk);
    default:
      throw unwritable(path, value);
  }
}

function encodeObject(value: object, path: string, walk: Walk): string {
  const bytes = bytesOf(value);
  if (bytes) return JSON.stringify(bytesText(bytes, path, walk.strictBytes));
  if (types.isDate(value)) return JSON.stringify(dateText(value, path));
  const boxed = unboxed(value);
  if (boxed !== value) return encode(boxed, path, walk);
  enter(value, path, walk);
  let out: string;
  if (Array.isArray(value) || isNumberArray(value)) {
    out = encodeList(value as ArrayLike<unknown>, path, walk);
  } else if (types.isSet(value)) {
    out = encodeList([...value], path, walk);
  } else if (types.isMap(value)) {
    out = '{';
    let first = true;
    for (const [key, name] of mapEntryNames(value, path)) {
      out += `${first ? '' : ','}${JSON.stringify(name)}:${encode(value.get(key), childPath(path, name), walk)}`;
      first = false;
    }
    out += '}';
  } else {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      out = encode(toJSON.call(value, lastKey(path)), path, walk);
    } else {
      const keys = fieldNames(value, path);
      out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], childPath(path, key), walk)}`;
      }
      out += '}';
    }
  }
  walk.stack.pop();
  return out;
}

function encodeList(list: ArrayLike<unknown>, path: string, walk: Walk): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += `${i === 0 ? '' : ','}${encode(list[i], `${path}[${i}]`, walk)}`;
  return `${out}]`;
}

/** Pushes `value` on the walk's stack; a cycle or too deep a value fails here. */
export function enter(value: object, path: string, walk: { stack: object[] }, maxDepth = MAX_JSON_DEPTH, limit?: string): void {
  if (walk.stack.includes(value)) {
    throw new JsonValueError(path, words('json.value.cycle', 'refers back to a value that contains it (a cycle), which cannot be written: copy the data without the back reference'), 'cycle');
  }
  if (walk.stack.length >= maxDepth) {
    const reason = limit
      ? words('json.value.tooDeepLimit', 'is nested deeper than __levels__ levels (__limit__): flatten the data or write the deep part as text (JSON.stringify)', { levels: maxDepth, limit })
      : words('json.value.tooDeep', 'is nested deeper than __levels__ levels: flatten the data or write the deep part as text (JSON.stringify)', { levels: maxDepth });
    throw new JsonValueError(path, reason, 'depth');
  }
  walk.stack.push(value);
}

// ---- shared with the native DynamoDB encoding (src/dynamo/encoding.ts) ----

/** The bytes of a Buffer, Uint8Array, ArrayBuffer or DataView (as a Uint8Array of this context); undefined for anything else. */
export function bytesOf(value: object): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  // Another context's bytes: a view of this context, which the AWS SDK recognises as binary.
  if (types.isUint8Array(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (types.isAnyArrayBuffer(value)) return new Uint8Array(value);
  if (types.isDataView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** A plain object of any V8 context (a function node's too): its prototype has no prototype. */
export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

/** Bytes as text: UTF-8, with U+FFFD for bad sequences (EMQX) or, when strict, an error. */
export function bytesText(bytes: Uint8Array, path: string, strict: boolean): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (strict && !isUtf8(buffer)) {
    throw new JsonValueError(
      path,
      words('json.value.notUtf8', 'holds bytes that are not UTF-8 text, which JSON text cannot hold without changing them'),
      'bytes',
    );
  }
  return buffer.toString('utf8');
}

/** A Date's ISO 8601 text (UTC, milliseconds); an invalid Date fails. */
export function dateText(date: Date, path: string): string {
  if (Number.isNaN(date.getTime())) throw new JsonValueError(path, words('json.value.invalidDate', 'is an invalid Date, which has no time to write'));
  return date.toISOString();
}

/** A typed array of numbers or BigInts (Uint8Array is bytes, not one of these). */
export function isNumberArray(value: object): boolean {
  return types.isTypedArray(value) && !types.isUint8Array(value);
}

/** The primitive inside `new Number(1)`, `new String('a')`, ...; the value itself otherwise. */
export function unboxed(value: object): unknown {
  return types.isBoxedPrimitive(value) ? value.valueOf() : value;
}

/** A Map's keys with the attribute names they give: strings as they are, numbers as text. */
export function mapEntryNames(map: Map<unknown, unknown>, path: string): [unknown, string][] {
  const out: [unknown, string][] = [];
  const seen = new Set<string>();
  for (const key of map.keys()) {
    let name: string;
    if (typeof key === 'string') name = key;
    else if ((typeof key === 'number' && Number.isFinite(key)) || typeof key === 'bigint' || typeof key === 'boolean') name = String(key);
    else {
      throw new JsonValueError(path, words('json.value.mapKey', 'is a Map with a key that is __key__; only text, number and boolean keys can be names: convert the keys to text', { key: describe(key) }));
    }
    if (seen.has(name)) {
      throw new JsonValueError(path, words('json.value.mapDuplicateKey', "is a Map with two keys that give the name __name__ (e.g. 1 and '1'): make the keys distinct as text", { name: JSON.stringify(name) }));
    }
    seen.add(name);
    out.push([key, name]);
  }
  return out;
}

/**
 * The fields of an object that is not a Map, Set, array, Date or bytes: its own enumerable
 * keys (as JSON.stringify writes it). An Error, or an object of a class with nothing to write
 * (a Promise, a WeakMap, a RegExp, ...), fails instead of becoming an empty map.
 */
export function fieldNames(value: object, path: string): string[] {
  if (value instanceof Error || types.isNativeError(value)) {
    throw new JsonValueError(path, words('json.value.errorObject', 'is an Error object, whose message is not a field: write the text you need (e.g. err.message) instead'));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    if (!isPlainObject(value)) {
      throw new JsonValueError(path, words('json.value.noFields', 'is __what__ with no fields to write: convert it to plain data first', { what: describe(value) }));
    }
  }
  return keys;
}

/** `a.b` + `c` → `a.b.c`; `''` + `c` → `c`. */
export function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function lastKey(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? path : path.slice(dot + 1);
}

export function notFinite(path: string, value: number): JsonValueError {
  return new JsonValueError(path, words('json.value.notFinite', 'is __value__, which neither JSON nor DynamoDB can hold as a number: check the computation that gave it', { value: String(value) }));
}

/** A function, a symbol (or anything else that is no data). */
export function unwritable(path: string, value: unknown): JsonValueError {
  return new JsonValueError(path, words('json.value.unwritable', 'is __what__, which cannot be written: put data there instead', { what: describe(value) }));
}

/** "a function", "a symbol", "a Promise", "NaN", ... for error messages (never the value's content). */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'function':
      return words('json.describe.function', 'a function');
    case 'symbol':
      return words('json.describe.symbol', 'a symbol');
    case 'number':
      return Number.isFinite(value) ? words('json.describe.number', 'a number') : String(value);
    case 'object': {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return typeof name === 'string' && name !== '' && name !== 'Object'
        ? words('json.describe.instance', 'a __name__', { name })
        : words('json.describe.object', 'an object');
    }
    default:
      return words('json.describe.type', 'a __type__', { type: typeof value });
  }
}
