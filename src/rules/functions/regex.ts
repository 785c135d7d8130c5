// Regular-expression functions (reference section 5.4). EMQX hands patterns to PCRE; here they
// run on RE2 (re2js, pure JavaScript), which matches in time linear in the subject, so that a
// payload cannot stall Node-RED (DESIGN.md section 6). Each pattern is translated from PCRE
// syntax once (pcre.ts) and cached; a pattern that needs backtracking (backreferences,
// lookaround, atomic groups, possessive quantifiers, recursion, conditionals) is refused:
// at deploy when it is a literal in the statement (pattern-literals.ts), else per message.

import { RE2JS } from 're2js';
import { RuleFunction } from './types';
import { callError, define, text } from './arguments';
import { PatternRefusal, translatePcre } from './pcre';
import { words } from '../../words';

/** A compiled pattern, with the translation's group numbers. */
interface Pattern {
  re: RE2JS;
  groups: number[];
  endMarkers: number[];
}

/** One match: its span and the pattern's own groups (undefined = did not take part). */
interface Match {
  start: number;
  end: number;
  /** Where to search next (a `$` before the final newline moved `end` back one). */
  next: number;
  groups: (string | undefined)[];
}

const cache = new Map<string, Pattern | string>();
const MAX_CACHED = 500;

/**
 * Compiles a PCRE pattern for RE2, or gives the reason it cannot be run (EMQX: the pattern is
 * PCRE; here only what runs in linear time is accepted). Cached either way.
 */
export function compilePattern(pattern: string): Pattern | string {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    try {
      const t = translatePcre(pattern);
      const flags = (t.flags.i ? RE2JS.CASE_INSENSITIVE : 0) | (t.flags.s ? RE2JS.DOTALL : 0) | (t.flags.m ? RE2JS.MULTILINE : 0);
      const source = t.flags.U ? `(?U)${t.source}` : t.source;
      compiled = { re: RE2JS.compile(source, flags), groups: t.groups, endMarkers: t.endMarkers };
    } catch (err) {
      compiled = err instanceof PatternRefusal
        ? err.reason
        : words('rules.regex.invalid', 'invalid regular expression __pattern__: __reason__', { pattern: JSON.stringify(pattern), reason: (err as Error).message.replace(/^error parsing regexp: /, '') });
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

/**
 * Why a pattern cannot be run, or undefined when it can: for the deploy-time check of literal
 * patterns (EMQX: regex_match/regex_replace/regex_extract take PCRE; DESIGN.md section 6).
 */
export function patternProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
  return typeof compiled === 'string' ? compiled : undefined;
}

function compile(fn: string, pattern: string): Pattern {
  const compiled = compilePattern(pattern);
  if (typeof compiled === 'string') throw callError(fn, compiled);
  return compiled;
}

function find(p: Pattern, s: string, from: number, matcher = p.re.matcher(s)): Match | undefined {
  if (from > s.length || !matcher.find(from)) return undefined;
  let start = matcher.start();
  let end = matcher.end();
  const next = end;
  // PCRE's `$` matched before the final newline: that newline is not part of any group.
  const cut = p.endMarkers.some((g) => matcher.start(g) >= 0);
  const last = s.length - 1;
  if (cut) [start, end] = [Math.min(start, last), last];
  const groups = p.groups.map((g) => {
    let a = matcher.start(g);
    if (a < 0) return undefined;
    let b = matcher.end(g);
    if (cut && b === s.length) [a, b] = [Math.min(a, last), last];
    return s.slice(a, b);
  });
  return { start, end, next, groups };
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

/** Every match, left to right; after an empty match the search moves on one character (as JavaScript and PCRE's global replace). */
function replaceAll(p: Pattern, s: string, rep: string): string {
  const matcher = p.re.matcher(s);
  let out = '';
  let copied = 0;
  let from = 0;
  for (let m = find(p, s, 0, matcher); m !== undefined; m = find(p, s, from, matcher)) {
    out += s.slice(copied, m.start) + expandReplacement(rep, s.slice(m.start, m.end), m.groups);
    copied = m.end;
    from = m.next;
    if (m.next === m.start) {
      const c = s.charCodeAt(from);
      from += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
  }
  return out + s.slice(copied);
}

export const regexFunctions: RuleFunction[] = [
  define('regex_match', 2, 2, (args) =>
    compile('regex_match', text('regex_match', args[1])).re.test(text('regex_match', args[0]))),
  define('regex_replace', 3, 3, (args) => {
    const s = text('regex_replace', args[0]);
    const p = compile('regex_replace', text('regex_replace', args[1]));
    return replaceAll(p, s, text('regex_replace', args[2]));
  }),
  define('regex_extract', 2, 2, (args) => {
    const s = text('regex_extract', args[0]);
    const m = find(compile('regex_extract', text('regex_extract', args[1])), s, 0);
    return m === undefined ? [] : m.groups.map((g) => g ?? '');
  }),
];
