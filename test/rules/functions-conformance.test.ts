// EMQX conformance of the built-in functions: every case of test/fixtures/function-cases.json,
// evaluated as reference section 7 says (`SELECT <call> AS r FROM "t/#"` over the columns
// {topic: "t/a", ...input}). The deliberate deviations of DESIGN.md section 2 are listed below
// with their reason, and the test asserts what this engine does instead.

import { strict as assert } from 'node:assert';
import { compileRule } from '../../src/index';
import { RuleEvaluationError, RuleSyntaxError } from '../../src/rules/errors';
import { assertMatches, checkFunctionCase, evaluateCall, FunctionCase, loadCases, withUtc } from './conformance-cases';

const cases = loadCases<FunctionCase>('function-cases.json');

const NOT_SUPPORTED = 'not supported: the statement is rejected at compile time (issue 2, DESIGN.md section 2)';

/** Deviations: the call, why, and what this engine gives instead. */
const DEVIATIONS: Record<string, { reason: string; actual: { r: unknown } | { compileError: RegExp } | { error: true } }> = {
  "bin2hexstr(subbits(hexstr2bin('FF'), 1, 4, 'bits', 'unsigned', 'big'))": {
    reason: 'Erlang-only representation: a 4-bit bitstring has no JS form; bits are left-padded to whole bytes',
    actual: { r: '0F' },
  },
  "contains_topic(json_decode('[{\"topic\":\"t/1\",\"qos\":1}]'), 't/1')": {
    reason: `${NOT_SUPPORTED}: internal subscription lists only`,
    actual: { compileError: /contains_topic.*not supported/ },
  },
  "jq('.', '{\"b\": 2}', 10000)": { reason: `${NOT_SUPPORTED}: jq is an optional EMQX build feature`, actual: { compileError: /jq.*not supported/ } },
  "jq('.a|.[]', '{\"a\": [{\"b\": 1}, {\"b\": 2}, {\"b\": 3}]}')": {
    reason: `${NOT_SUPPORTED}: jq is an optional EMQX build feature`,
    actual: { compileError: /jq.*not supported/ },
  },
};

describe('rule functions: EMQX conformance (test/fixtures/function-cases.json)', () => {
  it('has every listed deviation in the corpus', () => {
    const calls = new Set(cases.map((c) => c.call));
    for (const call of Object.keys(DEVIATIONS)) assert.ok(calls.has(call), `deviation for an unknown case: ${call}`);
  });

  for (const c of cases) {
    const deviation = DEVIATIONS[c.call];
    const title = deviation ? `${c.call} (deviation: ${deviation.reason})` : c.call;
    it(title, () => withUtc(c.tz_dependent === true, () => {
      if (deviation !== undefined) {
        const instead = deviation.actual;
        if ('compileError' in instead) {
          assert.throws(() => compileRule(`SELECT ${c.call} AS r FROM "t/#"`), (e: unknown) =>
            e instanceof RuleSyntaxError && instead.compileError.test(e.message));
        } else if ('error' in instead) {
          assert.throws(() => evaluateCall(c), RuleEvaluationError);
        } else {
          assertMatches(evaluateCall(c), instead.r, c.call);
        }
        return;
      }
      checkFunctionCase(c);
    }));
  }
});
