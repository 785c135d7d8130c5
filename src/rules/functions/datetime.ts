// Date and time functions (reference section 5.10), after EMQX's emqx_utils_calendar: time
// units, offsets, the %Y/%m/.../%z format placeholders, and the fixed-width date parser (the
// separators of the input are skipped, not checked). Arithmetic is in BigInt nanoseconds so
// that nanosecond timestamps do not lose digits before the final conversion.

import { RuleFunction } from './types';
import { argError, bigInteger, callError, define, option, text } from './arguments';
import { exactInteger } from '../exact-json';
import { isInteger, textOf } from '../values';
import { words } from '../../words';

const UNITS = ['second', 'millisecond', 'microsecond', 'nanosecond'] as const;
type Unit = (typeof UNITS)[number];
const FACTOR: Record<Unit, bigint> = { second: 1n, millisecond: 1000n, microsecond: 1000000n, nanosecond: 1000000000n };
const FRACTION_DIGITS: Record<Unit, number> = { second: 0, millisecond: 3, microsecond: 6, nanosecond: 9 };

function unitArg(fn: string, v: unknown): Unit {
  return option(fn, v, UNITS);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

function nowNanoseconds(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

function localOffsetSeconds(epochMs: number): number {
  return -new Date(epochMs).getTimezoneOffset() * 60 + 0; // + 0: UTC gives 0, not -0
}

/** EMQX offset_second: Z, z, local, +HH:MM, +HH:MM:SS, +HHMM, or integer seconds. */
export function offsetSeconds(fn: string, v: unknown): number {
  if (v === undefined) return 0;
  if (isInteger(v)) return v;
  const s = textOf(v);
  if (s === undefined) throw argError(fn, 'a time offset', v);
  if (s === 'Z' || s === 'z') return 0;
  if (s === 'local') return localOffsetSeconds(Date.now());
  const m = /^([+-])(?:(\d+):(\d+)(?::(\d+))?|(\d\d)(\d\d))$/.exec(s);
  if (m === null) throw callError(fn, words('rules.call.badOffsetSyntax', 'bad time offset __offset__ (use Z, local, +HH:MM, +HH:MM:SS, +HHMM or seconds)', { offset: JSON.stringify(s) }));
  const [h, min, sec] = [Number(m[2] ?? m[5]), Number(m[3] ?? m[6]), Number(m[4] ?? 0)];
  if (h > 23 || min > 59 || sec > 59) throw callError(fn, words('rules.call.badOffset', 'bad time offset __offset__', { offset: JSON.stringify(s) }));
  return (m[1] === '-' ? -1 : 1) * (h * 3600 + min * 60 + sec);
}

// Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's algorithms); JS Date
// would treat years 0..99 as 1900..1999.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(2000, m, 0)).getUTCDate() - (m === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

function offsetText(offset: number, withColon: boolean, withSeconds: boolean): string {
  const a = Math.abs(offset);
  const parts = [pad(Math.floor(a / 3600), 2), pad(Math.floor((a % 3600) / 60), 2)];
  if (withSeconds) parts.push(pad(a % 60, 2));
  return (offset >= 0 ? '+' : '-') + parts.join(withColon ? ':' : '');
}

type Token = { part: string } | { literal: string };

const PLACEHOLDERS = ['%Y', '%m', '%d', '%H', '%M', '%S', '%N', '%3N', '%6N', '%z', '%:z', '%::z'];

function tokenize(fmt: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < fmt.length;) {
    const p = PLACEHOLDERS.find((ph) => fmt.startsWith(ph, i));
    if (p !== undefined) {
      tokens.push({ part: p });
      i += p.length;
      continue;
    }
    const last = tokens[tokens.length - 1];
    if (last !== undefined && 'literal' in last) last.literal += fmt[i];
    else tokens.push({ literal: fmt[i] });
    i++;
  }
  return tokens;
}

/** Formats `time` (in `unit`) as wall-clock time at `offset` seconds. */
export function formatDate(time: bigint, unit: Unit, offset: number, fmt: string): string {
  const adjusted = time + BigInt(offset) * FACTOR[unit];
  const secs = floorDiv(adjusted, FACTOR[unit]);
  const days = Number(floorDiv(secs, 86400n));
  const daySecs = Number(floorMod(secs, 86400n));
  const [y, m, d] = civilFromDays(days);
  const nanos = floorMod(time, FACTOR[unit]) * (1000000000n / FACTOR[unit]);
  const values: Record<string, string> = {
    '%Y': pad(y, 4), '%m': pad(m, 2), '%d': pad(d, 2),
    '%H': pad(Math.floor(daySecs / 3600), 2), '%M': pad(Math.floor((daySecs % 3600) / 60), 2), '%S': pad(daySecs % 60, 2),
    '%N': pad(nanos, 9), '%6N': pad(nanos / 1000n, 6), '%3N': pad(nanos / 1000000n, 3),
    '%z': offsetText(offset, false, false), '%:z': offsetText(offset, true, false), '%::z': offsetText(offset, true, true),
  };
  return tokenize(fmt).map((t) => ('part' in t ? values[t.part] : t.literal)).join('');
}

const PART_SIZE: Record<string, number> = {
  '%Y': 4, '%m': 2, '%d': 2, '%H': 2, '%M': 2, '%S': 2, '%N': 9, '%6N': 6, '%3N': 3, '%z': 5, '%:z': 6, '%::z': 9,
};
const PART_NAME: Record<string, string> = {
  '%Y': 'year', '%m': 'month', '%d': 'day', '%H': 'hour', '%M': 'minute', '%S': 'second',
  '%N': 'nanosecond', '%6N': 'microsecond', '%3N': 'millisecond',
};

/** EMQX formatted_datetime_to_system_time; also tells whether the text carried an offset. */
function parseDate(fn: string, s: string, fmt: string, unit: Unit): { time: bigint; hadOffset: boolean } {
  const parts: Record<string, number> = {};
  let offset: number | undefined;
  let rest = s;
  for (const token of tokenize(fmt)) {
    if (rest === '') break;
    const size = 'part' in token ? PART_SIZE[token.part] : token.literal.length;
    if (rest.length < size) throw callError(fn, words('rules.call.dateFormatMismatch', 'the date __date__ does not match the format __format__', { date: JSON.stringify(s), format: JSON.stringify(fmt) }));
    const piece = rest.slice(0, size);
    rest = rest.slice(size);
    if (!('part' in token)) continue;
    if (token.part.endsWith('z')) {
      offset = offsetSeconds(fn, piece);
    } else {
      if (!/^[+-]?\d+$/.test(piece)) {
        throw callError(fn, words('rules.call.dateNotNumber', 'bad_formatter_or_date: __piece__ is not a number in __date__', { piece: JSON.stringify(piece), date: JSON.stringify(s) }));
      }
      parts[PART_NAME[token.part]] = Number(piece);
    }
  }
  for (const required of ['year', 'month', 'day', 'hour', 'minute', 'second']) {
    if (parts[required] === undefined) throw callError(fn, words('rules.call.missingDatePart', 'missing_date_part: __part__ (the format needs it)', { part: required }));
  }
  const { year, month, day, hour, minute, second } = parts;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || year < 0 || year > 9999) {
    throw callError(fn, words('rules.call.badDate', 'bad date __date__', { date: JSON.stringify(s) }));
  }
  const secs = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second) - BigInt(offset ?? 0);
  const nanos = BigInt(parts.millisecond ?? 0) * 1000000n + BigInt(parts.microsecond ?? 0) * 1000n + BigInt(parts.nanosecond ?? 0);
  // EMQX converts from the finest unit present to the requested one, rounding down.
  const precision: Unit = parts.nanosecond !== undefined ? 'nanosecond' : parts.microsecond !== undefined ? 'microsecond'
    : parts.millisecond !== undefined ? 'millisecond' : 'second';
  const inPrecision = secs * FACTOR[precision] + nanos / (1000000000n / FACTOR[precision]);
  return { time: floorDiv(inPrecision * FACTOR[unit], FACTOR[precision]), hadOffset: offset !== undefined };
}

