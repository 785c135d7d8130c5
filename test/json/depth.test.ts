// The JSON nesting limit for input (DESIGN.md section 6): 1,000 levels, found by a scan of the
// text before anything recursive touches it; over it, EMQX's decode_json_failed per message.

import { strict as assert } from 'node:assert';
import { jsonTextTooDeep, jsonValueTooDeep, MAX_JSON_DEPTH } from '../../src/json/depth';
import { parseJson } from '../../src/rules/exact-json';
import { compileRule, RuleEvaluationError } from '../../src/index';
import { call } from '../rules/functions-call';
import { compileTemplate, lookupPath } from '../../src/dynamo/item/template';

const nested = (n: number, open = '[', close = ']') => `${open.repeat(n)}${close.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe('JSON depth limit', () => {
  it('counts brackets outside strings only, 1,000 levels accepted and 1,001 refused', () => {
    assert.equal(MAX_JSON_DEPTH, 1000);
    assert.equal(jsonTextTooDeep(nested(1000)), false);
    assert.equal(jsonTextTooDeep(nested(1001)), true);
    assert.equal(jsonTextTooDeep(deepObject(1001)), true);
    assert.equal(jsonTextTooDeep(`["${'['.repeat(5000)}"]`), false, 'brackets in a string');
    assert.equal(jsonTextTooDeep(`["\\"${'['.repeat(5000)}"]`), false, 'after an escaped quote');
    assert.equal(jsonTextTooDeep(`[${'[1],'.repeat(5000)}1]`), false, 'wide, not deep');
    assert.equal(jsonValueTooDeep(JSON.parse(nested(1000))), false);
    assert.equal(jsonValueTooDeep(JSON.parse(nested(100000))), true);
    assert.equal(jsonValueTooDeep({ a: [1, { b: 'x' }] }, 3), false);
    assert.equal(jsonValueTooDeep({ a: [1, { b: {} }] }, 3), true);
  });

  it('parseJson refuses 100,000 levels before parsing, quickly, and still parses 1,000', () => {
    const started = Date.now();
    assert.throws(() => parseJson(nested(100000)), (err: Error) => err instanceof SyntaxError && /JSON nested deeper than 1000 levels/.test(err.message));
    assert.throws(() => parseJson(`{"n": 12345678901234567890, "d": ${nested(2000)}}`), /nested deeper than 1000 levels/, 'the exact-number parser too');
    assert.ok(Date.now() - started < 500);
    assert.equal(JSON.stringify(parseJson(nested(1000))), nested(1000));
  });

  it('is decode_json_failed in the rule engine: payload, json_decode, a path into a JSON string, map_get', () => {
    const deep = nested(100000);
    const rule = compileRule('SELECT payload.a as a, json_decode(payload.s) as s FROM "t/#"');
    const fail = (payload: string) => {
      try {
        rule.evaluate({ topic: 't/a', payload });
      } catch (err) {
        assert.ok(err instanceof RuleEvaluationError);
        return err;
      }
      assert.fail('no error');
    };
    const err = fail(deep);
    assert.equal(err.code, 'decode_json_failed');
    assert.match(err.message, /^decode_json_failed: JSON nested deeper than 1000 levels/);
    assert.equal(fail(JSON.stringify({ a: 1, s: deep })).code, 'decode_json_failed');
    assert.deepEqual(rule.evaluate({ topic: 't/a', payload: JSON.stringify({ a: 1, s: nested(1000) }) })?.[0].a, 1);
    assert.throws(() => call('map_get', 'a', deep), /decode_json_failed: JSON nested deeper/);
    assert.throws(() => compileRule('SELECT payload.x.y as y FROM "t/#"').evaluate({ topic: 't', payload: JSON.stringify({ x: deep }) }), /decode_json_failed/);
  });

  it('is a per-message error in templates', () => {
    assert.throws(() => lookupPath({ p: deepObject(5000) }, ['p', 'a']), /decode_json_failed: JSON nested deeper than 1000 levels/);
    const fill = compileTemplate('${payload}');
    assert.throws(() => fill({ payload: deepObject(5000) }), /decode_json_failed/);
  });
});
