// The one JSON encoder (src/json/encode.ts): the rule engine's json_encode and the sink's emqx
// encoding write the same text for the same value (issue 10 B).
import { strict as assert } from 'node:assert';
import { compileRule } from '../../src/rules';
import { encodeItem } from '../../src/dynamo/item/encoding';
import { jsonText, JsonValueError } from '../../src/json/encode';

describe('jsonText (json_encode and the emqx encoding)', () => {
  it('gives the rule json_encode and the sink the same text for a map holding bytes that are not UTF-8', () => {
    const rule = compileRule(`SELECT 'dev-1' as id, map_put('raw', payload, map_new()) as m, json_encode(map_put('raw', payload, map_new())) as j FROM "b/#"`);
    const [row] = rule.evaluate({ topic: 'b/1', payload: Buffer.from([0x53, 0x80, 0x53]) }) ?? [];
    assert.equal(row.j, '{"raw":"S\uFFFDS"}');
    const item = encodeItem(row, { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' });
    assert.deepEqual(item.m, { S: row.j });
  });

  it('writes plain JSON exactly as JSON.stringify does', () => {
    for (const v of [{ a: [1, 'x', null, true, { b: -1.5e-7 }] }, [], {}, 'q"\\\n', 0, -0, 1e21, { __proto__x: 1 }]) {
      assert.equal(jsonText(v), JSON.stringify(v));
    }
  });

  it('writes undefined as "undefined", BigInt with all digits, bytes as text with U+FFFD', () => {
    assert.equal(jsonText({ u: undefined, l: [undefined] }), '{"u":"undefined","l":["undefined"]}');
    assert.equal(jsonText({ n: 1724442618569203714n }), '{"n":1724442618569203714}');
    assert.equal(jsonText([Buffer.from([0xff, 0x41])]), '["\uFFFDA"]');
  });

  it('fails with JsonValueError naming the path, and fails bytes when asked to (templates)', () => {
    assert.throws(() => jsonText({ a: [0, { f: () => 1 }] }, 'm'), (e: JsonValueError) => e instanceof JsonValueError && e.path === 'm.a[1].f');
    assert.throws(() => jsonText({ b: Buffer.from([0x80]) }, '', { invalidUtf8: 'error' }), (e: JsonValueError) => e.problem === 'bytes' && e.path === 'b');
  });

  it('makes json_encode in a rule fail with a clear error for what it cannot write', () => {
    const rule = compileRule('SELECT json_encode(payload) as j FROM "t"');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => rule.evaluate({ topic: 't', payload: loop }), /json_encode: the value at self refers back to a value that contains it \(a cycle\)/);
  });
});
