// String functions (reference section 5.4). Lengths and positions count grapheme clusters, as
// Erlang's `string` module does (`\r\n` is one); whitespace is Erlang's list, not JS trim()'s.

import { RuleFunction } from './types';
import { parseJson } from '../exact-json';
import { failIfTooDeep } from '../errors';
import { argError, callError, define, integer, list, option, text } from './arguments';
import { isMap, jsonEncode, textOf, toText } from '../values';
import { fixedDecimals } from './conversion';
import { words } from '../../words';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Printable ASCII has one grapheme per code unit, so the segmenter can be skipped.
const SIMPLE_ASCII = /^[\x20-\x7e]*$/;

export function graphemes(s: string): string[] {
  if (SIMPLE_ASCII.test(s)) return s.split('');
  return Array.from(segmenter.segment(s), (g) => g.segment);
}

// unicode_util:whitespace(): Pattern_White_Space, which is what string:trim/1 strips.
const WHITESPACE = new Set(['\t', '\n', '\v', '\f', '\r', '\r\n', ' ', '\u0085', '\u200e', '\u200f', '\u2028', '\u2029']);

function trimGraphemes(s: string, where: 'both' | 'leading' | 'trailing', set: Set<string>): string {
  const gs = graphemes(s);
  let start = 0;
  let end = gs.length;
  if (where !== 'trailing') while (start < end && set.has(gs[start])) start++;
  if (where !== 'leading') while (end > start && set.has(gs[end - 1])) end--;
  return gs.slice(start, end).join('');
}

function trimFunction(name: string, where: 'both' | 'leading' | 'trailing'): RuleFunction {
  return define(name, 1, 2, (args) => {
    const s = text(name, args[0]);
    const set = args.length === 2 ? new Set(graphemes(text(name, args[1]))) : WHITESPACE;
    return trimGraphemes(s, where, set);
  });
}

function pad(s: string, len: number, where: string, unit: string): string {
  const missing = len - graphemes(s).length;
  if (missing <= 0) return s;
  if (where === 'leading') return unit.repeat(missing) + s;
  if (where === 'both') {
    const left = Math.floor(missing / 2);
    return unit.repeat(left) + s + unit.repeat(missing - left);
  }
  return s + unit.repeat(missing);
}

/**
 * Where `sep` occurs in `s` on grapheme boundaries only, as Erlang's string module matches:
 * `'\n'` does not occur inside the single grapheme `'\r\n'`, nor `'e'` inside `'e\u0301'`.
 */
function occurrences(s: string, sep: string): number[] {
  const found: number[] = [];
  if (sep === '') return found;
  let boundaries: Set<number> | undefined;
  const onBoundary = (i: number): boolean => {
    if (SIMPLE_ASCII.test(s)) return true;
    if (boundaries === undefined) {
      boundaries = new Set([s.length]);
      for (const g of segmenter.segment(s)) boundaries.add(g.index);
    }
    return boundaries.has(i);
  };
  for (let i = s.indexOf(sep); i >= 0; i = s.indexOf(sep, i + 1)) {
    if (onBoundary(i) && onBoundary(i + sep.length)) {
      found.push(i);
      i += sep.length - 1;
    }
  }
  return found;
}

function splitAt(s: string, sep: string, at: number[]): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const i of at) {
    parts.push(s.slice(from, i));
    from = i + sep.length;
  }
  parts.push(s.slice(from));
  return parts;
}

function splitOnce(s: string, sep: string, fromEnd: boolean): string[] {
  const all = occurrences(s, sep);
  if (all.length === 0) return [s];
  return splitAt(s, sep, [fromEnd ? all[all.length - 1] : all[0]]);
}

const SPLIT_OPTIONS = ['all', 'notrim', 'leading', 'leading_notrim', 'trailing', 'trailing_notrim'] as const;

function split(s: string, sep: string, how: (typeof SPLIT_OPTIONS)[number]): string[] {
  let parts: string[];
  if (how === 'leading' || how === 'leading_notrim') parts = splitOnce(s, sep, false);
  else if (how === 'trailing' || how === 'trailing_notrim') parts = splitOnce(s, sep, true);
  else parts = splitAt(s, sep, occurrences(s, sep));
  return how.endsWith('notrim') ? parts : parts.filter((p) => p !== '');
}

