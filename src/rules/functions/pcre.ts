// PCRE pattern text → RE2 syntax (reference section 5.4; DESIGN.md section 6: input from remote
// senders cannot stall Node-RED). EMQX hands patterns to PCRE, a backtracking engine with a
// match limit; here they run on RE2 (re2js), which matches in time linear in the subject and
// has no such features. What RE2 reads the same way passes through; PCRE-only spellings are
// translated: `\Z` and PCRE's `$` (also before a final newline), `\h` `\H` `\v` `\V` `\R` `\N`,
// `\e` `\cX` `\o{...}` short `\xh`, `\Q...\E` in classes, `(?'name'...)` and `(?<name>...)`,
// `(?#...)` comments, leading `(*UTF8)`/`(*UCP)`. A construct only a backtracking engine can run
// (backreferences, lookaround, atomic groups, possessive quantifiers, recursion and subroutine
// calls, conditionals, backtracking verbs, `\K`) is refused, naming it and where it stands.

import { words } from '../../words';

/** A pattern this engine refuses; `reason` names the construct and its place in the pattern. */
export class PatternRefusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PatternRefusal';
  }
}

/** A PCRE pattern as RE2 source, with how its groups map back. */
export interface TranslatedPattern {
  source: string;
  /** Leading options `(?i)` `(?s)` `(?m)` `(?U)`, applied as RE2 flags. */
  flags: { i: boolean; s: boolean; m: boolean; U: boolean };
  /** RE2 group number of each of the pattern's own groups (index 0 = group 1). */
  groups: number[];
  /** RE2 groups that mark "`$` matched before the final newline" (the newline is not part of the match). */
  endMarkers: number[];
}

function refuse(pattern: string, what: string, at: number): never {
  throw new PatternRefusal(words(
    'rules.regex.needsBacktracking',
    '__construct__ at character __at__ of __pattern__ is not supported: regular expressions run in linear time (RE2), without backtracking; rewrite the pattern without it',
    { construct: what, at: at + 1, pattern: JSON.stringify(pattern) },
  ));
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|\/-]/g, (c) => `\\${c}`);
}

const hex = (cp: number): string => `\\x{${cp.toString(16)}}`;

// PCRE's \v (vertical space) and \h (horizontal space, the ASCII part as PCRE without UCP).
const VERTICAL = '\\n\\x{b}\\f\\r\\x{85}\\x{2028}\\x{2029}';
const HORIZONTAL = ' \\t';

/** Translates the PCRE pattern; throws PatternRefusal for constructs RE2 cannot run. */
export function translatePcre(pattern: string): TranslatedPattern {
  const flags = { i: false, s: false, m: false, U: false };
  let i = 0;
  for (const verb of ['(*UTF8)', '(*UTF)', '(*UCP)']) if (pattern.startsWith(verb, i)) i += verb.length;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(i));
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 's' || f === 'm' || f === 'U') flags[f] = true;
      else throw new PatternRefusal(words('rules.regex.inlineOption', 'inline option (?__option__) at character __at__ of __pattern__ is not supported', { option: f, at: i + 3, pattern: JSON.stringify(pattern) }));
    }
    i += inline[0].length;
  }
  const t = new Translator(pattern, flags.m);
  t.run(i);
  return { source: t.out, flags, groups: t.groups, endMarkers: t.endMarkers };
}

class Translator {
  out = '';
  groups: number[] = [];
  endMarkers: number[] = [];
  private re2Groups = 0;
  /** The last thing written can take a quantifier's `+` as possessive. */
  private afterQuantifier = false;

  constructor(private readonly p: string, private readonly multiline: boolean) {}

