// A payload object handed to rule-sql (a function node's Map, a JSON node's object) becomes the
// JSON text EMQX rules see, with the encoder json_encode and the sink use (issue 10 C).
import { strict as assert } from 'node:assert';
import { compileRule } from '../../src/rules';
import { MessageColumnMapper } from '../../src/events';
import { payloadText } from '../../src/events/columns';

describe('payloadText of objects', () => {
  it('writes a Map, Set, Date and BigInt as what they hold', () => {
    assert.equal(payloadText({ calib: new Map([['offset', 0.5]]), tags: new Set(['kitchen']), n: 1724442618569203714n }),
      '{"calib":{"offset":0.5},"tags":["kitchen"],"n":1724442618569203714}');
    assert.equal(payloadText(new Map([['a', 1]])), '{"a":1}');
    assert.equal(payloadText({ at: new Date(Date.UTC(2026, 0, 1)) }), '{"at":"2026-01-01T00:00:00.000Z"}');
  });

  it('fails a payload that cannot be JSON, naming the path', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => payloadText({ m: { cb: () => 1 } }), /^Error: msg\.payload\.m\.cb is a function/);
    assert.throws(() => payloadText(loop), /msg\.payload\.self refers back to a value that contains it \(a cycle\)/);
  });

  it('lets a rule read inside a Map payload', () => {
    const [columns] = new MessageColumnMapper().columnsFrom({ topic: 't/1', payload: new Map([['temp', 21.5]]) });
    const rows = compileRule('SELECT payload.temp as temp FROM "t/#"').evaluate(columns);
    assert.deepEqual(rows, [{ temp: 21.5 }]);
  });
});
