// Specification of item encoding (DESIGN.md section 4), including the seed's scan output.
import { strict as assert } from 'node:assert';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { decodeItem, encodeItem, ItemError, itemSize, keyOf, MAX_ITEM_BYTES, type EncodeOptions } from '../../../src/dynamo/item/encoding';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const seedScan = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/seed-scan.json'), 'utf8')) as { Items: unknown[] };

const emqx: EncodeOptions = { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' };
const native: EncodeOptions = { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' };

describe('encodeItem', () => {
  describe('emqx encoding (what EMQX writes)', () => {
    it('reproduces the seed scan exactly for the three seed items', () => {
      // The rows EMQX's rules produced in the seed walkthrough (SELECT * on t/#, and
      // SELECT str(event) + timestamp as id, * on the client events), with EMQX's value types.
      const messageRow = {
        metadata: { rule_id: '90d98f59' },
        peerhost: '127.0.0.1',
        clientid: 'emqx_c',
        flags: { retain: false, dup: false },
        node: 'emqx@127.0.0.1',
        qos: 0,
        payload: '{ "msg": "hello DynamoDB" }',
        pub_props: { 'User-Property': {} },
        publish_received_at: 1678263363503,
        topic: 't/1',
        id: '0005F65F239F03FEF44300000BB40002',
        event: 'message.publish',
        username: undefined,
        timestamp: 1678263363503,
      };
      const connectedRow = {
        conn_props: { 'User-Property': {}, 'Request-Problem-Information': 1 },
        peername: '127.0.0.1:59582',
        metadata: { rule_id: '703890a5' },
        clientid: 'emqx_c',
        is_bridge: false,
        keepalive: 30,
        proto_ver: 5,
        proto_name: 'MQTT',
        connected_at: 1678263363499,
        receive_maximum: 32,
        sockname: '127.0.0.1:1883',
        mountpoint: undefined,
        node: 'emqx@127.0.0.1',
        id: 'client.connected1678263363499',
        expiry_interval: 0,
        event: 'client.connected',
        username: undefined,
        timestamp: 1678263363499,
        clean_start: true,
      };
      const disconnectedRow = {
        reason: 'normal',
        peername: '127.0.0.1:59582',
        metadata: { rule_id: '703890a5' },
        clientid: 'emqx_c',
        proto_ver: 5,
        proto_name: 'MQTT',
        sockname: '127.0.0.1:1883',
        disconn_props: { 'User-Property': {} },
        node: 'emqx@127.0.0.1',
        id: 'client.disconnected1678263363503',
        event: 'client.disconnected',
        disconnected_at: 1678263363503,
        username: undefined,
        timestamp: 1678263363503,
      };
      const encoded = [messageRow, connectedRow, disconnectedRow].map((row) => encodeItem(row, emqx));
      assert.deepEqual(encoded, seedScan.Items);
    });

    it('writes strings as S and leaves out empty strings', () => {
      assert.deepEqual(encodeItem({ id: 'a', s: 'text', empty: '' }, emqx), { id: { S: 'a' }, s: { S: 'text' } });
    });

    it('writes numbers as N text, integers and floats', () => {
      assert.deepEqual(encodeItem({ id: 1, f: 1.5, neg: -3, big: 12345678901234567890n }, emqx), {
        id: { N: '1' },
        f: { N: '1.5' },
        neg: { N: '-3' },
        big: { N: '12345678901234567890' },
      });
    });

    it('writes booleans as the strings "true" and "false"', () => {
      assert.deepEqual(encodeItem({ id: 'a', t: true, f: false }, emqx), { id: { S: 'a' }, t: { S: 'true' }, f: { S: 'false' } });
    });

    it('writes objects and arrays as compact JSON in S (EMQX fails on arrays; we do not)', () => {
      assert.deepEqual(encodeItem({ id: 'a', o: { x: [1, 'y'], q: 'say "hi"' }, arr: [1, { a: null }] }, emqx), {
        id: { S: 'a' },
        o: { S: '{"x":[1,"y"],"q":"say \\"hi\\""}' },
        arr: { S: '[1,{"a":null}]' },
      });
    });

    it('writes undefined as "undefined" and null as "null", or both as NULL with undefinedVarsAsNull', () => {
      assert.deepEqual(encodeItem({ id: 'a', u: undefined, n: null }, emqx), { id: { S: 'a' }, u: { S: 'undefined' }, n: { S: 'null' } });
      assert.deepEqual(encodeItem({ id: 'a', u: undefined, n: null }, { ...emqx, undefinedVarsAsNull: true }), {
        id: { S: 'a' },
        u: { NULL: true },
        n: { NULL: true },
      });
    });

    it('writes bytes that are valid UTF-8 as S and other bytes as B', () => {
      const binary = Buffer.from([0xff, 0x00, 0xc3]);
      const item = encodeItem({ id: 'a', text: Buffer.from('héllo'), bin: binary }, emqx);
      assert.deepEqual(item.text, { S: 'héllo' });
      assert.deepEqual(Buffer.from(item.bin.B as Uint8Array), binary);
    });

    it('rejects NaN and Infinity with the attribute name', () => {
      assert.throws(() => encodeItem({ id: 'a', t: NaN }, emqx), (err: ItemError) => err.code === 'bad_value' && /"t"/.test(err.message));
    });
  });

  describe('native encoding', () => {
    it('maps JSON onto M, L, BOOL, NULL, B, N and S', () => {
      const item = encodeItem(
        { id: 'a', m: { x: 1, y: [true, null, 'z'], e: '' }, b: false, n: null, bytes: Buffer.from([1, 2]), num: 2.5 },
        native,
      );
      assert.deepEqual(item, {
        id: { S: 'a' },
        m: { M: { x: { N: '1' }, y: { L: [{ BOOL: true }, { NULL: true }, { S: 'z' }] }, e: { S: '' } } },
        b: { BOOL: false },
        n: { NULL: true },
        bytes: { B: Buffer.from([1, 2]) },
        num: { N: '2.5' },
      });
    });

    it('leaves out undefined map entries, or writes NULL with undefinedVarsAsNull; list holes are NULL', () => {
      assert.deepEqual(encodeItem({ id: 'a', u: undefined, l: [undefined] }, native), { id: { S: 'a' }, l: { L: [{ NULL: true }] } });
      assert.deepEqual(encodeItem({ id: 'a', u: undefined }, { ...native, undefinedVarsAsNull: true }), { id: { S: 'a' }, u: { NULL: true } });
    });

    it('round-trips through decodeItem', () => {
      const row = { id: 'k', n: 3, m: { a: [1, 'two', false, null] }, b: true };
      assert.deepEqual(decodeItem(encodeItem(row, native)), row);
    });
  });

  describe('key attributes', () => {
    it('fails with ItemError naming the attribute and the fix when the hash key is missing', () => {
      assert.throws(
        () => encodeItem({ clientid: 'c1' }, emqx),
        (err: unknown) =>
          err instanceof ItemError &&
          err.code === 'missing_key' &&
          err.retryable === false &&
          err.message.includes('"id"') &&
          err.message.includes('hashKey') &&
          err.message.includes('SELECT'),
      );
    });

    it('treats an undefined, null or empty key as missing (never the text "undefined")', () => {
      for (const id of [undefined, null, '']) {
        assert.throws(() => encodeItem({ id, x: 1 }, emqx), (err: ItemError) => err.code === 'missing_key');
      }
    });

    it('checks the range key too', () => {
      const options = { ...emqx, rangeKey: 'ts' };
      assert.throws(() => encodeItem({ id: 'a' }, options), (err: ItemError) => err.code === 'missing_key' && /"ts".*rangeKey/.test(err.message));
      assert.deepEqual(keyOf(encodeItem({ id: 'a', ts: 5, x: 'y' }, options), 'id', 'ts'), { id: { S: 'a' }, ts: { N: '5' } });
    });

    it('rejects a key that is not string, number or binary (native)', () => {
      assert.throws(() => encodeItem({ id: { a: 1 } }, native), (err: ItemError) => err.code === 'bad_key');
    });

    it('rejects a row that is not an object', () => {
      for (const row of [null, 'text', [1], 5]) {
        assert.throws(() => encodeItem(row, emqx), (err: ItemError) => err.code === 'not_object');
      }
    });
  });

  describe('item size', () => {
    it('counts names and strings in UTF-8 bytes, BOOL/NULL as 1, lists and maps with overhead', () => {
      const size = (item: Record<string, AttributeValue>) => itemSize(item);
      assert.equal(size({ id: { S: 'abc' } }), 2 + 3);
      assert.equal(size({ é: { S: 'ü' } }), 2 + 2);
      assert.equal(size({ b: { BOOL: true }, n: { NULL: true } }), 2 + 2);
      assert.equal(size({ n: { N: '12345' } }), 1 + 1 + 3);
      assert.equal(size({ l: { L: [{ S: 'ab' }] } }), 1 + 3 + 1 + 2);
      assert.equal(size({ m: { M: { k: { S: 'ab' } } } }), 1 + 3 + 1 + 1 + 2);
      assert.equal(size({ b: { B: new Uint8Array(10) } }), 1 + 10);
    });

    it('accepts an item of exactly 400 KB and rejects one byte more, never retried', () => {
      const fill = (n: number) => 'x'.repeat(MAX_ITEM_BYTES - 'id'.length - 1 - 'p'.length - n);
      assert.doesNotThrow(() => encodeItem({ id: 'a', p: fill(0) }, emqx));
      assert.throws(
        () => encodeItem({ id: 'a', p: fill(-1) }, emqx),
        (err: unknown) => err instanceof ItemError && err.code === 'too_large' && err.retryable === false && /400 KB/.test(err.message),
      );
    });
  });
});