function tokens(s: string, chars: string, nocrlf: boolean): string[] {
  const set = new Set(graphemes(chars));
  if (nocrlf) for (const c of ['\r', '\n', '\r\n']) set.add(c);
  const out: string[] = [];
  let current = '';
  for (const g of graphemes(s)) {
    if (set.has(g)) {
      if (current !== '') out.push(current);
      current = '';
    } else {
      current += g;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function replace(s: string, pattern: string, replacement: string, where: string): string {
  const all = occurrences(s, pattern);
  if (all.length === 0) return s;
  const at = where === 'all' ? all : [where === 'leading' ? all[0] : all[all.length - 1]];
  return splitAt(s, pattern, at).join(replacement);
}

/** EMQX quote_sql: numbers bare, anything else single-quoted with `\` and `'` escaped. */
function sqlValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return toText(v);
  const raw = Array.isArray(v) || isMap(v) ? jsonEncode(v) : toText(v);
  return `'${raw.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function redisHashValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) return fixedDecimals(v, 6);
  return toText(v);
}

const UNESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', "'": "'", '"': '"', '\\': '\\', '?': '?', a: '\u0007',
};

function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === 'x') {
      // EMQX: the hex escape takes every hex digit that follows (`\x41BC` is U+41BC).
      const digits = /^[0-9a-fA-F]+/.exec(s.slice(i + 1))?.[0];
      const cp = digits === undefined ? NaN : parseInt(digits, 16);
      if (!(cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) {
        throw callError('unescape', words('rules.call.invalidHexEscape', 'invalid hex escape __escape__', { escape: `\\x${digits ?? ''}` }));
      }
      out += String.fromCodePoint(cp);
      i += digits!.length;
    } else if (e !== undefined && e in UNESCAPES) {
      out += UNESCAPES[e];
    } else {
      throw callError('unescape', words('rules.call.unknownEscape', 'unknown escape sequence __escape__', { escape: `\\${e ?? ''}` }));
    }
  }
  return out;
}

function unaryText(name: string, f: (s: string) => unknown): RuleFunction {
  return define(name, 1, 1, (args) => f(text(name, args[0])));
}

export const stringFunctions: RuleFunction[] = [
  unaryText('lower', (s) => s.toLowerCase()),
  unaryText('upper', (s) => s.toUpperCase()),
  unaryText('strlen', (s) => graphemes(s).length),
  // Deviation (DESIGN.md section 2): EMQX fails above U+00FF; we reverse any text by grapheme.
  unaryText('reverse', (s) => graphemes(s).reverse().join('')),
  unaryText('ascii', (s) => {
    if (s === '') throw callError('ascii', words('rules.call.emptyString', 'expected a non-empty string'));
    return Buffer.from(s, 'utf8')[0];
  }),
  define('substr', 2, 3, (args) => {
    const gs = graphemes(text('substr', args[0]));
    const start = integer('substr', args[1]);
    if (start < 0) throw callError('substr', words('rules.call.negativeStart', 'start must not be negative, got __start__', { start }));
    if (args.length === 2) return gs.slice(start).join('');
    const len = integer('substr', args[2]);
    if (len < 0) throw callError('substr', words('rules.call.negativeLength', 'length must not be negative, got __length__', { length: len }));
    return gs.slice(start, start + len).join('');
  }),
  define('rm_prefix', 2, 2, (args) => {
    const s = text('rm_prefix', args[0]);
    const p = text('rm_prefix', args[1]);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  define('find', 2, 3, (args) => {
    const s = text('find', args[0]);
    const p = text('find', args[1]);
    const where = args.length === 3 ? option('find', args[2], ['leading', 'trailing'] as const) : 'leading';
    if (p === '') return where === 'leading' ? s : '';
    const all = occurrences(s, p);
    return all.length === 0 ? '' : s.slice(where === 'leading' ? all[0] : all[all.length - 1]);
  }),
  trimFunction('trim', 'both'),
  trimFunction('ltrim', 'leading'),
  trimFunction('rtrim', 'trailing'),
  define('pad', 2, 4, (args) => {
    const s = text('pad', args[0]);
    const len = integer('pad', args[1]);
    const where = args.length >= 3 ? option('pad', args[2], ['trailing', 'leading', 'both'] as const) : 'trailing';
    const unit = args.length === 4 ? text('pad', args[3]) : ' ';
    return pad(s, len, where, unit);
  }),
  define('split', 2, 3, (args) => {
    const how = args.length === 3 ? option('split', args[2], SPLIT_OPTIONS) : 'all';
    return split(text('split', args[0]), text('split', args[1]), how);
  }),
  define('tokens', 2, 3, (args) => {
    const nocrlf = args.length === 3 && option('tokens', args[2], ['nocrlf'] as const) === 'nocrlf';
    return tokens(text('tokens', args[0]), text('tokens', args[1]), nocrlf);
  }),
  define('concat', 1, Infinity, (args) => {
    const parts = args.length === 1 ? list('concat', args[0]) : args;
    return parts.map(toText).join('');
  }),
  define('join_to_string', 1, 2, (args) => {
    const sep = args.length === 2 ? text('join_to_string', args[0]) : ', ';
    return list('join_to_string', args[args.length - 1]).map(toText).join(sep);
  }),
  define('join_to_sql_values_string', 1, 1, (args) =>
    list('join_to_sql_values_string', args[0]).map(sqlValue).join(', ')),
  define('map_to_redis_hset_args', 1, 1, (args) => {
    let m: unknown = args[0];
    if (textOf(m) !== undefined) {
      try {
        m = parseJson(textOf(m)!);
      } catch (err) {
        failIfTooDeep(err);
        return ['map_to_redis_hset_args'];
      }
    }
    if (!isMap(m)) throw argError('map_to_redis_hset_args', 'a map or JSON object text', m);
    const out: unknown[] = ['map_to_redis_hset_args'];
    for (const [k, v] of Object.entries(m)) out.push(k, redisHashValue(v));
    return out;
  }),
  define('replace', 3, 4, (args) => {
    const where = args.length === 4 ? option('replace', args[3], ['all', 'leading', 'trailing'] as const) : 'all';
    return replace(text('replace', args[0]), text('replace', args[1]), text('replace', args[2]), where);
  }),
  unaryText('unescape', unescape),
];
