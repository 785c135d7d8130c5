// Rows → DynamoDB items (DESIGN.md section 4). `emqx` reproduces what EMQX's DynamoDB connector
// writes (every non-number becomes a string); `native` maps JSON onto DynamoDB's own types.
// Also the item size rules and the per-message errors that must never be retried.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { types } from 'node:util';
import {
  bytesOf, dateText, isPlainObject, jsonText, JsonValueError, mapEntryNames, unboxed, unwritable,
} from '../../json/encode';
import { integerOfText } from '../../rules/exact-json';
import { EncodeOptions, Item, ItemError, numberText, setOwn } from './attribute';
import { encodeNative, NativeWalk } from './native';
import { describeType } from './item-words';
import { words } from '../../words';

export { ItemError } from './attribute';
export type { EncodeOptions, Item, ItemEncoding, ItemErrorCode } from './attribute';

/** DynamoDB's item size limit: 400 KB including attribute names. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** Where encodeItem leaves the size it measured, for a caller that needs it too (one object reused). */
export interface ItemMeasure {
  size: number;
}

/** Turns a row (an object) into a DynamoDB item, checking key attributes and size. */
export function encodeItem(row: unknown, options: EncodeOptions, measure?: ItemMeasure): Item {
  if (row === null || typeof row !== 'object' || Array.isArray(row) || Buffer.isBuffer(row)) {
    throw new ItemError('not_object', words('item.row.notObject', 'the row to write must be an object, not __type__', { type: describeType(row) }));
  }
  // A function node may hand over a Map as the row: its entries are the attributes.
  const fields = (!isPlainObject(row) && types.isMap(row) ? mapFields(row) : row) as Record<string, unknown>;
  // An undefined or null key would be stored as the text "undefined"/"null": surely a mistake.
  checkKeyPresent(fields, options.hashKey, 'partition');
  if (options.rangeKey) checkKeyPresent(fields, options.rangeKey, 'sort');
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
    if (err instanceof JsonValueError) throw new ItemError('bad_value', words('item.value.attribute', 'attribute "__path__" __reason__', { path: err.path, reason: err.reason }));
    throw err;
  }
  checkKeyType(item, options.hashKey, 'partition');
  if (options.rangeKey) checkKeyType(item, options.rangeKey, 'sort');
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    throw new ItemError(
      'too_large',
      words(
        'item.size.tooLarge',
        "item is __size__ bytes, over DynamoDB's 400 KB limit (__limit__ bytes): select fewer or smaller columns in the rule, or use a template",
        { size, limit: MAX_ITEM_BYTES },
      ),
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
    if (err instanceof JsonValueError) throw new ItemError('not_object', words('item.row.badMap', 'the row __reason__', { reason: err.reason }));
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

function checkKeyPresent(row: Record<string, unknown>, name: string, role: 'partition' | 'sort'): void {
  const value = row[name];
  if (value === undefined || value === null || value === '') {
    throw new ItemError('missing_key', missingKeyText(name, role, value === undefined));
  }
}

/** One sentence per case, so that each language can word it whole. */
function missingKeyText(name: string, role: 'partition' | 'sort', absent: boolean): string {
  const vars = { name };
  if (role === 'partition') {
    return absent
      ? words('item.key.missingPartition', 'item has no "__name__" attribute, the table\'s partition key: add "__name__" to the rule\'s SELECT (e.g. SELECT clientid as __name__, ...) or to the template, or set the sink\'s hashKey to an attribute every row has', vars)
      : words('item.key.emptyPartition', 'item has an empty "__name__" attribute, the table\'s partition key: add "__name__" to the rule\'s SELECT (e.g. SELECT clientid as __name__, ...) or to the template, or set the sink\'s hashKey to an attribute every row has', vars);
  }
  return absent
    ? words('item.key.missingSort', 'item has no "__name__" attribute, the table\'s sort key: add "__name__" to the rule\'s SELECT (e.g. SELECT clientid as __name__, ...) or to the template, or set the sink\'s rangeKey to an attribute every row has', vars)
    : words('item.key.emptySort', 'item has an empty "__name__" attribute, the table\'s sort key: add "__name__" to the rule\'s SELECT (e.g. SELECT clientid as __name__, ...) or to the template, or set the sink\'s rangeKey to an attribute every row has', vars);
}

function checkKeyType(item: Item, name: string, role: 'partition' | 'sort'): void {
  const value = item[name];
  if (value === undefined || (value.S === undefined && value.N === undefined && value.B === undefined)) {
    const vars = { name, type: value === undefined ? words('item.key.noValue', 'empty') : Object.keys(value)[0] };
    throw new ItemError(
      'bad_key',
      role === 'partition'
        ? words('item.key.badTypePartition', 'attribute "__name__" is the table\'s partition key and must be a string, number or binary, not __type__', vars)
        : words('item.key.badTypeSort', 'attribute "__name__" is the table\'s sort key and must be a string, number or binary, not __type__', vars),
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
    if (err instanceof JsonValueError) throw new ItemError('bad_value', words('item.value.value', 'value "__path__" __reason__', { path: err.path, reason: err.reason }));
    throw err;
  }
  if (encoded !== undefined) return encoded;
  return value === '' ? { S: '' } : { NULL: true };
}

/** An N as a number; an integer beyond 2^53 as a BigInt, so that no digit is lost. */
function numberOfN(text: string): number | bigint {
  return integerOfText(text) ?? Number(text);
}
