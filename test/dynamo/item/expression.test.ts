// The sink's expression compiler (DESIGN.md 1.3): DynamoDB's grammar with plain attribute names
// aliased, ${path} and literal values, positions in errors, and what the writer learns from it.
import { strict as assert } from 'node:assert';
import { bindValues, compileExpressions, ExpressionRuleError, ExpressionSyntaxError, sameItem } from '../../../src/dynamo/item/expression';
import type { EncodeOptions } from '../../../src/dynamo/item/encoding';

const KEYS = { hashKey: 'id' };
const EMQX: EncodeOptions = { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' };
const NATIVE: EncodeOptions = { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' };

function syntaxError(fn: () => unknown): ExpressionSyntaxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) return err;
    throw err;
  }
  throw new Error('expected an ExpressionSyntaxError');
}

describe('sink expressions', function () {
  it('compiles the device-state update of issue 12 with aliases, values and if_not_exists', function () {
    const c = compileExpressions(
      { updateExpression: 'SET last_temp = ${payload.temp}, last_seen = ${timestamp}, first_seen = if_not_exists(first_seen, ${timestamp}) ADD msg_count 1' },
      KEYS,
    );
    assert.equal(c.update!.text, 'SET #u0 = :u0, #u1 = :u1, #u2 = if_not_exists(#u2, :u1) ADD #u3 :u2');
    assert.deepEqual(c.update!.names, { '#u0': 'last_temp', '#u1': 'last_seen', '#u2': 'first_seen', '#u3': 'msg_count' });
    assert.equal(c.nonIdempotent, true);
    const values = bindValues(c.update!, { payload: '{"temp": 21.5}', timestamp: 1700000000000 }, EMQX, {});
    assert.deepEqual(values, { ':u0': { N: '21.5' }, ':u1': { N: '1700000000000' }, ':u2': { N: '1' } });
  });

  it('writes reserved words plainly: count, name, timestamp, data become #names', function () {
    const c = compileExpressions({ updateExpression: 'set name = ${name}, data.items[2].value = \'x\' add count 1 remove timestamp', condition: 'size(data) > 0' }, KEYS);
    assert.equal(c.update!.text, 'SET #u0 = :u0, #u1.#u2[2].#u3 = :u1 REMOVE #u4 ADD #u5 :u2');
    assert.deepEqual(Object.values(c.update!.names), ['name', 'data', 'items', 'value', 'timestamp', 'count']);
    assert.equal(c.condition!.text, 'size(#c0) > :c0');
    assert.deepEqual(c.condition!.names, { '#c0': 'data' });
  });

  it('compiles the only-newer condition and every condition form', function () {
    const newer = compileExpressions({ condition: 'attribute_not_exists(id) OR ts < ${ts}' }, KEYS).condition!;
    assert.equal(newer.text, 'attribute_not_exists(#c0) OR #c1 < :c0');
    const all = compileExpressions(
      {
        condition:
          "NOT (a BETWEEN 1 AND ${hi}) AND b IN ('x', 'y', -2.5) OR attribute_type(c, 'N') AND begins_with(d, 'pre') AND contains(tags, ${tag}) AND e <> f AND g >= 0 AND attribute_exists(h.i[0])",
      },
      KEYS,
    ).condition!;
    assert.equal(
      all.text,
      'NOT (#c0 BETWEEN :c0 AND :c1) AND #c1 IN (:c2, :c3, :c4) OR attribute_type(#c2, :c5) AND begins_with(#c3, :c6) AND contains(#c4, :c7) AND #c5 <> #c6 AND #c7 >= :c8 AND attribute_exists(#c8.#c9[0])',
    );
    assert.deepEqual(bindValues(all, { hi: 9, tag: 'red' }, EMQX, {})[':c4'], { N: '-2.5' });
  });

  it('knows which updates change the item again when applied twice', function () {
    const idem = ['SET a = ${a}', 'SET a = if_not_exists(a, 0)', 'REMOVE a, b[1]', 'DELETE tags ${tags}', 'SET a = b'];
    const not = ['ADD n 1', 'SET n = n + 1', 'SET n = if_not_exists(n, 0) - ${d}', 'SET h = list_append(if_not_exists(h, []), ${v})'];
    for (const e of idem) assert.equal(compileExpressions({ updateExpression: e }, KEYS).nonIdempotent, false, e);
    for (const e of not) assert.equal(compileExpressions({ updateExpression: e }, KEYS).nonIdempotent, true, e);
  });

  it('makes list_append operands lists: an array as its elements, a single value as a list of one', function () {
    const c = compileExpressions({ updateExpression: 'SET history = list_append(if_not_exists(history, []), ${payload.temp})' }, KEYS);
    assert.equal(c.update!.text, 'SET #u0 = list_append(if_not_exists(#u0, :u0), :u1)');
    assert.deepEqual(bindValues(c.update!, { payload: { temp: 20 } }, EMQX, {}), { ':u0': { L: [] }, ':u1': { L: [{ N: '20' }] } });
    assert.deepEqual(bindValues(c.update!, { payload: { temp: [1, 'a'] } }, NATIVE, {})[':u1'], { L: [{ N: '1' }, { S: 'a' }] });
  });

  it('encodes ${path} values like the item, with the sink encoding', function () {
    const c = compileExpressions({ updateExpression: 'SET o = ${o}, b = ${b}, e = ${e}, u = ${missing}' }, KEYS).update!;
    const row = { o: { x: 1 }, b: true, e: '' };
    assert.deepEqual(bindValues(c, row, EMQX, {}), { ':u0': { S: '{"x":1}' }, ':u1': { S: 'true' }, ':u2': { S: '' }, ':u3': { S: 'undefined' } });
    assert.deepEqual(bindValues(c, row, NATIVE, {}), { ':u0': { M: { x: { N: '1' } } }, ':u1': { BOOL: true }, ':u2': { S: '' }, ':u3': { NULL: true } });
  });

  it('adds the TTL attribute to the SET clause and records what shows the write in place', function () {
    const c = compileExpressions({ updateExpression: 'REMOVE old ADD n 1', ttlAttribute: 'expires' }, KEYS);
    assert.equal(c.update!.text, 'SET #u0 = :u0 REMOVE #u1 ADD #u2 :u1');
    assert.deepEqual(bindValues(c.update!, {}, EMQX, {}, 1700000060), { ':u0': { N: '1700000060' }, ':u1': { N: '1' } });
    assert.deepEqual(c.expect, [{ path: ['expires'], value: ':u0' }, { path: ['old'] }]);
    assert.throws(() => compileExpressions({ updateExpression: 'SET expires = 1', ttlAttribute: 'expires' }, KEYS), ExpressionRuleError);
  });

  it('reports syntax errors with their line and column', function () {
    const cases: [string, 'updateExpression' | 'condition', number, RegExp][] = [
      ['SET a = ', 'updateExpression', 8, /expected an attribute name/],
      ['SET a = 1 SET b = 2', 'updateExpression', 11, /SET appears twice/],
      ['SET a 1', 'updateExpression', 7, /expected '=' after a in SET/],
      ['UPSERT a = 1', 'updateExpression', 1, /expected SET, REMOVE, ADD or DELETE/],
      ['SET a = b + 1 + 2', 'updateExpression', 15, /one \+ or -/],
      ['SET a = #x', 'updateExpression', 9, /plainly/],
      ['SET id = 1', 'updateExpression', 5, /partition key/],
      ['SET a.b = 1, a = 2', 'updateExpression', 14, /overlaps a\.b/],
      ['SET a = max(b, 1)', 'updateExpression', 9, /not an update function/],
      ['ADD n b', 'updateExpression', 7, /ADD takes a value/],
      ['SET a = ${pay load}', 'updateExpression', 9, /bad placeholder/],
      ["SET a = 'open", 'updateExpression', 9, /unterminated 'string'/],
      ['ts < ${ts} OR', 'condition', 14, /expected an attribute name/],
      ['ts ${ts}', 'condition', 4, /expected a comparison/],
      ['a BETWEEN 1 OR 2', 'condition', 13, /expected AND in BETWEEN/],
      ['attribute_exists(a, b)', 'condition', 1, /takes 1 operand/],
      ["attribute_type(a, 'X')", 'condition', 19, /the type is one of/],
      ['(a = 1', 'condition', 7, /expected '\)'/],
      ['ts < ${ts} OR OR', 'condition', 15, /expected a condition, found OR/],
      ['a = 1\n AND b =', 'condition', 9, /expected an attribute name/],
    ];
    for (const [text, field, column, reason] of cases) {
      const err = syntaxError(() => compileExpressions(field === 'condition' ? { condition: text } : { updateExpression: text }, KEYS));
      assert.equal(err.field, field, text);
      assert.equal(err.column, column, `${text}: ${err.message}`);
      assert.match(err.message, reason, text);
    }
    assert.equal(syntaxError(() => compileExpressions({ condition: 'a = 1\n AND b =' }, KEYS)).line, 2);
  });

  it('accepts backquoted names and keywords as attribute names where they cannot be keywords', function () {
    const c = compileExpressions({ updateExpression: 'SET `odd-name` = 1, add = 2 ADD set 1', condition: '`and` = 1' }, KEYS);
    assert.deepEqual(Object.values(c.update!.names), ['odd-name', 'add', 'set']);
    assert.deepEqual(Object.values(c.condition!.names), ['and']);
  });

  it('refuses expressions over DynamoDB\'s 4 KB limit and absurd nesting, without a stack overflow', function () {
    const long = `SET ${Array.from({ length: 500 }, (_, i) => `a${i} = ${i}`).join(', ')}`;
    assert.throws(() => compileExpressions({ updateExpression: long }, KEYS), /4096 bytes/);
    assert.throws(() => compileExpressions({ condition: `${'('.repeat(5000)}a = 1${')'.repeat(5000)}` }, KEYS), /nested more than 64/);
  });

  it('compares items as DynamoDB stores them (numbers by value, maps in any order)', function () {
    assert.ok(sameItem({ a: { N: '1.50' }, m: { M: { x: { S: 'y' }, z: { L: [{ N: '2' }] } } } }, { m: { M: { z: { L: [{ N: '2.0' }] }, x: { S: 'y' } } }, a: { N: '1.5' } }));
    assert.ok(!sameItem({ a: { N: '1' } }, { a: { S: '1' } }));
    assert.ok(!sameItem({ a: { N: '9007199254740993' } }, { a: { N: '9007199254740992' } }));
  });
});
