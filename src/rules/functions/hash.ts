// Hash functions (reference section 5.7): lower-case hex digests via node:crypto. MD4 is
// disabled in OpenSSL 3, so it is computed here (RFC 1320).

import { createHash } from 'node:crypto';
import { RuleFunction } from './types';
import { bytes, callError, define, text } from './arguments';
import { words } from '../../words';

const ALGORITHMS: Record<string, string> = {
  md5: 'md5', sha: 'sha1', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384',
  sha512: 'sha512', sha3_224: 'sha3-224', sha3_256: 'sha3-256', sha3_384: 'sha3-384',
  sha3_512: 'sha3-512', blake2b: 'blake2b512', blake2s: 'blake2s256',
};

export function md4(data: Buffer): Buffer {
  const bitLength = data.length * 8;
  const padded = Buffer.alloc(((data.length + 8) >> 6) * 64 + 64);
  data.copy(padded);
  padded[data.length] = 0x80;
  padded.writeUInt32LE(bitLength >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLength / 2 ** 32), padded.length - 4);
  let [a, b, c, d] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const rotl = (x: number, s: number) => (x << s) | (x >>> (32 - s));
  const F = (x: number, y: number, z: number) => (x & y) | (~x & z);
  const G = (x: number, y: number, z: number) => (x & y) | (x & z) | (y & z);
  const H = (x: number, y: number, z: number) => x ^ y ^ z;
  const x = new Array<number>(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + F(b, c, d) + x[i]) | 0, 3);
      d = rotl((d + F(a, b, c) + x[i + 1]) | 0, 7);
      c = rotl((c + F(d, a, b) + x[i + 2]) | 0, 11);
      b = rotl((b + F(c, d, a) + x[i + 3]) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + G(b, c, d) + x[i] + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + x[i + 4] + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + x[i + 8] + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + x[i + 12] + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + x[i] + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + x[i + 8] + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + x[i + 4] + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + x[i + 12] + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  [a, b, c, d].forEach((v, i) => out.writeInt32LE(v, i * 4));
  return out;
}

function digest(fn: string, alg: string, data: unknown): string {
  const b = bytes(fn, data);
  if (alg === 'md4') return md4(b).toString('hex');
  const nodeName = ALGORITHMS[alg];
  if (nodeName === undefined) {
    throw callError(fn, words('rules.call.unknownHash', "unknown hash algorithm '__algorithm__'; use one of __algorithms__", { algorithm: alg, algorithms: `md4, ${Object.keys(ALGORITHMS).join(', ')}` }));
  }
  return createHash(nodeName).update(b).digest('hex');
}

export const hashFunctions: RuleFunction[] = [
  define('md5', 1, 1, (args) => digest('md5', 'md5', args[0])),
  define('sha', 1, 1, (args) => digest('sha', 'sha', args[0])),
  define('sha256', 1, 1, (args) => digest('sha256', 'sha256', args[0])),
  define('hash', 2, 2, (args) => digest('hash', text('hash', args[0]), args[1])),
];
