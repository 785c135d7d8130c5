// Specification of item templates (DESIGN.md section 4).
import { strict as assert } from 'node:assert';
import { ItemError } from '../../../src/dynamo/item/encoding';
import { compileTemplate, lookupPath, TemplateSyntaxError } from '../../../src/dynamo/item/template';

describe('compileTemplate', () => {
  const row = {
    id: 'm1',
    clientid: 'emqx_c',
    qos: 1,
    payload: '{"temp": 21.5, "meta": {"room": "kitchen"}, "tags": ["a", "b"], "quote": "say \\"hi\\""}',
    flags: { retain: false },
    username: undefined,
    nothing: null,
  };

  it('fills placeholders inside strings as text', () => {
    const fill = compileTemplate('{"id": "${id}", "who": "client ${clientid} at qos ${qos}"}');
    assert.deepEqual(fill(row), { id: 'm1', who: 'client emqx_c at qos 1' });
  });

  it('decodes a JSON string met on the path (payload.temp)', () => {
    const fill = compileTemplate('{"id": "${id}", "temp": ${payload.temp}, "room": "${payload.meta.room}"}');
    assert.deepEqual(fill(row), { id: 'm1', temp: 21.5, room: 'kitchen' });
  });

  it('inserts a bare placeholder as the JSON value itself (numbers, objects, arrays, booleans)', () => {
    const fill = compileTemplate('{"id": ${id}, "qos": ${qos}, "flags": ${flags}, "tags": ${payload.tags}, "meta": ${payload.meta}}');
    assert.deepEqual(fill(row), { id: 'm1', qos: 1, flags: { retain: false }, tags: ['a', 'b'], meta: { room: 'kitchen' } });
  });

  it('keeps the result valid when values hold quotes, backslashes and newlines', () => {
    const fill = compileTemplate('{"id": "${id}", "q": "quoted: ${payload.quote}", "raw": "${text}"}');
    const out = fill({ ...row, text: 'a\\b\n"c"' });
    assert.deepEqual(out, { id: 'm1', q: 'quoted: say "hi"', raw: 'a\\b\n"c"' });
    assert.deepEqual(JSON.parse(JSON.stringify(out)), out);
  });

  it('renders objects inside strings as JSON, undefined as "undefined" and null as "null"', () => {
    const fill = compileTemplate('{"id": "${id}", "f": "${flags}", "u": "${username}", "n": "${nothing}", "m": "${missing.path}"}');
    assert.deepEqual(fill(row), { id: 'm1', f: '{"retain":false}', u: 'undefined', n: 'null', m: 'undefined' });
  });

  it('gives undefined for a bare missing value, so the encoder applies undefinedVarsAsNull', () => {
    const out = compileTemplate('{"id": "${id}", "u": ${username}, "x": ${payload.nope}}')(row);
    assert.ok('u' in out && out.u === undefined && 'x' in out && out.x === undefined);
  });

  it('allows placeholders in keys, literals of every JSON type, and nesting', () => {
    const fill = compileTemplate('{"${clientid}": {"list": [1, -2.5e1, true, false, null, "s\\u00e9"], "on": "${qos}"}}');
    assert.deepEqual(fill(row), { emqx_c: { list: [1, -25, true, false, null, 'sé'], on: '1' } });
  });

  it('accepts a template that is one bare placeholder when the value is an object', () => {
    const fill = compileTemplate('${payload}');
    assert.deepEqual(fill(row), JSON.parse(row.payload));
    assert.throws(
      () => fill({ payload: 'not json' }),
      (err: unknown) => err instanceof ItemError && err.code === 'template' && err.retryable === false,
    );
    assert.throws(() => fill({ payload: '[1,2]' }), ItemError);
  });

  describe('compile errors name line and column', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{"id": "${id}",}', 1, 16, /expected a key/],
      ['{\n  "id": ${id\n}', 2, 9, /unterminated placeholder/],
      ['{"a": ${}}', 1, 7, /bad placeholder/],
      ['{"a": ${a..b}}', 1, 7, /bad placeholder/],
      ['{"a": 1 "b": 2}', 1, 9, /expected ',' or '}'/],
      ['{"a": "open}', 1, 7, /unterminated string/],
      ['[1, 2]', 1, 1, /must be a JSON object/],
      ['"text"', 1, 1, /must be a JSON object/],
      ['{"a": 1} x', 1, 10, /unexpected text/],
      ['{"a": tru}', 1, 7, /expected a value/],
      ['', 1, 1, /empty/],
    ];
    for (const [text, line, column, reason] of cases) {
      it(`${JSON.stringify(text)} → line ${line}, column ${column}`, () => {
        assert.throws(
          () => compileTemplate(text),
          (err: unknown) =>
            err instanceof TemplateSyntaxError &&
            err.line === line &&
            err.column === column &&
            reason.test(err.message) &&
            err.message.startsWith(`template line ${line}, column ${column}: `),
        );
      });
    }
  });
});

describe('lookupPath', () => {
  it('walks objects and decodes JSON strings and Buffers on the way', () => {
    assert.equal(lookupPath({ p: Buffer.from('{"a":{"b":3}}') }, ['p', 'a', 'b']), 3);
    assert.equal(lookupPath({ p: '{"a":"{\\"b\\":4}"}' }, ['p', 'a', 'b']), 4);
    assert.equal(lookupPath({ p: 'plain' }, ['p', 'a']), undefined);
    assert.equal(lookupPath({ p: { a: 1 } }, ['p', 'toString']), undefined);
  });
});
