// How a conformance case is run and judged (reference section 7), shared by every data-driven
// suite: the statement cases (sql-cases*.json) and the function cases (function-cases*.json).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileRule, RuleEvaluationError, RuleSyntaxError } from '../../src';
import { parseJson, stringifyJson } from '../../src/rules/exact-json';

export interface SqlCase {
  name: string;
  sql: string;
  input: Record<string, unknown>;
  expected: unknown;
  source?: string;
  note?: string;
  unsure?: boolean;
  match?: unknown;
}

export interface FunctionCase {
  call: string;
  input?: Record<string, unknown>;
  expected: unknown;
  expected_type?: 'float';
  source?: string;
  note?: string;
  erlang_specific?: string;
  requires?: string;
  tz_dependent?: boolean;
}

/** A case file from test/fixtures. */
export function loadCases<T>(file: string): T[] {
  // Exact: an expected nanosecond timestamp keeps all its digits (a BigInt), as EMQX's does.
  return parseJson(readFileSync(path.join(__dirname, '..', 'fixtures', file), 'utf8')) as T[];
}

const isMarker = (v: unknown, key: string): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, key);

/** The case input as engine columns: `{"$undefined": true}` becomes undefined. */
export function sqlColumnsOf(input: Record<string, unknown>): Record<string, unknown> {
  const convert = (v: unknown): unknown => {
    if (isMarker(v, '$undefined')) return undefined;
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x)]));
    }
    return v;
  };
  const columns = convert(input) as Record<string, unknown>;
  // Not columns (reference section 7): the trigger topic comes from `event` instead.
  delete columns.event_topic;
  delete columns.event_type;
  return columns;
}