  run(from: number): void {
    const p = this.p;
    for (let i = from; i < p.length; i++) {
      const c = p[i];
      const wasQuantifier = this.afterQuantifier;
      this.afterQuantifier = false;
      if (c === '\\') i = this.escape(i);
      else if (c === '[') i = this.charClass(i);
      else if (c === '(') i = this.group(i);
      else if (c === '$') this.endOfSubject();
      else if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i)))) {
        if (wasQuantifier) throw new PatternRefusal(words('rules.regex.nothingToRepeat', 'nothing to repeat for __quantifier__ at character __at__ of __pattern__', { quantifier: c, at: i + 1, pattern: JSON.stringify(p) }));
        const start = i;
        const end = c === '{' ? p.indexOf('}', i) : i;
        this.out += p.slice(i, end + 1);
        i = end;
        if (p[i + 1] === '+') refuse(p, `possessive quantifier ${p.slice(start, i + 2)}`, start);
        if (p[i + 1] === '?') {
          this.out += '?';
          i++;
        } else this.afterQuantifier = true;
      } else this.out += c;
    }
  }

  /** PCRE's `$` without (?m) and `\Z`: at the end, or before a newline that ends the subject. */
  private endOfSubject(): void {
    if (this.multiline) {
      this.out += '$';
      return;
    }
    this.re2Groups++;
    this.endMarkers.push(this.re2Groups);
    this.out += '(?:\\z|(\\n)\\z)';
  }

  private capture(): void {
    this.re2Groups++;
    this.groups.push(this.re2Groups);
  }

  /** `(`: a capture, a named capture, or one of the `(?` forms; returns the last index read. */
  private group(i: number): number {
    const p = this.p;
    const rest = p.slice(i + 1, i + 12);
    if (rest.startsWith('*')) refuse(p, `backtracking verb ${/^\(\*[A-Za-z_:]*\)?/.exec(p.slice(i))![0]}`, i);
    if (!rest.startsWith('?')) {
      this.capture();
      this.out += '(';
      return i;
    }
    const named = /^\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest.length < 11 ? p.slice(i + 1) : p.slice(i + 1, i + 40));
    if (named) {
      this.capture();
      this.out += `(?P<${named[1] ?? named[2]}>`;
      return i + named[0].length;
    }
    const refusals: [RegExp, string][] = [
      [/^\?[=!]/, 'lookahead'], [/^\?<[=!]/, 'lookbehind'], [/^\?>/, 'atomic group'],
      [/^\?P=/, 'backreference'], [/^\?(?:P>|&|R\)|[+-]?\d)/, 'recursion (subroutine call)'],
      [/^\?\(/, 'conditional group'], [/^\?\|/, 'branch reset group'], [/^\?C/, 'callout'],
    ];
    for (const [form, what] of refusals) {
      if (form.test(rest)) refuse(p, `${what} ${/^\(\?[^)]{0,12}\)?/.exec(p.slice(i))![0]}`, i);
    }
    if (rest.startsWith('?#')) {
      const end = p.indexOf(')', i);
      return end < 0 ? p.length : end;
    }
    // Options RE2 reads as PCRE does, for the rest of the group or with `:` for a group's body.
    const opts = /^\?([isU]*(?:-[isU]+)?)(:|\))/.exec(rest);
    if (opts) {
      this.out += `(?${opts[1]}${opts[2]}`;
      return i + opts[0].length;
    }
    throw new PatternRefusal(words('rules.regex.groupSyntax', 'the group syntax __syntax__ at character __at__ of __pattern__ is not supported', { syntax: /^\(\?.?.?/.exec(p.slice(i))![0], at: i + 1, pattern: JSON.stringify(p) }));
  }

  /** A `\` outside a class; returns the last index read. */
  private escape(i: number): number {
    const p = this.p;
    const e = p[i + 1];
    if (e === undefined) throw new PatternRefusal(words('rules.regex.trailingBackslash', 'the pattern ends with a backslash'));
    if (e >= '1' && e <= '9') refuse(p, `backreference \\${/^\d+/.exec(p.slice(i + 1))![0]}`, i);
    if (e === 'g' || e === 'k') {
      const ref = /^\\[gk](?:\{[^}]*\}|<[^>]*>|'[^']*'|-?\d+)?/.exec(p.slice(i))![0];
      refuse(p, e === 'g' && /^\\g[<']/.test(ref) ? `subroutine call ${ref}` : `backreference ${ref}`, i);
    }
    if (e === 'K') refuse(p, 'match start reset \\K', i);
    if (e === 'G') refuse(p, 'anchor \\G', i);
    if (e === 'C' || e === 'X') refuse(p, `\\${e}`, i);
    if (e === 'Z') {
      this.endOfSubject();
      return i + 1;
    }
    if (e === 'R') {
      this.out += `(?:\\r\\n|[${VERTICAL}])`;
      return i + 1;
    }
    if ((e === 'x' || e === 'p' || e === 'P' || e === 'N') && p[i + 2] === '{') {
      // `\x{41}`, `\p{Greek}`: the braces are not a quantifier.
      const end = p.indexOf('}', i);
      this.out += end < 0 ? p.slice(i) : p.slice(i, end + 1);
      return end < 0 ? p.length : end;
    }
    if (e === 'N') {
      this.out += '[^\\n]';
      return i + 1;
    }
    const shared = this.sharedEscape(i);
    if (shared !== undefined) {
      this.out += shared[0];
      return shared[1];
    }
    const cls: Record<string, string> = { h: `[${HORIZONTAL}]`, H: `[^${HORIZONTAL}]`, v: `[${VERTICAL}]`, V: `[^${VERTICAL}]` };
    this.out += cls[e] ?? `\\${e}`;
    return i + 1;
  }

  /**
   * Escapes spelled differently in RE2, inside or outside a class: `\Q...\E`, `\e`, `\cX`,
   * `\o{...}`, `\x` with fewer than two digits, octal. [RE2 text, last index read] or undefined.
   */
  private sharedEscape(i: number): [string, number] | undefined {
    const p = this.p;
    const e = p[i + 1];
    if (e === 'Q') {
      const end = p.indexOf('\\E', i + 2);
      return [escapeLiteral(end < 0 ? p.slice(i + 2) : p.slice(i + 2, end)), end < 0 ? p.length : end + 1];
    }
    if (e === 'E') return ['', i + 1];
    if (e === 'e') return ['\\x{1b}', i + 1];
    if (e === 'c' && i + 2 < p.length) return [hex(p[i + 2].toUpperCase().charCodeAt(0) ^ 0x40), i + 2];
    if (e === 'o' && p[i + 2] === '{') {
      const end = p.indexOf('}', i);
      return [hex(parseInt(p.slice(i + 3, end), 8) || 0), end];
    }
    if (e === 'x' && p[i + 2] !== '{') {
      const digits = /^[0-9a-fA-F]{0,2}/.exec(p.slice(i + 2))![0];
      return [hex(parseInt(digits || '0', 16)), i + 1 + digits.length];
    }
    if (e === '0') {
      const digits = /^[0-7]{0,2}/.exec(p.slice(i + 2))![0];
      return [hex(parseInt(digits || '0', 8)), i + 1 + digits.length];
    }
    return undefined;
  }

  /** `[...]`: PCRE takes `]` first as a literal and `[` inside as a literal; returns the last index read. */
  private charClass(i: number): number {
    const p = this.p;
    this.out += '[';
    let j = i + 1;
    if (p[j] === '^') this.out += p[j++];
    if (p[j] === ']') {
      this.out += '\\]';
      j++;
    }
    for (; j < p.length; j++) {
      const c = p[j];
      if (c === ']') {
        this.out += ']';
        return j;
      }
      if (c === '[') {
        const posix = /^\[:\^?[a-z]+:\]/.exec(p.slice(j));
        if (posix) {
          this.out += posix[0];
          j += posix[0].length - 1;
        } else this.out += '\\[';
        continue;
      }
      if (c !== '\\') {
        this.out += c;
        continue;
      }
      const e = p[j + 1];
      if (e === undefined) throw new PatternRefusal(words('rules.regex.trailingBackslash', 'the pattern ends with a backslash'));
      const shared = this.sharedEscape(j);
      if (shared !== undefined) {
        this.out += shared[0];
        j = shared[1];
      } else if (e >= '1' && e <= '7') {
        // In a class \1 is octal, not a backreference.
        const digits = /^[0-7]{1,3}/.exec(p.slice(j + 1))![0];
        this.out += hex(parseInt(digits, 8));
        j += digits.length;
      } else {
        const inClass: Record<string, string> = { b: '\\x{8}', h: HORIZONTAL, v: VERTICAL };
        this.out += inClass[e] ?? `\\${e}`;
        j++;
      }
    }
    // No closing bracket: RE2 reports it.
    return j;
  }
}
