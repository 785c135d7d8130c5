// Rows → DynamoDB items (DESIGN.md section 4). `emqx` reproduces what EMQX's DynamoDB connector
// writes (every non-number becomes a string); `native` maps JSON onto DynamoDB's own types.
// Also the item size rules and the per-message errors that must never be retried.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { types } from 'node:util';
import {
  bytesOf, childPath, dateText, fieldNames, isNumberArray, isPlainObject, jsonText, JsonValueError, mapEntryNames, unboxed, unwritable,
} from '../../json/encode';
import { integerOfText } from '../../rules/exact-json';

export type ItemEncoding = 'emqx' | 'native';

export interface EncodeOptions {
  encoding: ItemEncoding;
  /** Write undefined as NULL instead of the string "undefined" (emqx) / leaving it out (native). */
  undefinedVarsAsNull: boolean;
  /** The table's partition key attribute name; must be in every item. */
  hashKey: string;
  /** The table's sort key attribute name, if any ('' or absent = none). */
  rangeKey?: string;
}

export type Item = Record<string, AttributeValue>;

/** DynamoDB's item size limit: 400 KB including attribute names. */
export const MAX_ITEM_BYTES = 400 * 1024;

export type ItemErrorCode = 'missing_key' | 'bad_key' | 'too_large' | 'not_object' | 'bad_value' | 'template';

/**
 * A problem with one message's item: counted failed, never retried (DESIGN.md 4). The message
 * names the attribute and the fix, and holds no attribute values beyond the key's name.
 */
export class ItemError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: ItemErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ItemError';
  }
}

/** Where encodeItem leaves the size it measured, for a caller that needs it too (one object reused). */
export interface ItemMeasure {
  size: number;
}

/** Turns a row (an object) into a DynamoDB item, checking key attributes and size. */
export function encodeItem(row: unknown, options: EncodeOptions, measure?: ItemMeasure): Item {
  if (row === null || typeof row !== 'object' || Array.isArray(row) || Buffer.isBuffer(row)) {
    throw new ItemError('not_object', `the row to write must be an object, not ${describeType(row)}`);
  }
  // A function node may hand over a Map as the row: its entries are the attributes.
  const fields = (!isPlainObject(row) && types.isMap(row) ? mapFields(row) : row) as Record<string, unknown>;
  // An undefined or null key would be stored as the text "undefined"/"null": surely a mistake.
  checkKeyPresent(fields, options.hashKey, 'partition key', 'hashKey');
  if (options.rangeKey) checkKeyPresent(fields, options.rangeKey, 'sort key', 'rangeKey');
  const item: Item = {};
  const native = options.encoding === 'native';
  // One walk for the whole item: every attribute leaves its stack empty again.
  const walk: NativeWalk | undefined = native ? { stack: [], paths: [] } : undefined;
  try {
    for (const name of Object.keys(fields)) {
      const value = fields[name];
      const encoded = native ? encodeNative(value, options, name, walk as NativeWalk) : encodeEmqx(value, options, name);
      if (encoded === undefined) continue;
      if (name === '__proto__') setOwn(item, name, encoded);
      else item[name] = encoded;
    }
  } catch (err) {
    if (err instanceof JsonValueError) throw new ItemError('bad_value', `attribute "${err.path}" ${err.reason}`);
    throw err;
  }
  checkKeyType(item, options.hashKey, 'partition key');
  if (options.rangeKey) checkKeyType(item, options.rangeKey, 'sort key');
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    throw new ItemError(
      'too_large',
      `item is ${size} bytes, over DynamoDB's 400 KB limit (${MAX_ITEM_BYTES} bytes): select fewer or smaller columns in the rule, or use a template`,
    );
  }
  if (measure) measure.size = size;
  return item;
}

function mapFields(map: Map<unknown, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  try {
    for (const [key, name] of mapEntryNames(map, '')) {
      if (name === '__proto__') setOwn(fields, name, map.get(key));
      else fields[name] = map.get(key);
    }
  } catch (err) {
    if (err instanceof JsonValueError) throw new ItemError('not_object', `the row ${err.reason}`);
    throw err;
  }
  return fields;
}

