// The reference's own rules as conformance cases: every rule, example, quirk and function edge
// case that /work/shared/reference/emqx-rule-sql.md states (sections 1-5), written in the
// corpus format (section 7) in test/fixtures/sql-cases-reference.json and
// function-cases-reference.json, and judged exactly as the corpus sample is.

import { strict as assert } from 'node:assert';
import { compileRule } from '../../src';
import { RuleSyntaxError } from '../../src/rules/errors';
import {
  assertMatches, checkFunctionCase, checkSqlCase, evaluateCall, FunctionCase, loadCases, SqlCase, withUtc,
} from './conformance-cases';

const statements = loadCases<SqlCase>('sql-cases-reference.json');
const functions = loadCases<FunctionCase>('function-cases-reference.json');

/** Statement cases where we deliberately differ (DESIGN.md section 2); `expected` is our result. */
const STANDARD_NOT = 'NOT over AND/OR/IN works as in standard SQL (DESIGN.md section 2)';
const NOT_SUPPORTED = 'unknown functions are rejected when the statement is compiled';
const CHARACTER_LISTS = 'Erlang-only representation: a list of character codes is JSON here, not text (DESIGN.md section 2)';

const SQL_DEVIATIONS: Record<string, { reason: string; expected: unknown }> = {
  cond_not_over_and_is_error: { reason: STANDARD_NOT, expected: { r: 1 } },
  cond_not_over_in_is_error: { reason: STANDARD_NOT, expected: { r: 1 } },
};

/** Function cases where we deliberately differ, keyed by the call and its input. */
const FUNCTION_DEVIATIONS: Record<string, { reason: string; actual: { r: unknown } | { compileError: RegExp } }> = {
  'str([97, 98])': { reason: CHARACTER_LISTS, actual: { r: '[97,98]' } },
  'str([])': { reason: CHARACTER_LISTS, actual: { r: '[]' } },
  "reverse('你好')": { reason: 'reverse() works on any Unicode text (DESIGN.md section 2)', actual: { r: '好你' } },
  'abs(-1.2)': { reason: 'abs() accepts floats (DESIGN.md section 2)', actual: { r: 1.2 } },
  "date_to_unix_ts('second', '+08:00', '%Y-%m-%d %H:%M:%S%:z', '2024-02-23 15:00:00+08:00')": {
    reason: 'date_to_unix_ts/4 applies an offset once (DESIGN.md section 2)',
    actual: { r: 1708671600 },
  },
  "str_eq('a', 'a')": { reason: NOT_SUPPORTED, actual: { compileError: /str_eq.*not supported/ } },
  "json_value('{}', 'a')": { reason: NOT_SUPPORTED, actual: { compileError: /json_value.*not supported/ } },
  'rand_int(10)': { reason: NOT_SUPPORTED, actual: { compileError: /rand_int.*not supported/ } },
  "UPPER('a')": { reason: `${NOT_SUPPORTED}; names are case-sensitive`, actual: { compileError: /UPPER.*not supported/ } },
};

const functionKey = (c: FunctionCase): string => (c.input ? `${c.call} ${JSON.stringify(c.input)}` : c.call);

describe('rule SQL conformance: the reference rules (sql-cases-reference.json)', () => {
  it('names every case once', () => {
    assert.equal(new Set(statements.map((c) => c.name)).size, statements.length);
    for (const name of Object.keys(SQL_DEVIATIONS)) assert.ok(statements.some((c) => c.name === name), name);
  });

  for (const c of statements) {
    const deviation = SQL_DEVIATIONS[c.name];
    if (deviation) it(`${c.name} [deviation: ${deviation.reason}]`, () => checkSqlCase(c, deviation.expected));
    else it(c.name, () => checkSqlCase(c, c.expected));
  }
});

describe('rule functions conformance: the reference rules (function-cases-reference.json)', () => {
  it('lists deviations only for cases it holds', () => {
    const keys = new Set(functions.map(functionKey));
    for (const key of Object.keys(FUNCTION_DEVIATIONS)) assert.ok(keys.has(key), key);
  });

  for (const c of functions) {
    const key = functionKey(c);
    const deviation = FUNCTION_DEVIATIONS[key];
    if (deviation === undefined) {
      it(key, () => checkFunctionCase(c));
      continue;
    }
    it(`${key} [deviation: ${deviation.reason}]`, () => withUtc(c.tz_dependent === true, () => {
      const instead = deviation.actual;
      if ('compileError' in instead) {
        assert.throws(() => compileRule(`SELECT ${c.call} AS r FROM "t/#"`), (e: unknown) =>
          e instanceof RuleSyntaxError && instead.compileError.test(e.message));
      } else {
        assertMatches(evaluateCall(c), instead.r, key);
      }
    }));
  }
});
