// Bit functions (reference section 5.8). Bitwise operators work on integers of any size in
// Erlang, so they go through BigInt here (JS `&` would cut to 32 bits).

import { RuleFunction } from './types';
import { bigInteger, bytes, callError, define, integer, option } from './arguments';
import { exactInteger } from '../exact-json';
import { bytesResult } from '../values';
import { words } from '../../words';

function bigintOp(name: string, op: (a: bigint, b: bigint) => bigint): RuleFunction {
  return define(name, 2, 2, (args) =>
    exactInteger(op(bigInteger(name, args[0]), bigInteger(name, args[1]))));
}

/**
 * The largest shift we do: Erlang's limit is its bignum size (a system_limit error); a shift
 * by a payload's number must not stall Node-RED building a huge BigInt.
 */
const MAX_SHIFT = 1n << 20n;

function shift(name: string, a: bigint, left: bigint): bigint {
  if (left > MAX_SHIFT) throw callError(name, words('rules.call.shiftLimit', 'a shift by __bits__ bits is beyond the limit of __limit__ bits', { bits: String(left), limit: String(MAX_SHIFT) }), 'system_limit');
  if (left >= 0n) return a << left;
  // A right shift by any amount is bounded: beyond the value's bits it gives 0 or -1.
  return a >> (-left > MAX_SHIFT ? MAX_SHIFT : -left);
}

/** The bits of `buf` from bit `begin` (0-based), `count` of them, as a BigInt (big-endian). */
function readBits(buf: Buffer, begin: number, count: number): bigint {
  let v = 0n;
  for (let i = begin; i < begin + count; i++) {
    v = (v << 1n) | BigInt((buf[i >> 3] >> (7 - (i & 7))) & 1);
  }
  return v;
}

/**
 * Erlang `<<X:N/little>>` for N bits: the first whole bytes are the least significant and a
 * trailing partial byte the most significant.
 */
function littleEndian(big: bigint, n: number): bigint {
  let out = 0n;
  let shift = 0n;
  let remaining = n;
  while (remaining > 0) {
    const size = Math.min(8, remaining);
    remaining -= size;
    const chunk = (big >> BigInt(remaining)) & ((1n << BigInt(size)) - 1n);
    out |= chunk << shift;
    shift += BigInt(size);
  }
  return out;
}

function subbits(buf: Buffer, start: number, len: number, type: string, signedness: string, endianness: string): unknown {
  const total = buf.length * 8;
  const begin = start - 1;
  if (begin < 0) throw callError('subbits', words('rules.call.startAtLeastOne', 'start must be at least 1, got __start__', { start: String(start) }));
  if (len < 0) throw callError('subbits', words('rules.call.negativeLength', 'length must not be negative, got __length__', { length: String(len) }));
  if (begin >= total) return undefined;
  const n = Math.min(len, total - begin);
  const raw = readBits(buf, begin, n);
  if (type === 'bits') {
    // JS has no bitstrings: the bits are returned left-padded to whole bytes.
    const hex = raw.toString(16).padStart(Math.ceil(n / 8) * 2, '0');
    return bytesResult(Buffer.from(hex, 'hex'));
  }
  let value = endianness === 'little' ? littleEndian(raw, n) : raw;
  if (type === 'float') {
    // Erlang's float segments are 16, 32 or 64 bits (IEEE 754 half, single, double).
    if (n !== 16 && n !== 32 && n !== 64) throw callError('subbits', words('rules.call.floatBits', 'a float must be 16, 32 or 64 bits, got __bits__', { bits: String(n) }));
    const b = Buffer.from(value.toString(16).padStart(n / 4, '0'), 'hex');
    const f = n === 64 ? b.readDoubleBE(0) : n === 32 ? b.readFloatBE(0) : halfFloat(b.readUInt16BE(0));
    // Erlang has no infinity or NaN: such bits do not match a float segment (an error in EMQX).
    if (!Number.isFinite(f)) throw callError('subbits', words('rules.call.floatNotFinite', 'the __bits__ bits are not a finite float (infinity or NaN)', { bits: String(n) }));
    return f;
  }
  if (signedness === 'signed' && n > 0 && value >= 1n << BigInt(n - 1)) value -= 1n << BigInt(n);
  return exactInteger(value);
}

/** IEEE 754 binary16 bits as a number (Node 20 has no Float16Array / DataView.getFloat16). */
function halfFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export const bitFunctions: RuleFunction[] = [
  define('bitnot', 1, 1, (args) => exactInteger(~bigInteger('bitnot', args[0]))),
  bigintOp('bitand', (a, b) => a & b),
  bigintOp('bitor', (a, b) => a | b),
  bigintOp('bitxor', (a, b) => a ^ b),
  bigintOp('bitsl', (a, b) => shift('bitsl', a, b)),
  bigintOp('bitsr', (a, b) => shift('bitsr', a, -b)),
  define('bitsize', 1, 1, (args) => bytes('bitsize', args[0]).length * 8),
  define('bytesize', 1, 1, (args) => bytes('bytesize', args[0]).length),
  define('subbits', 2, 6, (args) => {
    const buf = bytes('subbits', args[0]);
    if (args.length === 2) return subbits(buf, 1, integer('subbits', args[1]), 'integer', 'unsigned', 'big');
    const start = integer('subbits', args[1]);
    const len = integer('subbits', args[2]);
    const type = args.length > 3 ? option('subbits', args[3], ['integer', 'float', 'bits'] as const) : 'integer';
    const sign = args.length > 4 ? option('subbits', args[4], ['unsigned', 'signed'] as const) : 'unsigned';
    const endian = args.length > 5 ? option('subbits', args[5], ['big', 'little'] as const) : 'big';
    return subbits(buf, start, len, type, sign, endian);
  }),
];
