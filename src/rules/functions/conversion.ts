// Type conversion (reference section 5.3): str, int, float, bool, map and the hex forms of
// bytes. Number parsing follows Erlang's syntax: a float needs a '.', spaces are not allowed.

import { RuleFunction } from './types';
import { argError, bytes, callError, define, integer, text } from './arguments';
import { integerOfText } from '../exact-json';
import { bytesResult, decodeJson, isMap, textOf, toText } from '../values';
import { words } from '../../words';

const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$/;

/** Erlang floor/1 of a float: an integer, exact beyond 2^53 (a BigInt). */
function floorToInteger(f: number): number | bigint {
  if (!Number.isFinite(f)) throw callError('int', words('rules.call.notInteger', 'cannot convert __value__ to an integer', { value: String(f) }));
  const r = Math.floor(f);
  return Number.isSafeInteger(r) ? r + 0 : BigInt(r);
}

function toInt(v: unknown): number | bigint {
  if (typeof v === 'number') return floorToInteger(v);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const t = textOf(v);
  if (t !== undefined) {
    if (INTEGER_TEXT.test(t)) return integerOfText(t) as number | bigint;
    if (FLOAT_TEXT.test(t)) return floorToInteger(Number(t));
    throw callError('int', words('rules.call.notInteger', 'cannot convert __value__ to an integer', { value: JSON.stringify(t) }));
  }
  throw argError('int', 'a number, boolean or numeric string', v);
}

export function toFloat(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = textOf(v);
  if (t !== undefined) {
    if (FLOAT_TEXT.test(t) || INTEGER_TEXT.test(t)) return Number(t);
    throw callError(fn, words('rules.call.notFloat', 'cannot convert __value__ to a float', { value: JSON.stringify(t) }));
  }
  throw argError(fn, 'a number or numeric string', v);
}

/** Erlang `float_to_binary(F, [{decimals, N}, compact])`: at most N decimals, at least one. */
export function fixedDecimals(f: number, n: number): string {
  // toFixed writes an exponent from 1e21 on; such a double is integral, its digits exact.
  if (Number.isFinite(f) && Math.abs(f) >= 1e21) return `${BigInt(f)}.0`;
  let s = f.toFixed(Math.min(n, 100));
  if (s.includes('.')) {
    s = s.replace(/0+$/, '');
    if (s.endsWith('.')) s += '0';
  } else if (!/e/.test(s)) {
    s += '.0';
  }
  return s;
}

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1) return true;
  if (v === 0) return false;
  const t = textOf(v);
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw callError('bool', words('rules.call.notBoolean', 'cannot convert __value__ to a boolean', { value: t !== undefined ? JSON.stringify(t) : String(v) }));
}

function toMap(v: unknown): Record<string, unknown> {
  if (isMap(v)) return v;
  if (Array.isArray(v) && v.length === 0) return {};
  if (textOf(v) !== undefined) {
    const decoded = decodeJson(v);
    if (isMap(decoded)) return decoded;
  }
  throw argError('map', 'a map or JSON object text', v);
}

export function hexOf(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}

function hexToBytes(s: string, prefix: string | undefined): string | Buffer {
  let hex = s;
  if (prefix !== undefined) {
    if (!hex.startsWith(prefix)) {
      throw callError('hexstr2bin', words('rules.call.missingPrefix', '__value__ does not start with the prefix __prefix__', { value: JSON.stringify(s), prefix: JSON.stringify(prefix) }));
    }
    hex = hex.slice(prefix.length);
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw callError('hexstr2bin', words('rules.call.notHex', '__value__ is not hexadecimal', { value: JSON.stringify(s) }));
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return bytesResult(Buffer.from(hex, 'hex'));
}

export const conversionFunctions: RuleFunction[] = [
  // A binary is already a string to EMQX: bytes that are not UTF-8 pass through unchanged.
  define('str', 1, 1, (args) => (Buffer.isBuffer(args[0]) ? bytesResult(args[0]) : toText(args[0]))),
  define('str_utf8', 1, 1, (args) => {
    if (Buffer.isBuffer(args[0]) && typeof bytesResult(args[0]) !== 'string') {
      throw argError('str_utf8', 'text that is valid UTF-8', args[0]);
    }
    return toText(args[0]);
  }),
  define('str_utf16_le', 1, 1, (args) => bytesResult(Buffer.from(toText(args[0]), 'utf16le'))),
  define('int', 1, 1, (args) => toInt(args[0])),
  define('float', 1, 2, (args) => {
    const f = toFloat('float', args[0]);
    if (args.length === 1) return f;
    const decimals = integer('float', args[1]);
    if (decimals <= 0) throw callError('float', words('rules.call.decimalsPositive', 'decimals must be greater than 0, got __decimals__', { decimals }));
    return Number(f.toFixed(Math.min(decimals, 100)));
  }),
  define('float2str', 2, 2, (args) => {
    if (typeof args[0] !== 'number' && typeof args[0] !== 'bigint') throw argError('float2str', 'a float', args[0]);
    const n = integer('float2str', args[1]);
    if (n < 0) throw callError('float2str', words('rules.call.decimalsNegative', 'decimals must not be negative, got __decimals__', { decimals: n }));
    return fixedDecimals(Number(args[0]), n);
  }),
  define('bool', 1, 1, (args) => toBool(args[0])),
  define('map', 1, 1, (args) => toMap(args[0])),
  define('bin2hexstr', 1, 2, (args) => {
    const hex = hexOf(bytes('bin2hexstr', args[0]));
    return args.length === 2 ? text('bin2hexstr', args[1]) + hex : hex;
  }),
  define('hexstr2bin', 1, 2, (args) =>
    hexToBytes(text('hexstr2bin', args[0]), args.length === 2 ? text('hexstr2bin', args[1]) : undefined)),
  define('sqlserver_bin2hexstr', 1, 1, (args) => `0x${hexOf(bytes('sqlserver_bin2hexstr', args[0]))}`),
];
