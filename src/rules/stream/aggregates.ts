// Aggregate functions of windowed statements (DESIGN.md section 7, after eKuiper's
// docs/en_US/sqls/functions/aggregate_functions.md). Every accumulator is a plain JSON value
// so that a stream's snapshot is JSON: count, sum, avg, min, max, first_value, last_value,
// stddev(s) and var(s) (Welford) keep a few numbers per group, whatever the number of events;
// collect, deduplicate, median and percentile keep the values they need.

import { RuleEvaluationError } from '../errors';
import { numericOp } from '../numbers';
import { typeName } from '../values';
import { words } from '../../words';

/** One aggregate: `add` folds one event's argument values into the accumulator. */
export interface AggregateFunction {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Arguments after the first that must be constants (percentile's p, last_value's ignoreNull). */
  readonly constArgs?: boolean;
  /** Whether the first argument may be `*` (the whole event). */
  readonly star?: boolean;
  /** Whether memory stays constant per group (eKuiper: "supports incremental calculations"). */
  readonly incremental: boolean;
  init(): unknown;
  add(acc: unknown, value: unknown, extra: readonly unknown[]): unknown;
  result(acc: unknown, extra: readonly unknown[]): unknown;
}

const isNull = (v: unknown): boolean => v === null || v === undefined;

function numberOf(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new RuleEvaluationError(words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn, expected: words('rules.expected.number', 'a number'), got: typeName(v) }), 'bad_sql_function_argument');
}

/** min/max order: numbers with numbers, text with text (eKuiper compares like types only). */
function ordered(fn: string, a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new RuleEvaluationError(words('rules.stream.cannotCompare', '__fn__(): cannot compare __left__ with __right__', { fn, left: typeName(a), right: typeName(b) }), 'bad_sql_function_argument');
}

/** Welford's running mean and sum of squared deviations: [n, mean, m2]. */
function welford(fn: string) {
  return {
    init: (): unknown => [0, 0, 0],
    add: (acc: unknown, v: unknown): unknown => {
      if (isNull(v)) return acc;
      const x = numberOf(fn, v);
      const a = acc as [number, number, number];
      const n = a[0] + 1;
      const delta = x - a[1];
      const mean = a[1] + delta / n;
      a[0] = n;
      a[1] = mean;
      a[2] += delta * (x - mean);
      return a;
    },
  };
}

function variance(acc: unknown, sample: boolean): number | null {
  const [n, , m2] = acc as [number, number, number];
  const d = sample ? n - 1 : n;
  return d > 0 ? m2 / d : null;
}

function checkFraction(fn: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RuleEvaluationError(words('rules.stream.percentile', '__fn__(): the percentile must be a number from 0.0 to 1.0, got __got__', { fn, got: String(p) }), 'bad_sql_function_argument');
  }
  return p;
}

function sortedNumbers(fn: string, values: unknown[]): number[] {
  return values.map((v) => numberOf(fn, v)).sort((a, b) => a - b);
}

/** eKuiper's percentile: continuous, interpolating between the two nearest ranks. */
function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const rank = p * (values.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return values[lo] + (values[hi] - values[lo]) * (rank - lo);
}

