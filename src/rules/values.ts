// The rule engine's value model and the conversions every part of it shares: text (EMQX's
// `str` rules, reference section 3.10), JSON encoding and decoding, exact equality, and type
// names for error messages.
//
// Values, and how they map EMQX's Erlang terms:
// - `undefined` is EMQX's atom `undefined` (a missing name, `null()`); `null` is JSON null.
// - Strings are JS strings. Erlang atoms (`event`, `reason`, ...) are plain strings too.
// - Numbers are exact (DESIGN.md section 2), as EMQX's Erlang integers are: an integer with
//   |n| <= 2^53 - 1 is a JS number; an integer beyond that is a BigInt (a 64-bit serial, a
//   nanosecond timestamp), never a number; so a JS number beyond 2^53 is a float (from a float
//   literal such as 1e20, or float arithmetic). `exactInteger` (exact-json.ts) keeps to this.
//   An integral float below 2^53 (`2.0`) is the same JS number as the integer 2 and behaves as
//   it, except where the SQL text shows it is a float (DESIGN.md section 2).
// - Maps are plain objects, lists are arrays.
// - Bytes: EMQX cannot tell a binary that holds valid UTF-8 from a string, so neither do we.
//   A function that produces bytes (`hexstr2bin`, `base64_decode`, `gunzip`, ...) returns a
//   string when the bytes are valid UTF-8 and a Buffer only when they are not (`bytesResult`).
//   Wherever a string is expected, a Buffer that is valid UTF-8 is accepted as its text
//   (`textOf`); a Buffer that is not valid UTF-8 is accepted only where bytes are expected
//   (`bytesOf`: hashing, base64, compression, bit functions).

import { isUtf8 } from 'node:buffer';
import { jsonText, JsonValueError } from '../json/encode';
import { failIfTooDeep, RuleEvaluationError } from './errors';
import { parseJson } from './exact-json';
import { words } from '../words';

export type RuleMap = Record<string, unknown>;

export function isMap(v: unknown): v is RuleMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** EMQX `is_binary`: a string, or bytes. */
export function isBinary(v: unknown): v is string | Buffer {
  return typeof v === 'string' || Buffer.isBuffer(v);
}

/** An integer that fits a JS number exactly (|n| <= 2^53 - 1); see `isInt` for any integer. */
export function isInteger(v: unknown): v is number {
  return Number.isSafeInteger(v);
}

/** EMQX `is_integer`: a JS integer up to 2^53 - 1, or a BigInt beyond. */
export function isInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || Number.isSafeInteger(v);
}

/** EMQX `is_number`: a JS number or a BigInt. */
export function isNumber(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** The text of a string, or of a Buffer holding valid UTF-8; undefined for anything else. */
export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v) && isUtf8(v)) return v.toString('utf8');
  return undefined;
}

/** The bytes of a string (UTF-8) or Buffer; undefined for anything else. */
export function bytesOf(v: unknown): Buffer | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Buffer.isBuffer(v)) return v;
  return undefined;
}

/** A byte result as the engine holds it: text when valid UTF-8, else the Buffer itself. */
export function bytesResult(b: Buffer): string | Buffer {
  return isUtf8(b) ? b.toString('utf8') : b;
}

/** A short name of a value's type for error messages: `expected a string, got undefined`. */
export function typeName(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return Number.isSafeInteger(v) ? 'integer' : 'float';
    case 'bigint': return 'integer';
    case 'boolean': return 'boolean';
    default:
      if (Array.isArray(v)) return 'list';
      if (Buffer.isBuffer(v)) return isUtf8(v) ? 'string' : 'bytes (not UTF-8)';
      return 'map';
  }
}

/** EMQX `float_to_binary(F, [{decimals, 10}, compact])`, but never less than one decimal. */
export function floatText(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  // toFixed writes an exponent from 1e21 on; Erlang writes the double's exact digits.
  if (Math.abs(f) >= 1e21) return `${BigInt(f)}.0`;
  let s = f.toFixed(10);
  s = s.replace(/0+$/, '');
  if (s.endsWith('.')) s += '0';
  return s === '-0.0' ? '0.0' : s;
}

function numberText(n: number): string {
  // Beyond 2^53 a JS number is a float (an integer that large is a BigInt): `1.5e20` → "150000000000000000000.0".
  if (Number.isSafeInteger(n)) return String(n === 0 ? 0 : n);
  return floatText(n);
}

/** EMQX's `str()` conversion (reference section 3.10), also used by `+` and `concat`. */
export function toText(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': return numberText(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'undefined': return 'undefined';
    case 'bigint': return v.toString();
    default:
      if (v === null) return 'null';
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      return jsonEncode(v);
  }
}

/**
 * Compact JSON, as EMQX's encoder writes it: undefined (anywhere) encodes as "undefined", bytes
 * as UTF-8 text with U+FFFD for bad sequences. The one encoder the sink uses too (src/json).
 */
export function jsonEncode(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  try {
    return jsonText(v);
  } catch (err) {
    if (!(err instanceof JsonValueError)) throw err;
    throw new RuleEvaluationError(err.path
      ? words('rules.json.encodeAt', 'json_encode: the value at __path__ __reason__', { path: err.path, reason: err.reason })
      : words('rules.json.encode', 'json_encode: the value __reason__', { reason: err.reason }), 'json_encode_failed');
  }
}

/** JSON text to a value, integers exact; invalid JSON (including '') raises `decode_json_failed`. */
export function decodeJson(s: unknown): unknown {
  const text = textOf(s);
  if (text === undefined) {
    throw new RuleEvaluationError(words('rules.json.notText', 'decode_json_failed: expected JSON text, got __got__', { got: typeName(s) }), 'decode_json_failed');
  }
  try {
    return parseJson(text);
  } catch (err) {
    failIfTooDeep(err);
    const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
    throw new RuleEvaluationError(words('rules.json.invalid', 'decode_json_failed: not valid JSON: __text__', { text: JSON.stringify(shown) }), 'decode_json_failed');
  }
}

/**
 * Equality without type coercion (IN, `contains`, simple CASE): `'1'` ≠ `1`, maps and lists
 * compare structurally. `2` and `2.0` are the same JS number, so they are equal here; a BigInt
 * (an integer beyond 2^53) never equals a number (a float that large), as 2^60 =/= 2.0^60 in Erlang.
 */
export function exactEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b) {
    if (isBinary(a) && isBinary(b)) return bytesOf(a)!.equals(bytesOf(b)!);
    return false;
  }
  if (typeof a !== 'object' || a === null || b === null) return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!exactEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as RuleMap);
  const mb = b as RuleMap;
  if (ka.length !== Object.keys(mb).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(mb, k) || !exactEquals((a as RuleMap)[k], mb[k])) return false;
  }
  return true;
}
