// Comparison operators of rule SQL (reference section 3.8): EMQX's `compare/3` on top of Erlang
// term order. Used by the evaluator for `= != <> < > <= >= =~` and by the `eq()` function.

import { RuleEvaluationError } from './errors';
import { NO_VALUE } from './no-value';
import { matchTopic } from './topic';
import { integerOfText } from './exact-json';
import { isBinary, textOf, typeName } from './values';
import { words } from '../words';

export type ComparisonOp = '=' | '!=' | '<>' | '<' | '>' | '<=' | '>=' | '=~' | '~=';

export const COMPARISON_OPS: ReadonlySet<string> = new Set(['=', '!=', '<>', '<', '>', '<=', '>=', '=~', '~=']);

const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$/;

/** EMQX `number/1`: integer syntax first (exact), then Erlang float syntax; anything else raises. */
function numberOfText(op: string, v: string | Buffer): number | bigint {
  const t = typeof v === 'string' ? v : v.toString('utf8');
  if (INTEGER_TEXT.test(t)) return integerOfText(t) as number | bigint;
  if (FLOAT_TEXT.test(t)) return Number(t);
  const shown = t.length > 40 ? `${t.slice(0, 40)}...` : t;
  throw new RuleEvaluationError(
    words('rules.operator.notNumberText', 'operator __op__: cannot compare the string __text__ with a number (it is not a number)', { op, text: JSON.stringify(shown) }),
    'badarg',
  );
}

// Erlang term order ranks: number < atom < map < list < binary. JSON null, booleans and
// undefined are atoms.
function rank(v: unknown): number {
  switch (typeof v) {
    case 'number': case 'bigint': return 0;
    case 'boolean': case 'undefined': return 1;
    case 'string': return 4;
    default:
      if (v === null) return 1;
      if (Array.isArray(v)) return 3;
      if (v instanceof Uint8Array) return 4;
      return 2;
  }
}

function atomName(v: unknown): string {
  return v === null ? 'null' : String(v);
}

/** Byte-wise (UTF-8) order of two strings, which is code point order. */
function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates sit below U+E000 in UTF-16 but encode above U+FFFF in UTF-8.
      if (x >= 0xd800 && y >= 0xd800) return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
      return x - y;
    }
  }
  return a.length - b.length;
}

function compareBinaries(a: string | Uint8Array, b: string | Uint8Array): number {
  if (typeof a === 'string' && typeof b === 'string') return compareText(a, b);
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y);
}

/** Erlang's term order with numeric `==` inside (`1 == 1.0`, `{"a":1} == {"a":1.0}`). */
export function termCompare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    // JS compares a BigInt with a number exactly (2n ** 60n > 2 ** 60 - 1 is decided by value).
    case 0: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1: return compareText(atomName(a), atomName(b));
    case 4: return compareBinaries(a as string | Uint8Array, b as string | Uint8Array);
    case 3: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = termCompare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      // Maps: by size, then by the sorted keys, then by the values in key order.
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort(compareText);
      const ky = Object.keys(y).sort(compareText);
      if (kx.length !== ky.length) return kx.length - ky.length;
      for (let i = 0; i < kx.length; i++) {
        const c = compareText(kx[i], ky[i]);
        if (c !== 0) return c;
      }
      for (const k of kx) {
        const c = termCompare(x[k], y[k]);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

/**
 * The two operands as EMQX compares them: a number against a string parses the string
 * (raising when it is not numeric); an atom (boolean, JSON null) against a string compares
 * by the atom's name. Returns a three-way result.
 */
function coercedCompare(op: string, a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && isBinary(b)) return termCompare(a, numberOfText(op, b));
  if (isBinary(a) && (typeof b === 'number' || typeof b === 'bigint')) return termCompare(numberOfText(op, a), b);
  if ((typeof a === 'boolean' || a === null) && isBinary(b)) return compareBinaries(atomName(a), b);
  if (isBinary(a) && (typeof b === 'boolean' || b === null)) return compareBinaries(a, atomName(b));
  return termCompare(a, b);
}

/** EMQX `=`: numeric-tolerant equality; undefined only equals undefined. */
export function looseEquals(a: unknown, b: unknown): boolean {
  // eKuiper: a comparison with nil ("no value", no-value.ts) is false, even nil = nil.
  if (a === NO_VALUE || b === NO_VALUE) return false;
  if (a === b) return true;
  // EMQX: exactly one undefined side makes every comparison false.
  if (a === undefined || b === undefined) return false;
  return coercedCompare('=', a, b) === 0;
}

/** One comparison operator applied as EMQX's `compare/3` does. */
export function compareOp(op: ComparisonOp, a: unknown, b: unknown): boolean {
  if (op === '~=') {
    throw new RuleEvaluationError(words('rules.operator.tildeEquals', 'operator ~= is not supported (did you mean =~, the topic match?)'), 'badarg');
  }
  // eKuiper: every comparison with nil ("no value", no-value.ts) is false, != too.
  if (a === NO_VALUE || b === NO_VALUE) return false;
  if (a === undefined || b === undefined) {
    // Both undefined: the operator is applied to two equal atoms.
    if (a !== b) return false;
    return op === '=' || op === '<=' || op === '>=';
  }
  switch (op) {
    case '=': return looseEquals(a, b);
    case '!=': case '<>': return !looseEquals(a, b);
    case '<': return coercedCompare(op, a, b) < 0;
    case '>': return coercedCompare(op, a, b) > 0;
    case '<=': return coercedCompare(op, a, b) <= 0;
    case '>=': return coercedCompare(op, a, b) >= 0;
    case '=~': {
      const topic = textOf(a);
      const filter = textOf(b);
      if (topic === undefined || filter === undefined) {
        throw new RuleEvaluationError(
          words('rules.operator.topicMatch', 'operator =~: expected a topic and a topic filter (strings), got __left__ and __right__', { left: typeName(a), right: typeName(b) }),
          'badarg',
        );
      }
      return matchTopic(filter, topic);
    }
  }
}
