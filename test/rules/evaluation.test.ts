// Evaluation semantics beyond the conformance sample (reference section 3): name resolution,
// payload decoding, nested puts, FOREACH, conditions, the deviations, errors and isolation.

import assert from 'node:assert/strict';
import { compileRule, RuleEvaluationError } from '../../src';

const publish = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  event: 'message.publish', topic: 't/a', clientid: 'c1', qos: 1, payload: '{"x":1,"y":{"z":[10,20,30]},"n":null}', ...extra,
});

function one(sql: string, columns: Record<string, unknown> = publish()): Record<string, unknown> {
  const rows = compileRule(sql, { id: 'r1' }).evaluate(columns);
  assert.ok(rows !== null, 'expected a result');
  assert.equal(rows.length, 1);
  return rows[0];
}

function evaluationError(sql: string, columns: Record<string, unknown> = publish()): RuleEvaluationError {
  try {
    compileRule(sql, { id: 'r1' }).evaluate(columns);
  } catch (err) {
    assert.ok(err instanceof RuleEvaluationError, `not a RuleEvaluationError: ${String(err)}`);
    return err;
  }
  return assert.fail('expected a RuleEvaluationError');
}

describe('name resolution', () => {
  it('resolves earlier aliases before columns, in fields and in WHERE', () => {
    assert.deepEqual(one("SELECT 'z' as clientid, clientid as c FROM \"t/#\""), { clientid: 'z', c: 'z' });
    assert.deepEqual(one('SELECT payload.x as x, x * 2 as y FROM "t/#" WHERE y = 2'), { x: 1, y: 2 });
    assert.equal(compileRule('SELECT 1 as r FROM "t/#" WHERE r = 2').evaluate(publish()), null);
  });

  it('builds unaliased paths as nested keys and keeps reading the payload afterwards', () => {
    assert.deepEqual(one('SELECT payload.x, payload.y.z[2] FROM "t/#"'), { payload: { x: 1, y: { z: [20] } } });
    assert.deepEqual(one('SELECT payload.x, payload.y.z FROM "t/#"'), { payload: { x: 1, y: { z: [10, 20, 30] } } });
  });

  it('walks indexes 1-based and from the end, and by variables', () => {
    assert.deepEqual(one('SELECT payload.y.z[1] as a, payload.y.z[-1] as b, payload.y.z[0] as c, payload.y.z[x] as d FROM "t/#"', publish({ x: 2 })),
      { a: 10, b: 30, c: undefined, d: 20 });
  });

  it('decodes JSON text met on a path, and gives undefined when it is not JSON', () => {
    assert.deepEqual(one('SELECT a.b as ab, c.d as cd FROM "t/#"', publish({ a: '{"b":[1]}', c: 'plain' })), { ab: [1], cd: undefined });
  });

  it('resolves double-quoted names as variables and single-quoted keys as keys', () => {
    assert.deepEqual(one(`SELECT "clientid" as c, pub_props.'User-Property'.k as k FROM "t/#"`, publish({ pub_props: { 'User-Property': { k: 'v' } } })),
      { c: 'c1', k: 'v' });
  });

  it('adds metadata.rule_id, keeping metadata already in the columns', () => {
    assert.deepEqual(one('SELECT metadata.rule_id as id FROM "t/#"'), { id: 'r1' });
    assert.deepEqual(one('SELECT metadata FROM "t/#"', publish({ metadata: { trace: 1 } })), { metadata: { trace: 1, rule_id: 'r1' } });
  });

  it('does not see inherited object properties as names or keys', () => {
    assert.deepEqual(one('SELECT constructor, payload.toString as t FROM "t/#"'), { constructor: undefined, t: undefined });
  });
});

describe('the payload', () => {
  it('is decoded only for paths: an invalid payload can still be selected whole', () => {
    assert.deepEqual(one('SELECT payload FROM "t/#"', publish({ payload: 'not json' })), { payload: 'not json' });
    const err = evaluationError('SELECT payload.x FROM "t/#"', publish({ payload: '' }));
    assert.equal(err.code, 'decode_json_failed');
    assert.equal(err.errorClass, 'select_and_transform_error');
  });

  it('may be bytes or an already decoded map', () => {
    assert.deepEqual(one('SELECT payload.x as x FROM "t/#"', publish({ payload: Buffer.from('{"x":5}') })), { x: 5 });
    assert.deepEqual(one('SELECT payload.x as x FROM "t/#"', publish({ payload: { x: 6 } })), { x: 6 });
  });

  it('is re-decoded when a field replaced it with other text', () => {
    assert.equal(evaluationError("SELECT 'abc' as payload, payload.x as x FROM \"t/#\"").code, 'decode_json_failed');
  });

  it('keeps its other keys when written into after being selected raw', () => {
    assert.deepEqual(one("SELECT payload, 'v' as payload.y.new FROM \"t/#\"", publish({ payload: '{"x":1,"y":{"a":2}}' })),
      { payload: { x: 1, y: { a: 2, new: 'v' } } });
  });

  it('tells JSON null from undefined', () => {
    assert.deepEqual(one("SELECT payload.n = 'null' as a, is_null(payload.n) as b, is_null(payload.q) as c FROM \"t/#\""),
      { a: true, b: false, c: true });
  });
});

