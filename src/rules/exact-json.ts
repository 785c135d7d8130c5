// JSON text <-> values without losing integer digits (DESIGN.md section 2: numbers are exact).
//
// EMQX decodes JSON into Erlang terms, where an integer of any size is exact; JavaScript's
// JSON.parse turns every number into a double, so 1724442618569203714 would become
// 1724442618569203700. An integer beyond 2^53 needs at least 16 digits in a row, so text
// without such a run (almost every payload) goes to JSON.parse unchanged, and only text with
// one outside strings is parsed by `lossless-json`, which hands each number's source text to us. Node 20's
// JSON.parse has no source text access for a reviver, and a reviver would slow every parse.
//
// The value model (src/rules/values.ts): an integer with |n| <= 2^53 - 1 is a JS number, an
// integer beyond that is a BigInt, and a JS number beyond it is a float (it came from a float
// literal such as 1e20 or from float arithmetic). `exactInteger` keeps to that model.

import { randomBytes } from 'node:crypto';
import { parse as losslessParse } from 'lossless-json';
import { checkJsonTextDepth } from '../json/depth';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** An integer as the engine holds it: a number when |n| <= 2^53 - 1, else a BigInt. */
export function exactInteger(n: bigint): number | bigint {
  return n <= 9007199254740991n && n >= -9007199254740991n ? Number(n) : n;
}

/** Integer text (`-123`, no point, no exponent) as an exact integer; undefined for other text. */
export function integerOfText(text: string): number | bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  if (n <= MAX_SAFE && n >= -MAX_SAFE) return n;
  return exactInteger(BigInt(text));
}

/** Characters that may come right before a JSON number: structure, whitespace, a minus sign. */
function mayPrecedeNumber(c: number): boolean {
  return c === 44 /* , */ || c === 58 /* : */ || c === 91 /* [ */ || c === 45 /* - */
    || c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * Whether JSON text may hold an integer of 16 or more digits (the least an integer beyond 2^53
 * needs). It looks at every 16th character until one is a digit, so ordinary payloads cost a
 * few reads; a run right after a quote, a letter or a point (`"89014103211118510720"`, an
 * ICCID sent as text; a float's fraction) is skipped without reading the rest of the text.
 */
export function mayHoldLongInteger(text: string): boolean {
  const n = text.length;
  let i = 15;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      i += 16;
      continue;
    }
    let j = i;
    const stop = i - 15;
    while (j > stop) {
      c = text.charCodeAt(j - 1);
      if (c < 48 || c > 57) break;
      j--;
    }
    if (j !== stop) {
      i = j + 15;
      continue;
    }
    // 16 digits end at i: find where the run starts and ends.
    while (j > 0 && (c = text.charCodeAt(j - 1)) >= 48 && c <= 57) j--;
    if (j === 0 || mayPrecedeNumber(text.charCodeAt(j - 1))) return true;
    let end = i + 1;
    while (end < n && (c = text.charCodeAt(end)) >= 48 && c <= 57) end++;
    i = end + 16;
  }
  return false;
}

/**
 * Whether JSON text holds a number of 16 or more digits outside strings: the second, exact
 * look once `mayHoldLongInteger` found a run, so that long digit strings (an ICCID, a serial
 * number sent as text) keep the fast path.
 */
export function hasLongNumberToken(text: string): boolean {
  let inString = false;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      run = 0;
    } else if (c >= 48 && c <= 57) {
      if (++run >= 16) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

/** A JSON number's text as the engine's number: integers exact (BigInt beyond 2^53), others doubles. */
function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (n <= MAX_SAFE && n >= -MAX_SAFE) return n;
  // A fraction or an exponent makes a float (EMQX: 1e20 and 1.0 are floats), kept as a double.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ || c === 101 /* e */ || c === 69 /* E */) return n;
  }
  return BigInt(text);
}

/** Duplicate keys: the last one wins, as with JSON.parse and EMQX's decoder. */
const LOSSLESS_OPTIONS = {
  parseNumber,
  onDuplicateKey: ({ newValue }: { newValue: unknown }) => newValue,
};

/**
 * JSON text to a value, integers exact (see the top of this file). Throws a SyntaxError for
 * text that is not JSON, like JSON.parse, and a JsonDepthError (a SyntaxError) for text nested
 * deeper than 1,000 levels, found before parsing (DESIGN.md section 6). Objects are plain
 * objects; a `__proto__` key is an own property, as with JSON.parse.
 */
export function parseJson(text: string): unknown {
  checkJsonTextDepth(text);
  if (text.length < 16 || !mayHoldLongInteger(text) || !hasLongNumberToken(text)) return JSON.parse(text);
  let value: unknown;
  try {
    value = losslessParse(text, null, LOSSLESS_OPTIONS as never);
  } catch {
    // Invalid JSON: JSON.parse gives the usual error. Should the two parsers ever disagree on
    // what JSON is, JSON.parse's reading wins rather than rejecting the text.
    return JSON.parse(text);
  }
  return value;
}

// --- text out: BigInt as its digits -----------------------------------------------------

// JSON.stringify cannot write a BigInt (it throws), and Node 20 has no JSON.rawJSON. A BigInt
// is written as a marker string holding its digits, and the markers are replaced by the bare
// digits afterwards. The marker starts with U+0000 (escaped as \u0000 in JSON) and a random
// nonce, so no text a device sends can be taken for one.
const NONCE = randomBytes(8).toString('hex');
const MARKER_PREFIX = `\u0000${NONCE}:`;
const MARKER_IN_JSON = new RegExp(`"\\\\u0000${NONCE}:(-?\\d+)"`, 'g');

/** What a JSON.stringify replacer returns for a BigInt; `restoreBigInts` turns it into digits. */
export function bigIntMarker(n: bigint): string {
  return MARKER_PREFIX + n.toString();
}

/** JSON text written with `bigIntMarker`s, with each marker replaced by its bare digits. */
export function restoreBigInts(json: string): string {
  return json.replace(MARKER_IN_JSON, '$1');
}

let sawBigInt = false;

function markBigInts(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    sawBigInt = true;
    return bigIntMarker(value);
  }
  return value;
}

/**
 * JSON.stringify that writes a BigInt as its digits (`{"serial":1724442618569203714}`)
 * instead of throwing. Everything else is as JSON.stringify does it (toJSON, undefined left out).
 */
export function stringifyJson(value: unknown, space?: number): string | undefined {
  sawBigInt = false;
  const json = JSON.stringify(value, markBigInts, space);
  if (!sawBigInt || json === undefined) return json;
  sawBigInt = false;
  return restoreBigInts(json);
}