function dedupKey(v: unknown): string {
  if (typeof v === 'bigint') return `n:${v}`;
  if (typeof v === 'number') return `n:${v}`;
  if (typeof v === 'string') return `s:${v}`;
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('base64')}`;
  return `j:${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`;
}

const firstLast = (name: 'first_value' | 'last_value'): AggregateFunction => ({
  name, minArgs: 1, maxArgs: 2, constArgs: true, star: true, incremental: true,
  // [seen, value]; the second argument, ignoreNull (default false), skips null values.
  init: () => [false, null],
  add: (acc, v, extra) => {
    const a = acc as [boolean, unknown];
    if (extra[0] === true && isNull(v)) return a;
    if (name === 'last_value' || !a[0]) {
      a[0] = true;
      a[1] = v;
    }
    return a;
  },
  result: (acc) => (acc as [boolean, unknown])[1],
});

const AGGREGATES: AggregateFunction[] = [
  {
    // count(*) counts every event; count(x) the events where x is not null (eKuiper).
    name: 'count', minArgs: 1, maxArgs: 1, star: true, incremental: true,
    init: () => 0,
    add: (acc, v) => (isNull(v) ? acc : (acc as number) + 1),
    result: (acc) => acc,
  },
  {
    name: 'sum', minArgs: 1, maxArgs: 1, incremental: true,
    init: () => null,
    // Exact as the engine's + is: integers past 2^53 become a BigInt, not a rounded double.
    add: (acc, v) => {
      if (isNull(v)) return acc;
      if (typeof v !== 'number' && typeof v !== 'bigint') numberOf('sum', v);
      return numericOp('+', (acc as number | bigint | null) ?? 0, v as number | bigint);
    },
    result: (acc) => acc,
  },
  {
    name: 'avg', minArgs: 1, maxArgs: 1, incremental: true,
    init: () => [0, 0],
    add: (acc, v) => {
      if (isNull(v)) return acc;
      const a = acc as [number, number];
      a[0] += numberOf('avg', v);
      a[1]++;
      return a;
    },
    result: (acc) => {
      const [sum, n] = acc as [number, number];
      return n === 0 ? null : sum / n;
    },
  },
  {
    name: 'min', minArgs: 1, maxArgs: 1, incremental: true,
    init: () => null,
    add: (acc, v) => (isNull(v) ? acc : acc === null || ordered('min', v, acc) < 0 ? v : acc),
    result: (acc) => acc,
  },
  {
    name: 'max', minArgs: 1, maxArgs: 1, incremental: true,
    init: () => null,
    add: (acc, v) => (isNull(v) ? acc : acc === null || ordered('max', v, acc) > 0 ? v : acc),
    result: (acc) => acc,
  },
  firstLast('first_value'),
  firstLast('last_value'),
  {
    // collect(x): every value in arrival order, nulls included; collect(*): every event.
    name: 'collect', minArgs: 1, maxArgs: 1, star: true, incremental: false,
    init: () => [],
    add: (acc, v) => {
      (acc as unknown[]).push(v === undefined ? null : v);
      return acc;
    },
    result: (acc) => (acc as unknown[]).slice(),
  },
  {
    // deduplicate(x, all): all = true, the distinct values in first-seen order; all = false, the
    // latest value if the window had not seen it before, else null (eKuiper gives an empty map).
    name: 'deduplicate', minArgs: 2, maxArgs: 2, constArgs: true, incremental: false,
    init: () => [[], [], false],
    add: (acc, v) => {
      const a = acc as [string[], unknown[], boolean];
      const key = dedupKey(v === undefined ? null : v);
      const seen = a[0].includes(key);
      if (!seen) {
        a[0].push(key);
        a[1].push(v === undefined ? null : v);
      }
      a[2] = !seen;
      return a;
    },
    result: (acc, extra) => {
      const [, values, lastNew] = acc as [string[], unknown[], boolean];
      if (extra[0] === true) return values.slice();
      return lastNew ? values[values.length - 1] : null;
    },
  },
  { name: 'stddev', minArgs: 1, maxArgs: 1, incremental: true, ...welford('stddev'), result: (acc) => sqrtOrNull(variance(acc, false)) },
  { name: 'stddevs', minArgs: 1, maxArgs: 1, incremental: true, ...welford('stddevs'), result: (acc) => sqrtOrNull(variance(acc, true)) },
  { name: 'var', minArgs: 1, maxArgs: 1, incremental: true, ...welford('var'), result: (acc) => variance(acc, false) },
  { name: 'vars', minArgs: 1, maxArgs: 1, incremental: true, ...welford('vars'), result: (acc) => variance(acc, true) },
  {
    name: 'median', minArgs: 1, maxArgs: 1, incremental: false,
    init: () => [],
    add: (acc, v) => {
      if (!isNull(v)) (acc as unknown[]).push(numberOf('median', v));
      return acc;
    },
    result: (acc) => percentileCont(sortedNumbers('median', acc as unknown[]), 0.5),
  },
  {
    name: 'percentile', minArgs: 2, maxArgs: 2, constArgs: true, incremental: false,
    init: () => [],
    add: (acc, v) => {
      if (!isNull(v)) (acc as unknown[]).push(numberOf('percentile', v));
      return acc;
    },
    result: (acc, extra) => percentileCont(sortedNumbers('percentile', acc as unknown[]), checkFraction('percentile', extra[0])),
  },
  {
    // The smallest value whose cumulative distribution is at least p (eKuiper's percentile_disc).
    name: 'percentile_disc', minArgs: 2, maxArgs: 2, constArgs: true, incremental: false,
    init: () => [],
    add: (acc, v) => {
      if (!isNull(v)) (acc as unknown[]).push(numberOf('percentile_disc', v));
      return acc;
    },
    result: (acc, extra) => {
      const values = sortedNumbers('percentile_disc', acc as unknown[]);
      const p = checkFraction('percentile_disc', extra[0]);
      if (values.length === 0) return null;
      return values[Math.max(0, Math.ceil(p * values.length) - 1)];
    },
  },
];

function sqrtOrNull(v: number | null): number | null {
  return v === null ? null : Math.sqrt(v);
}

const BY_NAME = new Map(AGGREGATES.map((a) => [a.name, a]));

/** An aggregate by name, case-insensitive as in eKuiper (`COUNT(*)` and `count(*)`). */
export function lookupAggregate(name: string): AggregateFunction | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function aggregateNames(): string[] {
  return [...BY_NAME.keys()];
}

/** Checks a value before any accumulator changes, so that a bad event leaves the state as it was. */
export function checkAggregateValue(fn: AggregateFunction, v: unknown): void {
  if (isNull(v)) return;
  switch (fn.name) {
    case 'sum': case 'avg': case 'stddev': case 'stddevs': case 'var': case 'vars':
    case 'median': case 'percentile': case 'percentile_disc':
      numberOf(fn.name, v);
      return;
    case 'min': case 'max':
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'string') {
        throw new RuleEvaluationError(words('rules.call.expected', '__fn__(): expected __expected__, got __got__', { fn: fn.name, expected: words('rules.expected.numberOrText', 'a number or text'), got: typeName(v) }), 'bad_sql_function_argument');
      }
      return;
    default:
      return;
  }
}
