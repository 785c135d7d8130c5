// Regular-expression functions (reference section 5.4). EMQX hands patterns to PCRE; here they
// are translated to JavaScript RegExp syntax once and cached. Translated: leading inline flags
// `(?i)` `(?s)` `(?m)`, `\A` `\z` `\Z`, PCRE's `$` (also matches before a final newline),
// `(?P<name>...)`, `\Q...\E`, `\h`, `\e`, `\a`, `\x{...}`, POSIX classes `[[:alpha:]]`.
// Approximated: possessive quantifiers and atomic groups `(?>...)` become ordinary ones (the
// same matches except where backtracking into them would find another). Unsupported PCRE
// features (recursion, conditionals, `(?x)`) raise a clear error.

import { RuleFunction } from './types';
import { callError, define, text } from './arguments';

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w', cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e', graph: '\\x21-\\x7e', ascii: '\\x00-\\x7f',
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|\/-]/g, (c) => `\\${c}`);
}

function codePointEscape(cp: number): string {
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return escapeLiteral(String.fromCodePoint(cp));
}

/** PCRE pattern text → [JS source, JS flags]. */
export function translatePcre(pattern: string): [string, string] {
  let flags = '';
  let p = pattern;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(p);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else throw callError('regex', `inline option (?${f}) is not supported`);
    }
    p = p.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const e = p[i + 1];
      i++;
      if (e === undefined) throw callError('regex', 'pattern ends with a backslash');
      if (e === 'Q') {
        const end = p.indexOf('\\E', i + 1);
        const literal = end < 0 ? p.slice(i + 1) : p.slice(i + 1, end);
        out += escapeLiteral(literal);
        i = end < 0 ? p.length : end + 1;
      } else if (e === 'x' && p[i + 1] === '{') {
        const end = p.indexOf('}', i);
        out += codePointEscape(parseInt(p.slice(i + 2, end), 16));
        i = end;
      } else if (!inClass && e === 'A') out += '^';
      else if (!inClass && e === 'z') out += '(?![\\s\\S])';
      else if (!inClass && e === 'Z') out += '(?=\\n?(?![\\s\\S]))';
      else if (e === 'h') out += inClass ? ' \\t' : '[ \\t]';
      else if (e === 'H' && !inClass) out += '[^ \\t]';
      else if (e === 'e') out += '\\x1b';
      else if (e === 'a') out += '\\x07';
      else out += `\\${e}`;
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
        if (m && POSIX_CLASSES[m[2]] !== undefined && m[1] === '') {
          out += POSIX_CLASSES[m[2]];
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in PCRE.
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '$') {
      out += flags.includes('m') ? '$' : '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith('P=')) {
        const end = p.indexOf(')', i);
        out += `\\k<${p.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      if (rest.startsWith('>')) { out += '(?:'; i += 2; continue; }
      if (/^[:=!<]/.test(rest)) { out += c; continue; }
      throw callError('regex', `the group syntax (?${rest.slice(0, 2)} is not supported`);
    }
    if (c === '+' && i > 0 && /[*+?}]/.test(p[i - 1]) && p[i - 2] !== '\\') continue; // possessive
    out += c;
  }
  return [out, flags];
}

const cache = new Map<string, RegExp>();

function compile(fn: string, pattern: string, global: boolean): RegExp {
  const key = (global ? 'g' : '-') + pattern;
  let re = cache.get(key);
  if (re === undefined) {
    try {
      const [source, flags] = translatePcre(pattern);
      re = new RegExp(source, flags + (global ? 'g' : ''));
    } catch (err) {
      throw callError(fn, `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
    if (cache.size > 500) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Erlang re:replace replacement: `&` is the match, `\N` / `\g{N}` a group, `\&` `\\` literals. */
function expandReplacement(rep: string, match: string, groups: (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i];
    if (c === '&') out += match;
    else if (c === '\\' && i + 1 < rep.length) {
      const rest = rep.slice(i + 1);
      const num = /^(?:g\{(\d+)\}|(\d+))/.exec(rest);
      if (num) {
        const n = Number(num[1] ?? num[2]);
        out += n === 0 ? match : groups[n - 1] ?? '';
        i += num[0].length;
      } else {
        out += rest[0];
        i++;
      }
    } else out += c;
  }
  return out;
}

export const regexFunctions: RuleFunction[] = [
  define('regex_match', 2, 2, (args) =>
    compile('regex_match', text('regex_match', args[1]), false).test(text('regex_match', args[0]))),
  define('regex_replace', 3, 3, (args) => {
    const s = text('regex_replace', args[0]);
    const re = compile('regex_replace', text('regex_replace', args[1]), true);
    const rep = text('regex_replace', args[2]);
    return s.replace(re, (match: string, ...rest: unknown[]) => {
      // The replacer's trailing arguments are offset, input, and (with named groups) groups.
      const named = typeof rest[rest.length - 1] === 'object' && rest[rest.length - 1] !== undefined;
      const groups = rest.slice(0, rest.length - (named ? 3 : 2)) as (string | undefined)[];
      return expandReplacement(rep, match, groups);
    });
  }),
  define('regex_extract', 2, 2, (args) => {
    const m = compile('regex_extract', text('regex_extract', args[1]), false).exec(text('regex_extract', args[0]));
    return m === null ? [] : m.slice(1).map((g) => g ?? '');
  }),
];
