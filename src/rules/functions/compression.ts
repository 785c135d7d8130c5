// Compression (reference section 5.7): zip/unzip are raw deflate, gzip/gunzip gzip framing,
// zip_compress/zip_uncompress zlib framing. Results follow the bytes rule of values.ts.

import * as zlib from 'node:zlib';
import { RuleFunction } from './types';
import { bytes, callError, define } from './arguments';
import { bytesResult } from '../values';
import { words } from '../../words';

function transform(name: string, f: (b: Buffer) => Buffer): RuleFunction {
  return define(name, 1, 1, (args) => {
    const input = bytes(name, args[0]);
    let out: Buffer;
    try {
      out = f(input);
    } catch (err) {
      throw callError(name, words('rules.call.badCompressedData', 'invalid compressed data (__reason__)', { reason: (err as Error).message }));
    }
    return bytesResult(out);
  });
}

export const compressionFunctions: RuleFunction[] = [
  transform('zip', (b) => zlib.deflateRawSync(b)),
  transform('unzip', (b) => zlib.inflateRawSync(b)),
  transform('gzip', (b) => zlib.gzipSync(b)),
  transform('gunzip', (b) => zlib.gunzipSync(b)),
  transform('zip_compress', (b) => zlib.deflateSync(b)),
  transform('zip_uncompress', (b) => zlib.inflateSync(b)),
];
