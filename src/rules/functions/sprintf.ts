// sprintf/sprintf_s (reference section 5.4): Erlang io_lib:format directives, `~F.P.PadModC`.
// Supported controls: ~s ~p ~w ~P ~W ~b ~B ~x ~X ~# ~+ ~f ~e ~g ~c ~i ~n ~~, with field width,
// precision, pad character, `*` taken from the arguments, and the t/l/k modifiers (accepted;
// ~s and ~ts both print text). Too few or too many arguments raise, as in Erlang.

import { RuleFunction } from './types';
import { argError, callError, define, list, text } from './arguments';
import { textOf, toText } from '../values';
import { words } from '../../words';

function isPrintableLatin1(b: number): boolean {
  return (b >= 32 && b <= 126) || (b >= 160 && b <= 255) || (b >= 8 && b <= 13) || b === 27;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\b': '\\b', '\f': '\\f', '\u001b': '\\e',
};

function quoted(chars: string): string {
  return `"${chars.replace(/["\\\n\r\t\v\b\f\u001b]/g, (c) => ESCAPES[c])}"`;
}

/** An Erlang binary as ~p/~w print it: `<<"abc">>`, `<<"你好"/utf8>>` (~tp), or `<<1,2>>`. */
function binaryTerm(bytes: Buffer, unicode: boolean): string {
  const t = textOf(bytes);
  if (unicode && t !== undefined && /[^\x00-\x7f]/.test(t) && /^[^\p{C}]*$/u.test(t.replace(/[\n\r\t\v\b\f\u001b]/g, ''))) {
    return `<<${quoted(t)}/utf8>>`;
  }
  if (bytes.every(isPrintableLatin1)) return `<<${quoted(bytes.toString('latin1'))}>>`;
  return `<<${[...bytes].join(',')}>>`;
}

function floatTerm(f: number): string {
  const s = String(f);
  if (/e/.test(s)) return s.replace('e+', 'e').replace(/^(-?\d+)e/, '$1.0e');
  return s;
}

/** An Erlang term as ~p (pretty) or ~w writes it. */
function term(v: unknown, unicode: boolean, pretty: boolean): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? toText(v) : floatTerm(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return binaryTerm(Buffer.from(v, 'utf8'), unicode);
  if (Buffer.isBuffer(v)) return binaryTerm(v, unicode);
  if (Array.isArray(v)) return `[${v.map((x) => term(x, unicode, pretty)).join(',')}]`;
  const arrow = pretty ? ' => ' : '=>';
  const entries = Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${term(k, unicode, pretty)}${arrow}${term(x, unicode, pretty)}`);
  return `#{${entries.join(',')}}`;
}

function stringArg(v: unknown): string {
  const t = textOf(v);
  if (t !== undefined) return t;
  if (typeof v === 'boolean' || v === undefined || v === null) return toText(v);
  // A list of character codes is an Erlang string.
  if (Array.isArray(v) && v.every((c) => Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 0x10ffff)) {
    return String.fromCodePoint(...(v as number[]));
  }
  throw argError('sprintf', words('rules.expected.stringForFormat', 'a string for ~s'), v);
}

function intArg(control: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) throw argError('sprintf', words('rules.expected.integerForFormat', 'an integer for ~__control__', { control }), v);
  return v as number;
}

/** An integer to print (~b ~x ~# ~+): any size, a BigInt beyond 2^53. */
function printedInt(control: string, v: unknown): number | bigint {
  if (typeof v === 'bigint') return v;
  return intArg(control, v);
}

function floatArg(control: string, v: unknown): number {
  if (typeof v !== 'number') throw argError('sprintf', words('rules.expected.floatForFormat', 'a float for ~__control__', { control }), v);
  return v;
}

/** Erlang ~e: `P` significant digits, exponent without padding (`1.50000e+0`). */
function exponential(f: number, p: number): string {
  return f.toExponential(Math.max(p - 1, 0)).replace(/e([+-])(\d+)$/, 'e$1$2');
}