/** Only the key attributes of an encoded item (for DeleteItem/UpdateItem and duplicate checks). */
export function keyOf(item: Item, hashKey: string, rangeKey?: string): Item {
  const key: Item = { [hashKey]: item[hashKey] };
  if (rangeKey) key[rangeKey] = item[rangeKey];
  return key;
}

function checkKeyPresent(row: Record<string, unknown>, name: string, role: string, option: string): void {
  const value = row[name];
  if (value === undefined || value === null || value === '') {
    const what = value === undefined ? `has no "${name}" attribute` : `has an empty "${name}" attribute`;
    throw new ItemError(
      'missing_key',
      `item ${what}, the table's ${role}: add "${name}" to the rule's SELECT (e.g. SELECT clientid as ${name}, ...) or to the template, or set the sink's ${option} to an attribute every row has`,
    );
  }
}

function checkKeyType(item: Item, name: string, role: string): void {
  const value = item[name];
  if (value === undefined || (value.S === undefined && value.N === undefined && value.B === undefined)) {
    const type = value === undefined ? 'empty' : Object.keys(value)[0];
    throw new ItemError(
      'bad_key',
      `attribute "${name}" is the table's ${role} and must be a string, number or binary, not ${type}`,
    );
  }
}

function encodeEmqx(value: unknown, options: EncodeOptions, name: string): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      // EMQX leaves out empty strings (DynamoDB once rejected them).
      return value === '' ? undefined : { S: value };
    case 'number':
      return { N: numberText(value, name) };
    case 'bigint':
      return { N: value.toString() };
    case 'boolean':
      return { S: value ? 'true' : 'false' };
    case 'undefined':
      return options.undefinedVarsAsNull ? { NULL: true } : { S: 'undefined' };
    case 'object': {
      if (value === null) return options.undefinedVarsAsNull ? { NULL: true } : { S: 'null' };
      if (value instanceof Uint8Array) return bytesValue(value);
      if (types.isDate(value)) return { S: dateText(value, name) };
      const bytes = bytesOf(value);
      if (bytes) return bytesValue(bytes);
      const boxed = unboxed(value);
      if (boxed !== value) return encodeEmqx(boxed, options, name);
      // Maps, lists, Map, Set, ...: compact JSON text, with the rule engine's json_encode.
      return { S: jsonText(value, name) };
    }
    default:
      throw unwritable(name, value);
  }
}

/**
 * DynamoDB limit: 32 levels of nesting, the item being the first, so an attribute holds at most
 * 31 maps and lists one inside the other (DynamoDB Local refuses 32: "Nesting Levels have
 * exceeded supported limits").
 */
const MAX_NATIVE_DEPTH = 31;
const CYCLE_REASON = 'refers back to a value that contains it (a cycle), which cannot be written: copy the data without the back reference';

function encodeNative(value: unknown, options: EncodeOptions, path: string, walk: NativeWalk): AttributeValue | undefined {
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
interface NativeWalk {
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
      if (stack.indexOf(stack[j]) < j) throw new JsonValueError(paths[j], CYCLE_REASON, 'cycle');
    }
    if (stack.includes(value)) throw new JsonValueError(path, CYCLE_REASON, 'cycle');
    throw new JsonValueError(path, `nests maps and lists deeper than DynamoDB's limit of 32 levels (the item is the first): flatten the data, or use the emqx encoding, which writes nested data as JSON text`, 'depth');
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
      throw new ItemError('bad_value', `attribute "${path}" is a Set holding the same number twice (e.g. 1 and 1n), which a DynamoDB number set cannot hold: keep one of them`);
    }
    return { NS };
  }
  if (kind === 'B') {
    const BS = members.map((m) => bytesOf(m as object) as Uint8Array);
    if (new Set(BS.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'))).size !== BS.length) {
      throw new ItemError('bad_value', `attribute "${path}" is a Set holding the same bytes twice, which a DynamoDB binary set cannot hold: keep one of them`);
    }
    return { BS };
  }
  const L: AttributeValue[] = members.map((m, i) => encodeNative(m, options, `${path}[${i}]`, walk) ?? { NULL: true });
  return { L };
}

