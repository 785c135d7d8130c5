// Base64 and JSON (reference section 5.7). Base64 options: 'urlsafe', 'no_padding'; unknown
// options are ignored. Decoding is strict: padding is required unless 'no_padding' is given.

import { RuleFunction } from './types';
import { argError, callError, define, text } from './arguments';
import { bytesOf, bytesResult, decodeJson, jsonEncode, textOf } from '../values';
import { words } from '../../words';

function options(fn: string, args: unknown[]): { urlsafe: boolean; noPadding: boolean } {
  const opts = args.slice(1).map((o) => text(fn, o));
  return { urlsafe: opts.includes('urlsafe'), noPadding: opts.includes('no_padding') };
}

function encode(args: unknown[]): string {
  const data = bytesOf(args[0]);
  if (data === undefined) throw argError('base64_encode', 'a string', args[0]);
  const { urlsafe, noPadding } = options('base64_encode', args);
  let s = data.toString(urlsafe ? 'base64url' : 'base64');
  if (urlsafe && !noPadding) s = s.padEnd(Math.ceil(s.length / 4) * 4, '=');
  if (!urlsafe && noPadding) s = s.replace(/=+$/, '');
  return s;
}

function decode(args: unknown[]): string | Buffer {
  const raw = textOf(args[0]);
  if (raw === undefined) throw argError('base64_decode', 'a string', args[0]);
  const { urlsafe, noPadding } = options('base64_decode', args);
  const s = raw.replace(/[ \t\r\n]/g, '');
  const alphabet = urlsafe ? 'A-Za-z0-9\\-_' : 'A-Za-z0-9+/';
  const padded = new RegExp(`^(?:[${alphabet}]{4})*(?:[${alphabet}]{2}==|[${alphabet}]{3}=)?$`);
  const unpadded = new RegExp(`^(?:[${alphabet}]{4})*(?:[${alphabet}]{2,3})?$`);
  if (!padded.test(s) && !(noPadding && unpadded.test(s))) {
    throw callError('base64_decode', noPadding
      ? words('rules.call.badBase64', 'invalid base64 data')
      : words('rules.call.badBase64Padding', 'invalid base64 data (padding is required unless the option no_padding is given)'));
  }
  return bytesResult(Buffer.from(s, urlsafe ? 'base64url' : 'base64'));
}

export const encodingFunctions: RuleFunction[] = [
  define('base64_encode', 1, 3, encode),
  define('base64_decode', 1, 3, decode),
  define('json_encode', 1, 1, (args) => jsonEncode(args[0])),
  define('json_decode', 1, 1, (args) => {
    if (textOf(args[0]) === undefined) throw argError('json_decode', 'JSON text', args[0]);
    return decodeJson(args[0]);
  }),
];
