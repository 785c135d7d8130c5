// Bit functions (reference section 5.8). Bitwise operators work on integers of any size in
// Erlang, so they go through BigInt here (JS `&` would cut to 32 bits).

import { RuleFunction } from './types';
import { bytes, callError, define, integer, option } from './arguments';
import { bytesResult } from '../values';

function bigintOp(name: string, op: (a: bigint, b: bigint) => bigint): RuleFunction {
  return define(name, 2, 2, (args) =>
    Number(op(BigInt(integer(name, args[0])), BigInt(integer(name, args[1])))));
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
  if (begin < 0) throw callError('subbits', `start must be at least 1, got ${start}`);
  if (len < 0) throw callError('subbits', `length must not be negative, got ${len}`);
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
    if (n !== 32 && n !== 64) throw callError('subbits', `a float must be 32 or 64 bits, got ${n}`);
    const b = Buffer.from(value.toString(16).padStart(n / 4, '0'), 'hex');
    return n === 64 ? b.readDoubleBE(0) : b.readFloatBE(0);
  }
  if (signedness === 'signed' && n > 0 && value >= 1n << BigInt(n - 1)) value -= 1n << BigInt(n);
  return Number(value);
}

export const bitFunctions: RuleFunction[] = [
  define('bitnot', 1, 1, (args) => Number(~BigInt(integer('bitnot', args[0])))),
  bigintOp('bitand', (a, b) => a & b),
  bigintOp('bitor', (a, b) => a | b),
  bigintOp('bitxor', (a, b) => a ^ b),
  bigintOp('bitsl', (a, b) => (b >= 0n ? a << b : a >> -b)),
  bigintOp('bitsr', (a, b) => (b >= 0n ? a >> b : a << -b)),
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