describe('AS targets', () => {
  it('appends, prepends and replaces list elements', () => {
    assert.deepEqual(one('SELECT [] as c, 1 as c[-0], 2 as c[-0], 0 as c[0], 9 as c[2] FROM "t/#"'), { c: [0, 9, 2] });
  });

  it('adds keys next to existing ones without touching the input', () => {
    const columns = publish();
    assert.deepEqual(one('SELECT json_decode(payload) as p, payload.x as p.copy FROM "t/#"', columns),
      { p: { x: 1, y: { z: [10, 20, 30] }, n: null, copy: 1 } });
    assert.deepEqual(one('SELECT flags, true as flags.extra FROM "t/#"', publish({ flags: { dup: false } })),
      { flags: { dup: false, extra: true } });
    assert.equal(columns.payload, '{"x":1,"y":{"z":[10,20,30]},"n":null}');
  });

  it('replaces a scalar on the way with a map, and reads target indexes from the output', () => {
    assert.deepEqual(one("SELECT 1 as k, 'v' as k.t FROM \"t/#\""), { k: { t: 'v' } });
    assert.deepEqual(one("SELECT [1,2] as l, 2 as i, 'x' as l[i] FROM \"t/#\""), { l: [1, 'x'], i: 2 });
    assert.deepEqual(one("SELECT [1,2] as l, 'x' as l[qos] FROM \"t/#\""), { l: [1, 2] }, 'qos is a column, not selected');
  });

  it('stores string constants under their own text and other expressions under generated keys', () => {
    const row = one("SELECT 'hello', upper('a'), 1 + 1 FROM \"t/#\"");
    assert.equal(row.hello, 'hello');
    const generated = Object.keys(row).filter((k) => k.startsWith('_v_'));
    assert.equal(generated.length, 2);
    assert.deepEqual(generated.map((k) => row[k]).sort(), [2, 'A']);
  });

  it('does not let one evaluation change what the next one sees', () => {
    const rule = compileRule('SELECT payload.y as y, 5 as y.added FROM "t/#"');
    const columns = publish();
    const first = rule.evaluate(columns);
    const second = rule.evaluate(columns);
    assert.deepEqual(first, second);
    assert.deepEqual(second, [{ y: { z: [10, 20, 30], added: 5 } }]);
  });
});

describe('FOREACH', () => {
  const sensors = publish({ payload: '{"s":[{"v":1},{"v":5},{"v":9}],"lim":4}' });

  it('filters with INCASE and shapes each row with DO', () => {
    const rows = compileRule('FOREACH payload.s as e DO e.v as v, clientid INCASE e.v > payload.lim FROM "t/#"').evaluate(sensors);
    assert.deepEqual(rows, [{ v: 5, clientid: 'c1' }, { v: 9, clientid: 'c1' }]);
  });

  it('gives no rows for a collection that is not a list, and no match when WHERE is false', () => {
    assert.deepEqual(compileRule('FOREACH payload.lim FROM "t/#"').evaluate(sensors), []);
    assert.equal(compileRule('FOREACH payload.s FROM "t/#" WHERE qos = 2').evaluate(sensors), null);
  });

  it('iterates a bare payload holding a JSON list', () => {
    const rows = compileRule('FOREACH payload DO item as v FROM "t/#"').evaluate(publish({ payload: '[1,2]' }));
    assert.deepEqual(rows, [{ v: 1 }, { v: 2 }]);
  });

  it('names the clause of each runtime error as EMQX does', () => {
    assert.equal(evaluationError('FOREACH payload.s DO item.v / 0 as r FROM "t/#"', sensors).errorClass, 'doeach_error');
    assert.equal(evaluationError('FOREACH payload.s INCASE item.v FROM "t/#"', sensors).errorClass, 'match_incase_error');
    assert.equal(evaluationError('FOREACH payload.s FROM "t/#" WHERE qos', sensors).errorClass, 'match_conditions_error');
    assert.equal(evaluationError('FOREACH payload.s.x[1..2] FROM "t/#"', sensors).errorClass, 'select_and_collect_error');
  });
});

