// The compiled write plan (src/dynamo/write-plan.ts): what one message becomes — table (with
// ${path}), operation, key, item or update, condition, names and values, token, TTL — decided
// in one place from the sink's settings.
import { strict as assert } from 'node:assert';
import { expiry, WritePlan, type WritePlanSettings } from '../../../src/dynamo/item/write-plan';

const BASE: WritePlanSettings = {
  table: 'mqtt_msg',
  template: '',
  operation: 'put',
  updateExpression: '',
  condition: '',
  ttlAttribute: '',
  ttlSeconds: 0,
  encode: { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' },
};
const plan = (s: Partial<WritePlanSettings>) => new WritePlan({ ...BASE, ...s });

describe('write plan', function () {
  it('a plain put: the whole row as the item, no expression at all', function () {
    const { request } = plan({}).plan({ id: 'a', v: 1 }, undefined);
    assert.deepEqual(request, { table: 'mqtt_msg', operation: 'put', key: { id: { S: 'a' } }, item: { id: { S: 'a' }, v: { N: '1' } } });
  });

  it('fills ${path} in the table name per message; a name DynamoDB would refuse fails that message only', function () {
    const p = plan({ table: 'telemetry_${payload.site}' });
    assert.equal(p.plan({ id: 'a', payload: '{"site": "north-1"}' }, undefined).request.table, 'telemetry_north-1');
    assert.throws(() => p.plan({ id: 'b', payload: { site: 'a/b' } }, undefined), /"telemetry_a\/b" from "telemetry_\$\{payload\.site\}" is not a valid DynamoDB table name/);
    assert.throws(() => p.plan({ id: 'c' }, undefined), /needs \$\{payload\.site\}, which this message lacks/, 'no row goes to "telemetry_"');
    assert.throws(() => p.plan({ id: 'd', payload: { site: { x: 1 } } }, undefined), /holds as object/);
    assert.throws(() => plan({ table: 'ab' }), /not a valid DynamoDB table name/, 'a fixed name is checked at deploy');
    assert.throws(() => plan({ table: 'x_${site' }), /bad placeholder at column 3/);
  });

  it('a put with a condition carries only the condition\'s names and values (DynamoDB refuses unused ones)', function () {
    const p = plan({ operation: 'msg', condition: 'attribute_not_exists(id) OR ts < ${ts}', updateExpression: 'ADD n 1' });
    const put = p.plan({ id: 'a', ts: 5 }, 'put').request;
    assert.deepEqual(put.expression, {
      condition: 'attribute_not_exists(#c0) OR #c1 < :c0',
      values: { ':c0': { N: '5' } },
      names: { '#c0': 'id', '#c1': 'ts' },
    });
    const update = p.plan({ id: 'a', ts: 6 }, 'update').request;
    assert.equal(update.expression!.update, 'ADD #u0 :u0');
    assert.deepEqual(update.expression!.names, { '#u0': 'n', '#c0': 'id', '#c1': 'ts' });
    assert.deepEqual(update.expression!.values, { ':u0': { N: '1' }, ':c0': { N: '6' } });
    assert.match(update.expression!.token!, /^[0-9a-f-]{36}$/, 'ADD: a ClientRequestToken of 36 characters');
    assert.notEqual(p.plan({ id: 'a', ts: 7 }, 'update').request.expression!.token, update.expression!.token, 'one token per message');
    assert.deepEqual(update.item, { id: { S: 'a' } }, 'the item only gives the key');
    const del = p.plan({ id: 'a', ts: 8 }, 'delete').request;
    assert.deepEqual([del.item, del.expression!.condition], [{ id: { S: 'a' } }, 'attribute_not_exists(#c0) OR #c1 < :c0']);
  });

  it('an idempotent update has no token; the default update has no expression unless there is a condition', function () {
    assert.equal(plan({ operation: 'update', updateExpression: 'SET a = ${a}' }).plan({ id: 'x', a: 1 }, undefined).request.expression!.token, undefined);
    assert.equal(plan({ operation: 'update' }).plan({ id: 'x', a: 1 }, undefined).request.expression, undefined);
  });

  it('TTL: the item (put, default update) or the SET clause (update expression); never on delete', function () {
    const row = { id: 'a', timestamp: 1767225600999 };
    assert.deepEqual(plan({ ttlAttribute: 'exp', ttlSeconds: 60 }).plan(row, undefined).request.item.exp, { N: String(1767225600 + 60) });
    const upd = plan({ operation: 'update', updateExpression: 'ADD n 1', ttlAttribute: 'exp', ttlSeconds: 60 }).plan(row, undefined).request;
    assert.equal(upd.expression!.update, 'SET #u0 = :u0 ADD #u1 :u1');
    assert.deepEqual(upd.expression!.values![':u0'], { N: String(1767225600 + 60) });
    assert.deepEqual(plan({ operation: 'delete', ttlAttribute: 'exp', ttlSeconds: 60 }).plan(row, undefined).request.item, { id: { S: 'a' } });
  });

  it('expiry = floor(timestamp ms / 1000) + ttlSeconds, or now when the row has no numeric timestamp', function () {
    assert.equal(expiry({ timestamp: 1999 }, 10, 0), 11);
    assert.equal(expiry({ timestamp: '5000' }, 0, 0), 5);
    assert.equal(expiry({ timestamp: 7000n as unknown as number }, 0, 0), 7);
    assert.equal(expiry({}, 100, 123456), 223);
    assert.equal(expiry({ timestamp: 'yesterday' }, 1, 9999), 10);
  });

  it('per-message errors name the payload or the operation', function () {
    const p = plan({ operation: 'msg' });
    assert.throws(() => p.plan('not json', 'put'), /msg\.payload is a string but not JSON/);
    assert.throws(() => p.plan([1], 'put'), /msg\.payload is an array, not an object/);
    assert.throws(() => p.plan({ id: 'a' }, 'upsert'), /msg\.operation is "upsert"/);
  });
});
