// The `native` encoding (DESIGN.md section 4): JSON onto DynamoDB's own types (M, L, BOOL, NULL,
// B, sets), with DynamoDB's nesting limit and cycles reported by the attribute's path.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { types } from 'node:util';
import {
  bytesOf, childPath, dateText, fieldNames, isNumberArray, isPlainObject, JsonValueError, mapEntryNames, unboxed, unwritable,
} from '../../json/encode';
import { EncodeOptions, ItemError, numberText, setEntry } from './attribute';
import { words } from '../../words';

/**
 * DynamoDB limit: 32 levels of nesting, the item being the first, so an attribute holds at most
 * 31 maps and lists one inside the other (DynamoDB Local refuses 32: "Nesting Levels have
 * exceeded supported limits").
 */
const MAX_NATIVE_DEPTH = 31;
const cycleReason = (): string =>
  words('item.value.cycle', 'refers back to a value that contains it (a cycle), which cannot be written: copy the data without the back reference');

/**
 * One value in the `native` encoding; undefined = leave the attribute out. DynamoDB limit: 32
 * levels of nesting for a document attribute (the item is the first): deeper fails with the
 * attribute's path (JsonValueError, turned into a per-message ItemError by the caller).
 */
export function encodeNative(value: unknown, options: EncodeOptions, path: string, walk: NativeWalk): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      return { N: numberText(value, path) };
    case 'bigint':
      return { N: value.toString() };
    case 'boolean':
      return { BOOL: value };
    case 'undefined':
      // Like JSON, an undefined map entry is left out unless NULL is asked for.
      return options.undefinedVarsAsNull ? { NULL: true } : undefined;
    case 'object':
      return value === null ? { NULL: true } : nativeObject(value, options, path, walk);
    default:
      throw unwritable(path, value);
  }
}

/** The maps and lists being written, outermost first, with their paths (for cycles and depth). */
export interface NativeWalk {
  stack: object[];
  paths: string[];
}

function nativeObject(value: object, options: EncodeOptions, path: string, walk: NativeWalk): AttributeValue | undefined {
  // Plain objects and arrays first: they are nearly every nested value.
  if (Array.isArray(value)) {
    descend(value, path, walk);
    // A list keeps positions, so an undefined element (or a hole) becomes NULL.
    const L: AttributeValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) L[i] = encodeNative(value[i], options, `${path}[${i}]`, walk) ?? { NULL: true };
    walk.stack.pop();
    walk.paths.pop();
    return { L };
  }
  if (isPlainObject(value) && (value as { toJSON?: unknown }).toJSON === undefined) {
    descend(value, path, walk);
    const M: Record<string, AttributeValue> = {};
    const fields = value as Record<string, unknown>;
    for (const key in fields) {
      const encoded = encodeNative(fields[key], options, childPath(path, key), walk);
      if (encoded !== undefined) setEntry(M, key, encoded);
    }
    walk.stack.pop();
    walk.paths.pop();
    return { M };
  }
  return nativeOther(value, options, path, walk);
}