describe('conditions', () => {
  const match = (where: string, columns = publish({ a: 1, b: 2 })): boolean =>
    compileRule(`SELECT 1 as r FROM "t/#" WHERE ${where}`).evaluate(columns) !== null;

  it('negates AND, OR, IN and NOT IN as standard SQL does (deviation from EMQX, which raises)', () => {
    assert.equal(match('NOT (a = 1 AND b = 3)'), true);
    assert.equal(match('NOT (a = 1 OR b = 3)'), false);
    assert.equal(match('a NOT IN (2, 3)'), true);
    assert.equal(match('a NOT IN (1, 3)'), false);
    assert.equal(match('NOT a IN (1)'), false);
    assert.equal(match('NOT NOT a = 1'), true);
  });

  it('treats NOT of anything but a boolean as false, as EMQX does', () => {
    assert.equal(match('NOT a'), false);
    assert.equal(match('NOT x'), false);
    assert.equal(match('NOT is_null(a)'), true);
  });

  it('uses exact equality for IN and the simple CASE', () => {
    assert.equal(match("'1' IN (1)"), false);
    assert.equal(match('a IN (b - 1)'), true);
    assert.deepEqual(one("SELECT CASE qos WHEN '1' THEN 'text' WHEN 1 THEN 'number' END as r FROM \"t/#\""), { r: 'number' });
  });

  it('compares a string with a number numerically, and raises when the string is not a number', () => {
    assert.equal(match("'10' > 9"), true);
    const err = evaluationError("SELECT 'abc' = 1 as r FROM \"t/#\"");
    assert.match(err.message, /operator =: cannot compare the string "abc" with a number/);
  });

  it('gives false for every operator when exactly one side is undefined', () => {
    assert.equal(match('x != 1'), false);
    assert.equal(match('x = y'), true);
    assert.equal(match('x <> y'), false);
  });

  it('matches topics with =~', () => {
    assert.equal(match("topic =~ 't/+'"), true);
    assert.equal(match("'$SYS/x' =~ '#'"), false);
  });

  it('helpers such as clientid() give undefined in WHERE but the column in SELECT', () => {
    assert.equal(match('is_null(clientid())'), true);
    assert.deepEqual(one('SELECT clientid() as c FROM "t/#"'), { c: 'c1' });
  });

  it('rejects a bare name as a condition at runtime', () => {
    const err = evaluationError('SELECT 1 as r FROM "t/#" WHERE a', publish({ a: true }));
    assert.equal(err.errorClass, 'match_conditions_error');
    assert.match(err.message, /a condition must be a comparison/);
  });
});

describe('arithmetic', () => {
  it('follows EMQX: + concatenates text, div truncates, mod keeps the dividend sign', () => {
    assert.deepEqual(one("SELECT 1 + 2 + 'x' as a, 'x' + 0.5 as b, -7 div 2 as c, -7 mod 3 as d, div(7, 2) as e, mod(7, 2) as f FROM \"t/#\""),
      { a: '3x', b: 'x0.5', c: -3, d: -1, e: 3, f: 1 });
  });

  it('names the operator and the offending types in errors', () => {
    assert.match(evaluationError('SELECT x + 1 as r FROM "t/#"').message, /operator \+: cannot add undefined and integer/);
    assert.match(evaluationError("SELECT '2' * 3 as r FROM \"t/#\"").message, /operator \*: expected two numbers, got string and integer/);
    assert.match(evaluationError('SELECT 1 / 0 as r FROM "t/#"').message, /division by zero/);
    assert.match(evaluationError('SELECT 7.5 div 2 as r FROM "t/#"').message, /operator div: expected two integers, got float and integer/);
    assert.match(evaluationError("SELECT -'a' as r FROM \"t/#\"").message, /unary -: expected a number, got string/);
  });

  it('builds ranges and range gets', () => {
    assert.deepEqual(one('SELECT [1..4] as r, payload.y.z[2..3] as g, payload.y.z[-2..-1] as h FROM "t/#"'),
      { r: [1, 2, 3, 4], g: [20, 30], h: [20, 30] });
    assert.equal(evaluationError('SELECT payload.x[1..2] as r FROM "t/#"').code, 'range_get');
  });
});

describe('lexical rules', () => {
  it('keeps string literals verbatim and treats keywords case-insensitively', () => {
    assert.deepEqual(one("select 'it''s' as a, '''x''' as b, 'a\\nb' as c from \"t/#\" where TRUE = x"), { a: "it''s", b: 'x', c: 'a\\nb' });
  });

  it('skips comments that end with a line break and deletes the legacy `\\n/` sequence', () => {
    assert.deepEqual(one('SELECT -- the id\n  clientid\n/ FROM "t/#"'), { clientid: 'c1' });
  });
});

describe('evaluateMatched (for callers that already ran matches)', () => {
  it('gives what evaluate gives once FROM matched, and still applies WHERE', () => {
    const rule = compileRule('SELECT payload.x as x FROM "t/#" WHERE payload.x > 0', { id: 'r1' });
    assert.ok(rule.matches(publish()));
    assert.deepEqual(rule.evaluateMatched(publish()), rule.evaluate(publish()));
    assert.equal(rule.evaluateMatched(publish({ payload: '{"x":-1}' })), null);
  });

  it('does not check FROM again: evaluate alone refuses a topic that evaluateMatched is trusted with', () => {
    const rule = compileRule('SELECT topic FROM "t/#"', { id: 'r1' });
    const other = publish({ topic: 'u/1' });
    assert.equal(rule.evaluate(other), null);
    assert.deepEqual(rule.evaluateMatched(other), [{ topic: 'u/1' }]);
  });
});
