// The statement cases of the conformance corpus (test/fixtures/sql-cases.json, reference
// section 7), run through the engine: every case must give EMQX's result, except the
// deliberate deviations listed below (DESIGN.md section 2), which must give the intended one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileRule, RuleEvaluationError, RuleSyntaxError } from '../../src';

interface SqlCase {
  name: string;
  sql: string;
  input: Record<string, unknown>;
  expected: unknown;
  note?: string;
  unsure?: boolean;
  match?: unknown;
}

const cases: SqlCase[] = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'sql-cases.json'), 'utf8'),
);

/** Cases where EMQX is plainly buggy and we do what was intended; `expected` is our result. */
const DEVIATIONS: Record<string, { reason: string; expected: unknown }> = {
  where_not_in_is_error: {
    reason: 'NOT IN works as in standard SQL (EMQX raises function_clause for every NOT IN)',
    expected: { r: 1 },
  },
};

const isMarker = (v: unknown, key: string): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, key);

/** The case input as engine columns: `{"$undefined": true}` becomes undefined. */
function columnsOf(input: Record<string, unknown>): Record<string, unknown> {
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
function difference(actual: unknown, expected: unknown, at: string): string | undefined {
  if (isMarker(expected, '$undefined')) {
    return actual === undefined ? undefined : `${at}: expected undefined, got ${JSON.stringify(actual)}`;
  }
  if (typeof expected === 'number') {
    return typeof actual === 'number' && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected))
      ? undefined : `${at}: expected ${expected}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected a list, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(actual[i], expected[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return `${at}: expected a map, got ${JSON.stringify(actual)}`;
    }
    const act = actual as Record<string, unknown>;
    const exp = { ...(expected as Record<string, unknown>) };
    const keys = new Set(Object.keys(act));
    if (isMarker(exp, '$ephemeral_key')) {
      const generated = [...keys].filter((k) => k.startsWith('_v_'));
      if (generated.length !== 1) return `${at}: expected one generated _v_ key, got ${JSON.stringify(generated)}`;
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
  return Object.is(actual, expected) ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

type Outcome = { rows: Record<string, unknown>[] | null } | { error: Error; compile: boolean };

function run(c: SqlCase): Outcome {
  let rule;
  try {
    rule = compileRule(c.sql, { id: 'test_rule' });
  } catch (error) {
    return { error: error as Error, compile: true };
  }
  try {
    return { rows: rule.evaluate(columnsOf(c.input)) };
  } catch (error) {
    return { error: error as Error, compile: false };
  }
}

function check(c: SqlCase, expected: unknown): void {
  const outcome = run(c);
  if (isMarker(expected, 'error')) {
    assert.ok('error' in outcome, `expected an error, got ${JSON.stringify('rows' in outcome ? outcome.rows : null)}`);
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
    assert.equal(outcome.rows, null, `expected no match, got ${JSON.stringify(outcome.rows)}`);
    return;
  }
  assert.ok(outcome.rows !== null, 'expected a result, got no match');
  const actual = Array.isArray(expected) ? outcome.rows : outcome.rows[0];
  if (!Array.isArray(expected)) assert.equal(outcome.rows.length, 1, 'SELECT gives one row');
  const d = difference(actual, expected, 'result');
  assert.equal(d, undefined, d);
}

describe('rule SQL conformance (sql-cases.json)', () => {
  it('holds the sample of the corpus', () => {
    assert.ok(cases.length >= 147);
  });

  for (const c of cases) {
    const deviation = DEVIATIONS[c.name];
    if (deviation) {
      it(`${c.name} [deviation: ${deviation.reason}]`, () => check(c, deviation.expected));
    } else {
      it(c.name, () => check(c, c.expected));
    }
  }
});