function rfc3339(time: bigint, unit: Unit, offset: number | 'Z'): string {
  const base = formatDate(time, unit, offset === 'Z' ? 0 : offset, '%Y-%m-%dT%H:%M:%S');
  const digits = FRACTION_DIGITS[unit];
  const fraction = digits === 0 ? '' : `.${pad(floorMod(time, FACTOR[unit]), digits)}`;
  return base + fraction + (offset === 'Z' ? 'Z' : offsetText(offset, true, false));
}

function localRfc3339(time: bigint, unit: Unit): string {
  const ms = Number(floorDiv(time * 1000n, FACTOR[unit]));
  return rfc3339(time, unit, localOffsetSeconds(ms));
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

function parseRfc3339(s: string, unit: Unit): number | bigint {
  const m = RFC3339.exec(s);
  if (m === null) throw callError('rfc3339_to_unix_ts', words('rules.call.notRfc3339', '__date__ is not an RFC 3339 date-time', { date: JSON.stringify(s) }));
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const fmt = '%Y-%m-%d %H:%M:%S';
  const { time: secs } = parseDate('rfc3339_to_unix_ts', `${y}-${mo}-${d} ${h}:${mi}:${sec}`, fmt, 'second');
  const nanos = BigInt((frac ?? '').padEnd(9, '0').slice(0, 9));
  const offset = BigInt(offsetSeconds('rfc3339_to_unix_ts', zone));
  const totalNs = (secs - offset) * 1000000000n + nanos;
  return exactInteger(floorDiv(totalNs, 1000000000n / FACTOR[unit]));
}

/** A timestamp of any size: nanoseconds since 1970 are beyond 2^53 (a BigInt). */
function timestampArg(fn: string, v: unknown): bigint {
  return bigInteger(fn, v);
}

function mongoDate(ms: bigint): string {
  return `ISODate(${rfc3339(ms, 'millisecond', 'Z')})`;
}

export const dateTimeFunctions: RuleFunction[] = [
  define('now_timestamp', 0, 1, (args) => {
    const unit = args.length === 1 ? unitArg('now_timestamp', args[0]) : 'second';
    return exactInteger(nowNanoseconds() / (1000000000n / FACTOR[unit]));
  }),
  define('now_rfc3339', 0, 1, (args) => {
    const unit = args.length === 1 ? unitArg('now_rfc3339', args[0]) : 'second';
    return localRfc3339(nowNanoseconds() / (1000000000n / FACTOR[unit]), unit);
  }),
  define('unix_ts_to_rfc3339', 1, 2, (args) => {
    const unit = args.length === 2 ? unitArg('unix_ts_to_rfc3339', args[1]) : 'second';
    return localRfc3339(timestampArg('unix_ts_to_rfc3339', args[0]), unit);
  }),
  define('rfc3339_to_unix_ts', 1, 2, (args) => {
    const unit = args.length === 2 ? unitArg('rfc3339_to_unix_ts', args[1]) : 'second';
    return parseRfc3339(text('rfc3339_to_unix_ts', args[0]), unit);
  }),
  define('format_date', 3, 4, (args) => {
    const unit = unitArg('format_date', args[0]);
    const offset = offsetSeconds('format_date', args[1]);
    const time = args.length === 4 ? timestampArg('format_date', args[3]) : nowNanoseconds() / (1000000000n / FACTOR[unit]);
    return formatDate(time, unit, offset, text('format_date', args[2]));
  }),
  define('date_to_unix_ts', 3, 4, (args) => {
    const unit = unitArg('date_to_unix_ts', args[0]);
    const [fmt, s] = args.slice(-2).map((a) => text('date_to_unix_ts', a));
    const { time, hadOffset } = parseDate('date_to_unix_ts', s, fmt, unit);
    if (args.length === 3) return exactInteger(time);
    // Deviation (DESIGN.md section 2): EMQX subtracts the Offset argument even when the text
    // carried its own %z offset; we apply one offset, the text's when it has one.
    const offset = hadOffset ? 0 : offsetSeconds('date_to_unix_ts', args[1]);
    return exactInteger(time - BigInt(offset) * FACTOR[unit]);
  }),
  define('timezone_to_offset_seconds', 1, 1, (args) => offsetSeconds('timezone_to_offset_seconds', args[0])),
  define('timezone_to_second', 1, 1, (args) => offsetSeconds('timezone_to_second', args[0])),
  define('mongo_date', 0, 2, (args) => {
    if (args.length === 0) return mongoDate(nowNanoseconds() / 1000000n);
    if (args.length === 1) return mongoDate(timestampArg('mongo_date', args[0]));
    const unit = unitArg('mongo_date', args[1]);
    return mongoDate(floorDiv(timestampArg('mongo_date', args[0]) * 1000n, FACTOR[unit]));
  }),
];
