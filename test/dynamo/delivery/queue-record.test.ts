// A queued write's record (src/dynamo/queue.ts): the compact JSON text the queue and the disk
// buffer keep must give back the same WriteRequest, binary values included, whichever parse
// path the record takes.
import * as assert from 'node:assert/strict';
import { parseWrite, serializeWrite, type WriteRequest } from '../../../src/dynamo/delivery/queue';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('queued write records', function () {
  it('round-trips a put of strings and numbers', function () {
    const req: WriteRequest = {
      table: 'mqtt_msg',
      operation: 'put',
      key: { id: { S: 'a-1' } },
      item: { id: { S: 'a-1' }, temp: { N: '27.5' }, payload: { S: '{"temp":27.5}' }, empty: { NULL: true } },
    };
    assert.deepEqual(parseWrite(serializeWrite(req)), req);
  });

  it('round-trips an update with its expressions, values (binary included), token and expectations', function () {
    const req: WriteRequest = {
      table: 'devices',
      operation: 'update',
      key: { id: { S: 'd1' } },
      item: { id: { S: 'd1' } },
      expression: {
        update: 'SET #u0 = :u0 ADD #u1 :u1',
        condition: 'attribute_not_exists(#c0) OR #c1 < :c0',
        names: { '#u0': 'last', '#u1': 'count', '#c0': 'id', '#c1': 'ts' },
        values: { ':u0': { B: bytes(1, 2) }, ':u1': { N: '1' }, ':c0': { N: '5' } },
        token: '6f1c2a9e-1d1b-4f7e-9c55-0a4f4f1f7a10',
        expect: [{ path: ['last'], value: ':u0' }, { path: ['gone', 0] }],
      },
    };
    assert.deepEqual(parseWrite(serializeWrite(req)), req);
    const plain: WriteRequest = { table: 't', operation: 'put', key: { id: { S: 'a' } }, item: { id: { S: 'a' } } };
    assert.ok(!('expression' in parseWrite(serializeWrite(plain))), 'a plain put stays without an expression');
  });

  it('round-trips binary values at the top level and nested in M and L as Uint8Array', function () {
    const req: WriteRequest = {
      table: 't',
      operation: 'put',
      key: { id: { B: bytes(0, 255) } },
      item: {
        id: { B: bytes(0, 255) },
        raw: { B: bytes(0xc3, 0x28) },
        nested: { M: { inner: { B: bytes(1, 2, 3) }, list: { L: [{ B: bytes(9) }, { S: 'x' }] } } },
        set: { BS: [bytes(4), bytes(5, 6)] },
      },
    };
    const back = parseWrite(serializeWrite(req));
    assert.ok(back.key.id.B instanceof Uint8Array);
    assert.ok((back.item.nested.M!.list.L![0].B as unknown) instanceof Uint8Array);
    assert.deepEqual(back, req);
  });

  it('keeps a string that merely contains the text "$b64" as text', function () {
    const req: WriteRequest = {
      table: 't',
      operation: 'update',
      key: { id: { S: 'k' } },
      item: { id: { S: 'k' }, note: { S: '{"$b64":"AAE="}' }, plain: { S: '$b64' } },
    };
    assert.deepEqual(parseWrite(serializeWrite(req)), req);
  });

  it('writes binary values as {"$b64": ...} and everything else as plain compact JSON', function () {
    const plain: WriteRequest = { table: 't', operation: 'put', key: { id: { S: 'k' } }, item: { id: { S: 'k' }, n: { N: '1' } } };
    assert.equal(serializeWrite(plain), '{"t":"t","o":"put","k":{"id":{"S":"k"}},"i":{"id":{"S":"k"},"n":{"N":"1"}}}');
    const binary: WriteRequest = { table: 't', operation: 'put', key: { id: { S: 'k' } }, item: { id: { S: 'k' }, b: { B: bytes(0, 1) } } };
    assert.equal(serializeWrite(binary), '{"t":"t","o":"put","k":{"id":{"S":"k"}},"i":{"id":{"S":"k"},"b":{"B":{"$b64":"AAE="}}}}');
  });

  it('reads a delete record as written by an earlier run (disk buffer format)', function () {
    const record = '{"t":"mqtt_msg","o":"delete","k":{"id":{"S":"x"}},"i":{"id":{"S":"x"}}}';
    assert.deepEqual(parseWrite(record), { table: 'mqtt_msg', operation: 'delete', key: { id: { S: 'x' } }, item: { id: { S: 'x' } } });
  });
});