/** Bytes, Date, boxed primitives, typed arrays, Set, Map, toJSON, class instances. */
function nativeOther(value: object, options: EncodeOptions, path: string, walk: NativeWalk): AttributeValue | undefined {
  if (value instanceof Uint8Array) return { B: value };
  if (types.isDate(value)) return { S: dateText(value, path) };
  const bytes = bytesOf(value);
  if (bytes) return { B: bytes };
  const boxed = unboxed(value);
  if (boxed !== value) return encodeNative(boxed, options, path, walk);
  descend(value, path, walk);
  let out: AttributeValue | undefined;
  if (isNumberArray(value)) {
    const list = value as unknown as ArrayLike<unknown>;
    const L: AttributeValue[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) L[i] = encodeNative(list[i], options, `${path}[${i}]`, walk) ?? { NULL: true };
    out = { L };
  } else if (types.isSet(value)) {
    out = setValue(value, options, path, walk);
  } else if (types.isMap(value)) {
    const M: Record<string, AttributeValue> = {};
    for (const [key, name] of mapEntryNames(value, path)) {
      const encoded = encodeNative(value.get(key), options, childPath(path, name), walk);
      if (encoded !== undefined) setEntry(M, name, encoded);
    }
    out = { M };
  } else {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      out = encodeNative(toJSON.call(value, path), options, path, walk);
    } else {
      const M: Record<string, AttributeValue> = {};
      for (const key of fieldNames(value, path)) {
        const encoded = encodeNative((value as Record<string, unknown>)[key], options, childPath(path, key), walk);
        if (encoded !== undefined) setEntry(M, key, encoded);
      }
      out = { M };
    }
  }
  walk.stack.pop();
  walk.paths.pop();
  return out;
}

/**
 * Enters a map or list. Only the depth is checked on the way down (cheap); a cycle always
 * goes past DynamoDB's limit, and is then told apart from a merely deep value by finding
 * the object that repeats, named by its path.
 */
function descend(value: object, path: string, walk: NativeWalk): void {
  if (walk.stack.length >= MAX_NATIVE_DEPTH) {
    const { stack, paths } = walk;
    for (let j = 1; j < stack.length; j++) {
      if (stack.indexOf(stack[j]) < j) throw new JsonValueError(paths[j], cycleReason(), 'cycle');
    }
    if (stack.includes(value)) throw new JsonValueError(path, cycleReason(), 'cycle');
    const reason = words(
      'item.value.tooDeep',
      "nests maps and lists deeper than DynamoDB's limit of 32 levels (the item is the first): flatten the data, or use the emqx encoding, which writes nested data as JSON text",
    );
    throw new JsonValueError(path, reason, 'depth');
  }
  walk.stack.push(value);
  walk.paths.push(path);
}

/**
 * A Set as DynamoDB's set type when every member is text (SS), a number (NS) or bytes (BS);
 * otherwise, and for an empty Set (DynamoDB has no empty set), a list (L).
 * DynamoDB: the values in a set must be unique, so two members with the same number or the same
 * bytes fail.
 */
function setValue(set: Set<unknown>, options: EncodeOptions, path: string, walk: NativeWalk): AttributeValue {
  const members = [...set];
  let kind: 'S' | 'N' | 'B' | undefined;
  for (const m of members) {
    const k = typeof m === 'string' ? 'S' : typeof m === 'number' || typeof m === 'bigint' ? 'N' : types.isUint8Array(m) ? 'B' : undefined;
    if (k === undefined || (kind !== undefined && k !== kind)) {
      kind = undefined;
      break;
    }
    kind = k;
  }
  if (kind === 'S') return { SS: members as string[] };
  if (kind === 'N') {
    const NS = members.map((m, i) => (typeof m === 'bigint' ? m.toString() : numberText(m as number, `${path}[${i}]`)));
    if (new Set(NS).size !== NS.length) {
      throw new ItemError(
        'bad_value',
        words('item.value.sameNumberTwice', 'attribute "__path__" is a Set holding the same number twice (e.g. 1 and 1n), which a DynamoDB number set cannot hold: keep one of them', { path }),
      );
    }
    return { NS };
  }
  if (kind === 'B') {
    const BS = members.map((m) => bytesOf(m as object) as Uint8Array);
    if (new Set(BS.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'))).size !== BS.length) {
      throw new ItemError(
        'bad_value',
        words('item.value.sameBytesTwice', 'attribute "__path__" is a Set holding the same bytes twice, which a DynamoDB binary set cannot hold: keep one of them', { path }),
      );
    }
    return { BS };
  }
  const L: AttributeValue[] = members.map((m, i) => encodeNative(m, options, `${path}[${i}]`, walk) ?? { NULL: true });
  return { L };
}