/** `__proto__` as a plain own key (an assignment would set the prototype and lose the entry). */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function setEntry(target: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') setOwn(target, key, value);
  else target[key] = value;
}

function numberText(value: number, name: string): string {
  if (!Number.isFinite(value)) {
    throw new ItemError('bad_value', `attribute "${name}" is ${value}, which DynamoDB cannot store as a number`);
  }
  return String(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes that are valid UTF-8 are text to EMQX (S); anything else stays binary (B). */
function bytesValue(bytes: Uint8Array): AttributeValue | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return { S: utf8.decode(bytes) };
  } catch {
    return { B: bytes };
  }
}

function describeType(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return `a ${typeof value}`;
}

/**
 * The item's size as DynamoDB counts it: attribute names and strings in UTF-8 bytes, binary
 * in bytes, numbers about one byte per two significant digits plus one, 1 byte for BOOL and
 * NULL, 3 bytes for a list or map plus one per element and the elements' sizes.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const name in item) size += textBytes(name) + valueSize(item[name]);
  return size;
}

/** UTF-8 length; ASCII text (most names and values) is counted without calling into C++. */
function textBytes(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return textBytes(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return value.L.reduce((sum, v) => sum + 1 + valueSize(v), 3);
  if (value.M !== undefined) return itemSize(value.M) + Object.keys(value.M).length + 3;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  return 0;
}

function numberSize(text: string): number {
  // Significant digits of the mantissa: after a sign, before an exponent, without the point
  // and without leading or trailing zeros.
  const start = text.charCodeAt(0) === 45 /* - */ || text.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  let end = text.length;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 101 /* e */ || c === 69 /* E */) end = i;
  }
  let first = -1;
  let last = -1;
  let digits = 0;
  let firstPoint = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ && firstPoint) {
      firstPoint = false;
      continue;
    }
    if (first < 0 && c === 48 /* 0 */) continue;
    if (first < 0) first = digits;
    digits += 1;
    if (c !== 48) last = digits;
  }
  const significant = first < 0 ? 0 : last - first;
  return 1 + Math.ceil(Math.max(significant, 1) / 2) + (text.charCodeAt(0) === 45 ? 1 : 0);
}

/** DynamoDB item → plain values: S, N (number), B (Buffer), BOOL, NULL (null), M, L, sets (arrays). */
export function decodeItem(item: Item): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name === '__proto__') setOwn(row, name, decodeValue(value));
    else row[name] = decodeValue(value);
  }
  return row;
}

export function decodeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return numberOfN(value.N);
  if (value.B !== undefined) return Buffer.from(value.B);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return decodeItem(value.M);
  if (value.L !== undefined) return value.L.map(decodeValue);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(numberOfN);
  if (value.BS !== undefined) return value.BS.map((b) => Buffer.from(b));
  return undefined;
}

/**
 * One value of an expression (`${path}` in a sink's updateExpression or condition, DESIGN.md
 * 1.3), encoded like an item attribute. Where an attribute would be left out (an empty string in
 * `emqx`, undefined in `native`) a value is still needed: S "" and NULL.
 */
export function encodeValue(value: unknown, options: EncodeOptions, name: string): AttributeValue {
  let encoded: AttributeValue | undefined;
  try {
    encoded = options.encoding === 'native' ? encodeNative(value, options, name, { stack: [], paths: [] }) : encodeEmqx(value, options, name);
  } catch (err) {
    if (err instanceof JsonValueError) throw new ItemError('bad_value', `value "${err.path}" ${err.reason}`);
    throw err;
  }
  if (encoded !== undefined) return encoded;
  return value === '' ? { S: '' } : { NULL: true };
}

/** An N as a number; an integer beyond 2^53 as a BigInt, so that no digit is lost. */
function numberOfN(text: string): number | bigint {
  return integerOfText(text) ?? Number(text);
}
