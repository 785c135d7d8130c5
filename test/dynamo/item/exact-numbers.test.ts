// Issue 10 kind A on the sink's side: a number beyond 2^53 leaves for DynamoDB with every digit
// (DESIGN.md section 2; DynamoDB's N keeps 38 digits): both encodings, templates (bare and
// quoted placeholders, literals, JSON text met on a path), the key identity used for batching,
// and numbers read back.

import { strict as assert } from 'node:assert';
import { decodeItem, encodeItem, type EncodeOptions } from '../../../src/dynamo/item/encoding';
import { keyIdentity } from '../../../src/dynamo/delivery/queue';
import { compileTemplate, lookupPath } from '../../../src/dynamo/item/template';

const SERIAL = 1724442618569203714n;
const emqx: EncodeOptions = { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' };
const native: EncodeOptions = { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' };

describe('exact numbers into DynamoDB items', () => {
  it('writes a BigInt as N with all its digits, alone and nested, in both encodings', () => {
    const row = { id: 'dev-1', serial: SERIAL, neg: -SERIAL, m: { s: SERIAL }, l: [SERIAL, 1], n: 12, f: 1.5 };
    assert.deepEqual(encodeItem(row, emqx), {
      id: { S: 'dev-1' }, serial: { N: String(SERIAL) }, neg: { N: `-${SERIAL}` },
      m: { S: `{"s":${SERIAL}}` }, l: { S: `[${SERIAL},1]` }, n: { N: '12' }, f: { N: '1.5' },
    });
    assert.deepEqual(encodeItem(row, native), {
      id: { S: 'dev-1' }, serial: { N: String(SERIAL) }, neg: { N: `-${SERIAL}` },
      m: { M: { s: { N: String(SERIAL) } } }, l: { L: [{ N: String(SERIAL) }, { N: '1' }] }, n: { N: '12' }, f: { N: '1.5' },
    });
    // 38 digits, DynamoDB's precision.
    const big = 10n ** 37n + 7n;
    assert.deepEqual(encodeItem({ id: 'x', big }, emqx).big, { N: String(big) });
  });

  it('a numeric partition key keeps its digits and its own identity in a batch', () => {
    const a = { id: { N: String(SERIAL) } };
    const b = { id: { N: String(SERIAL + 1n) } };
    assert.notEqual(keyIdentity('t', a), keyIdentity('t', b), 'two keys a double would take for one');
    assert.equal(keyIdentity('t', { id: { N: '12.0' } }), keyIdentity('t', { id: { N: '12' } }), 'the same number however written');
    assert.deepEqual(encodeItem({ id: SERIAL }, emqx), { id: { N: String(SERIAL) } });
  });

  it('reads N back exactly', () => {
    assert.deepEqual(decodeItem({ id: { N: String(SERIAL) }, n: { N: '12' }, f: { N: '1.5' }, ns: { NS: [String(SERIAL), '2'] } }),
      { id: SERIAL, n: 12, f: 1.5, ns: [SERIAL, 2] });
  });
});

describe('exact numbers in templates', () => {
  const row = { id: 'dev-1', serial: SERIAL, payload: `{"serial":${SERIAL},"m":{"s":${SERIAL}}}` };

  it('bare placeholders give the number, quoted ones its digits, maps JSON with digits', () => {
    const fill = compileTemplate('{"id": "${id}", "bare": ${serial}, "quoted": "${serial}", "fromPayload": ${payload.serial}, "text": "s=${payload.serial}", "m": "${payload.m}"}');
    const filled = fill(row);
    assert.deepEqual(filled, {
      id: 'dev-1', bare: SERIAL, quoted: String(SERIAL), fromPayload: SERIAL, text: `s=${SERIAL}`, m: `{"s":${SERIAL}}`,
    });
    assert.deepEqual(encodeItem(filled, emqx).bare, { N: String(SERIAL) });
    assert.deepEqual(encodeItem(filled, native).fromPayload, { N: String(SERIAL) });
  });

  it('keeps an integer literal of the template text', () => {
    assert.deepEqual(compileTemplate('{"id": "x", "n": 98765432109876543210, "f": 1.5, "small": 7}')(row), { id: 'x', n: 98765432109876543210n, f: 1.5, small: 7 });
  });

  it('a whole-template placeholder holding JSON text keeps its digits', () => {
    assert.deepEqual(compileTemplate('${payload}')(row), { serial: SERIAL, m: { s: SERIAL } });
    assert.equal(lookupPath(row, ['payload', 'm', 's']), SERIAL);
  });
});
