// Templates with the values a function node or a rule can hand the sink (DESIGN.md 4): Map,
// Set, Date, BigInt, bytes that are not UTF-8 (issue 10 B and C), a key named __proto__.
import { strict as assert } from 'node:assert';
import { encodeItem, ItemError } from '../../../src/dynamo/item/encoding';
import { compileTemplate } from '../../../src/dynamo/item/template';

const when = new Date(Date.UTC(2026, 10, 29, 9, 30, 0, 123));
const bad = Buffer.from([0x53, 0x80, 0x53]);

function templateError(fill: () => unknown, ...parts: RegExp[]): void {
  assert.throws(fill, (err: unknown) => {
    assert.ok(err instanceof ItemError, String(err));
    assert.equal(err.code, 'template');
    assert.equal(err.retryable, false);
    for (const part of parts) assert.match(err.message, part);
    return true;
  });
}

describe('compileTemplate with JavaScript values', () => {
  const row = { id: 'dev-1', calib: new Map<string, unknown>([['offset', 0.5]]), tags: new Set(['kitchen']), at: when, n: 1724442618569203714n };

  it('renders Map, Set, Date and BigInt inside strings as JSON text, ISO text and digits', () => {
    const fill = compileTemplate('{"id": "${id}", "c": "${calib}", "t": "${tags}", "at": "${at}", "n": "${n}"}');
    assert.deepEqual(fill(row), { id: 'dev-1', c: '{"offset":0.5}', t: '["kitchen"]', at: '2026-11-29T09:30:00.123Z', n: '1724442618569203714' });
  });

  it('walks into a Map on a placeholder path', () => {
    assert.deepEqual(compileTemplate('{"id": "${id}", "o": ${calib.offset}}')(row), { id: 'dev-1', o: 0.5 });
  });

  it('passes Map, Set and Date values of bare placeholders on to the encoding', () => {
    const out = compileTemplate('{"id": "${id}", "c": ${calib}, "t": ${tags}, "at": ${at}}')(row);
    assert.deepEqual(encodeItem(out, { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' }), {
      id: { S: 'dev-1' },
      c: { M: { offset: { N: '0.5' } } },
      t: { SS: ['kitchen'] },
      at: { S: '2026-11-29T09:30:00.123Z' },
    });
  });

  it('fails a placeholder inside a string whose bytes are not UTF-8, naming it and the fix', () => {
    templateError(
      () => compileTemplate('{"id": "${id}", "raw": "x${payload}"}')({ id: 'a', payload: bad }),
      /^template placeholder \$\{payload\} holds bytes that are not UTF-8 text/,
      /without changing them/,
      /"raw": \$\{payload\}/,
      /base64_encode/,
    );
  });

  it('fails bytes that are not UTF-8 nested in a map or list, in a string or bare', () => {
    const m = { raw: bad };
    templateError(() => compileTemplate('{"id": "${id}", "m": "${m}"}')({ id: 'a', m }), /placeholder \$\{m\} \(at raw\) holds bytes that are not UTF-8/);
    templateError(() => compileTemplate('{"id": "${id}", "m": ${m}}')({ id: 'a', m }), /placeholder \$\{m\} \(at raw\) holds bytes/);
    templateError(() => compileTemplate('{"id": "${id}", "l": [${payload}]}')({ id: 'a', payload: bad }), /placeholder \$\{payload\} holds bytes/);
    templateError(() => compileTemplate('{"id": "${id}", "m": {"raw": ${payload}}}')({ id: 'a', payload: bad }), /placeholder \$\{payload\} holds bytes/);
    templateError(() => compileTemplate('${p}')({ p: { id: 'a', m: { raw: bad } } }), /placeholder \$\{p\} \(at raw\) holds bytes/);
  });

  it('writes bytes that are a whole attribute as binary, and UTF-8 bytes anywhere as text', () => {
    const out = compileTemplate('{"id": "${id}", "raw": ${payload}, "m": {"t": ${text}}, "s": "${text}"}')({ id: 'a', payload: bad, text: Buffer.from('héllo') });
    const item = encodeItem(out, { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' });
    assert.deepEqual(Buffer.from(item.raw.B as Uint8Array), bad);
    assert.deepEqual(item.m, { S: '{"t":"héllo"}' });
    assert.deepEqual(item.s, { S: 'héllo' });
    const whole = compileTemplate('${p}')({ p: { id: 'a', raw: bad } });
    assert.deepEqual(Buffer.from(encodeItem(whole, { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' }).raw.B as Uint8Array), bad);
  });

  it('fails a function, NaN or a cycle in a placeholder with its name', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    templateError(() => compileTemplate('{"id": "${id}", "f": "${f}"}')({ id: 'a', f: () => 1 }), /placeholder \$\{f\} is a function/);
    templateError(() => compileTemplate('{"id": "${id}", "m": "${m}"}')({ id: 'a', m: { x: NaN } }), /placeholder \$\{m\} x is NaN|placeholder \$\{m\} \(at x\) is NaN/);
    templateError(() => compileTemplate('{"id": "${id}", "m": "${m}"}')({ id: 'a', m: loop }), /placeholder \$\{m\} \(at self\).*cycle/);
  });

  it('keeps a key named __proto__, literal or from a placeholder', () => {
    const out = compileTemplate('{"id": "${id}", "__proto__": 1, "${k}": 2}')({ id: 'a', k: '__proto__' });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 2);
    assert.deepEqual(Object.keys(out), ['id', '__proto__']);
  });
});