/** Where `actual` differs from `expected` (section 7 rules), or undefined when it conforms. */
export function difference(actual: unknown, expected: unknown, at: string): string | undefined {
  if (isMarker(expected, '$undefined')) {
    return actual === undefined ? undefined : `${at}: expected undefined, got ${stringifyJson(actual)}`;
  }
  if (typeof expected === 'bigint') {
    return actual === expected ? undefined : `${at}: expected ${expected}, got ${stringifyJson(actual)}`;
  }
  if (typeof expected === 'number') {
    return typeof actual === 'number' && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected))
      ? undefined : `${at}: expected ${expected}, got ${stringifyJson(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected a list, got ${stringifyJson(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(actual[i], expected[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return `${at}: expected a map, got ${stringifyJson(actual)}`;
    }
    const act = actual as Record<string, unknown>;
    const exp = { ...(expected as Record<string, unknown>) };
    const keys = new Set(Object.keys(act));
    if (isMarker(exp, '$ephemeral_key')) {
      const generated = [...keys].filter((k) => k.startsWith('_v_'));
      if (generated.length !== 1) return `${at}: expected one generated _v_ key, got ${stringifyJson(generated)}`;
      const d = difference(act[generated[0]], exp.$ephemeral_key, `${at}.${generated[0]}`);
      if (d) return d;
      keys.delete(generated[0]);
      delete exp.$ephemeral_key;
    }
    for (const [k, v] of Object.entries(exp)) {
      if (!keys.has(k)) return `${at}.${k}: missing`;
      const d = difference(act[k], v, `${at}.${k}`);
      if (d) return d;
      keys.delete(k);
    }
    return keys.size === 0 ? undefined : `${at}: unexpected keys ${[...keys].join(', ')}`;
  }
  return Object.is(actual, expected) ? undefined : `${at}: expected ${stringifyJson(expected)}, got ${stringifyJson(actual)}`;
}

type Outcome = { rows: Record<string, unknown>[] | null } | { error: Error; compile: boolean };

function runSqlCase(c: SqlCase): Outcome {
  let rule;
  try {
    rule = compileRule(c.sql, { id: 'test_rule' });
  } catch (error) {
    return { error: error as Error, compile: true };
  }
  try {
    return { rows: rule.evaluate(sqlColumnsOf(c.input)) };
  } catch (error) {
    return { error: error as Error, compile: false };
  }
}

/** Runs a statement case and asserts `expected` (the case's, or a deviation's). */
export function checkSqlCase(c: SqlCase, expected: unknown): void {
  const outcome = runSqlCase(c);
  if (isMarker(expected, 'error')) {
    assert.ok('error' in outcome, `expected an error, got ${stringifyJson('rows' in outcome ? outcome.rows : null)}`);
    const errorClass = (expected as Record<string, unknown>).error_class;
    if (errorClass === 'parse_error') {
      assert.ok(outcome.error instanceof RuleSyntaxError, `expected a syntax error, got ${outcome.error}`);
    } else if (!outcome.compile) {
      // A runtime error must be ours and carry EMQX's class (informative in the corpus).
      assert.ok(outcome.error instanceof RuleEvaluationError, `unexpected ${outcome.error.stack}`);
      assert.equal(outcome.error.errorClass, errorClass);
    } else {
      // Unknown functions are reported when compiling (the brief), EMQX reports them when run.
      assert.ok(outcome.error instanceof RuleSyntaxError, `unexpected ${outcome.error.stack}`);
    }
    return;
  }
  if ('error' in outcome) throw outcome.error;
  if (isMarker(expected, 'no_match')) {
    assert.equal(outcome.rows, null, `expected no match, got ${stringifyJson(outcome.rows)}`);
    return;
  }
  assert.ok(outcome.rows !== null, 'expected a result, got no match');
  const actual = Array.isArray(expected) ? outcome.rows : outcome.rows[0];
  if (!Array.isArray(expected)) assert.equal(outcome.rows.length, 1, 'SELECT gives one row');
  const d = difference(actual, expected, 'result');
  assert.equal(d, undefined, d);
}

/** `{"$undefined": true}` in a function case input marks a column that is present but undefined. */
function functionColumnsOf(c: FunctionCase): Record<string, unknown> {
  const columns: Record<string, unknown> = { topic: 't/a' };
  for (const [k, v] of Object.entries(c.input ?? {})) {
    columns[k] = isMarker(v, '$undefined') && v.$undefined === true ? undefined : v;
  }
  return columns;
}

function hexOf(v: unknown): string | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex').toUpperCase();
  if (Buffer.isBuffer(v)) return v.toString('hex').toUpperCase();
  return undefined;
}

/** Compares a function result with an expectation written in the corpus format. */
export function assertMatches(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
    const marker = expected as Record<string, unknown>;
    if (marker.$undefined === true) return assert.equal(actual, undefined, where);
    if (typeof marker.$binary_hex === 'string') return assert.equal(hexOf(actual), marker.$binary_hex, where);
    if (marker.$type === 'integer') return assert.ok(typeof actual === 'bigint' || Number.isSafeInteger(actual), `${where}: expected an integer, got ${String(actual)}`);
    if (marker.$type === 'float') return assert.equal(typeof actual, 'number', where);
    if (typeof marker.$matches === 'string') {
      return assert.match(String(actual), new RegExp(marker.$matches), where);
    }
    assert.ok(typeof actual === 'object' && actual !== null && !Array.isArray(actual), `${where}: expected a map`);
    const map = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(marker), ...Object.keys(map)]);
    for (const k of keys) assertMatches(map[k], marker[k], `${where}.${k}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected a list, got ${stringifyJson(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: list length`);
    expected.forEach((e, i) => assertMatches(actual[i], e, `${where}[${i}]`));
    return;
  }
  if (typeof expected === 'bigint') {
    assert.equal(actual, expected, `${where}: expected the integer ${expected}, got ${stringifyJson(actual)}`);
    return;
  }
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${where}: expected a number, got ${stringifyJson(actual)}`);
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
    assert.ok(Math.abs((actual as number) - expected) <= tolerance, `${where}: ${String(actual)} != ${expected}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}

/** Runs `run` with the process in UTC when the case was computed on a UTC server. */
export function withUtc<T>(on: boolean, run: () => T): T {
  if (!on) return run();
  const saved = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** `SELECT <call> AS r FROM "t/#"` over the case's columns: the value of `r`. */
export function evaluateCall(c: FunctionCase): unknown {
  const rule = compileRule(`SELECT ${c.call} AS r FROM "t/#"`, { id: 'test_rule' });
  const rows = rule.evaluate(functionColumnsOf(c));
  assert.ok(rows !== null && rows.length === 1, `${c.call}: expected one row, got ${stringifyJson(rows)}`);
  return rows[0].r;
}

/** Runs a function case without deviation: a runtime error, or a value matching `expected`. */
export function checkFunctionCase(c: FunctionCase): void {
  withUtc(c.tz_dependent === true, () => {
    if (isMarker(c.expected, 'error') && c.expected.error === true) {
      assert.throws(() => evaluateCall(c), (e: unknown) => e instanceof RuleEvaluationError,
        `${c.call}: expected a runtime error`);
      return;
    }
    assertMatches(evaluateCall(c), c.expected, c.call);
  });
}