function justify(s: string, width: number | undefined, left: boolean, pad: string, truncate: boolean): string {
  if (width === undefined) return s;
  const chars = Array.from(s);
  if (chars.length >= width) return truncate ? chars.slice(0, width).join('') : s;
  const fill = pad.repeat(width - chars.length);
  return left ? s + fill : fill + s;
}

const DIRECTIVE = /~(-?\d+|\*)?(?:\.(\d+|\*)?)?(?:\.(.|\*))?([tlk]*)([a-zA-Z~#+])/y;

export function formatErlang(fmt: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  const take = (): unknown => {
    if (next >= args.length) throw callError('sprintf', words('rules.call.tooFewFormatArguments', 'too few arguments for the format __format__', { format: JSON.stringify(fmt) }));
    return args[next++];
  };
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '~') {
      out += fmt[i];
      continue;
    }
    DIRECTIVE.lastIndex = i;
    const m = DIRECTIVE.exec(fmt);
    if (m === null) throw callError('sprintf', words('rules.call.badFormatDirective', 'invalid format directive at __at__', { at: JSON.stringify(fmt.slice(i, i + 4)) }));
    i = DIRECTIVE.lastIndex - 1;
    const [, widthText, precText, padText, mods, control] = m;
    let width = widthText === '*' ? intArg('*', take()) : widthText !== undefined ? Number(widthText) : undefined;
    const left = width !== undefined && width < 0;
    if (width !== undefined) width = Math.abs(width);
    const precision = precText === '*' ? intArg('*', take()) : precText !== undefined ? Number(precText) : undefined;
    const pad = padText === '*' ? String.fromCodePoint(intArg('*', take())) : padText ?? ' ';
    const unicode = mods.includes('t');
    let s: string;
    switch (control) {
      case '~': s = '~'; break;
      case 'n': s = '\n'; break;
      case 'i': take(); s = ''; break;
      case 's': {
        s = stringArg(take());
        if (precision !== undefined) s = Array.from(s).slice(0, precision).join('');
        out += justify(s, width, left, pad, true);
        continue;
      }
      case 'p': case 'w': s = term(take(), unicode, control === 'p'); break;
      case 'P': case 'W': s = term(take(), unicode, control === 'P'); take(); break;
      case 'c': {
        const c = String.fromCodePoint(intArg('c', take()));
        out += c.repeat(width ?? 1);
        continue;
      }
      case 'f': s = floatArg('f', take()).toFixed(precision ?? 6); break;
      case 'e': s = exponential(floatArg('e', take()), precision ?? 6); break;
      case 'g': {
        const f = floatArg('g', take());
        const p = precision ?? 6;
        const a = Math.abs(f);
        s = a >= 0.1 && a < 10 ** p ? f.toFixed(Math.max(p - 1 - Math.floor(Math.log10(a || 1)), 0)) : exponential(f, p);
        break;
      }
      case 'b': case 'B': case 'x': case 'X': case '#': case '+': {
        const n = printedInt(control, take());
        const base = precision ?? 10;
        if (base < 2 || base > 36) throw callError('sprintf', words('rules.call.baseOutOfRange', 'base __base__ is out of range 2..36', { base }));
        let digits = (n < 0 ? -n : n).toString(base);
        digits = control === 'b' || control === 'x' ? digits.toLowerCase() : digits.toUpperCase();
        let prefix = '';
        if (control === 'x' || control === 'X') prefix = stringArg(take());
        if (control === '#' || control === '+') prefix = `${base}#`;
        s = (n < 0 ? '-' : '') + prefix + digits;
        break;
      }
      default:
        throw callError('sprintf', words('rules.call.unknownFormatControl', 'unknown format control ~__control__', { control }));
    }
    out += justify(s, width, left, pad, false);
  }
  if (next < args.length) throw callError('sprintf', words('rules.call.tooManyFormatArguments', 'too many arguments for the format __format__', { format: JSON.stringify(fmt) }));
  return out;
}

export const formatFunctions: RuleFunction[] = [
  define('sprintf', 1, Infinity, (args) => formatErlang(text('sprintf', args[0]), args.slice(1))),
  define('sprintf_s', 2, 2, (args) => formatErlang(text('sprintf_s', args[0]), list('sprintf_s', args[1]))),
];
