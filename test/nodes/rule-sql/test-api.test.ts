// Specification of the rule-sql admin endpoints (DESIGN.md section 5), as EMQX's rule_test
// (reference section 6): POST /rule-sql/test, POST /rule-sql/validate, GET /rule-sql/events.

import { strict as assert } from 'node:assert';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { helper } from './harness';

describe('rule-sql admin endpoints', function () {
  before((done) => {
    helper.load(ruleSqlNode, [{ id: 'r1', type: 'rule-sql', sql: 'SELECT * FROM "t/#"', wires: [[]] }], done);
  });
  after(async () => {
    await helper.unload();
  });

  const test = (body: unknown) => helper.request().post('/rule-sql/test').set('Content-Type', 'application/json').send(body);

  it('answers 200 with the SELECT row, filling unsupplied columns with EMQX example values', async () => {
    const res = await test({
      sql: 'SELECT payload.msg as msg, clientid, username, topic, qos, peerhost, node, mountpoint FROM "t/#"',
      context: { event_type: 'message_publish', topic: 't/a', payload: '{"msg":"hello"}' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.msg, 'hello');
    assert.equal(res.body.clientid, 'c_emqx');
    assert.equal(res.body.username, 'u_emqx');
    assert.equal(res.body.qos, 1);
    assert.equal(res.body.peerhost, '192.168.0.10');
    assert.match(res.body.node, /^node-red@/);
    assert.equal(res.body.mountpoint, 'undefined', 'undefined is encoded as the string "undefined"');
  });

  it('answers integers beyond 2^53 with all their digits (JSON text, as EMQX)', async () => {
    const res = await test({
      sql: 'SELECT payload.serial as serial, payload.serial + 1 as next, str(payload.serial) as text FROM "t/#"',
      context: { event_type: 'message_publish', topic: 't/a', payload: '{"serial":1724442618569203714}' },
    });
    assert.equal(res.status, 200);
    assert.match(res.text, /"serial":1724442618569203714,"next":1724442618569203715,"text":"1724442618569203714"/);
  });

  it('gives the full example column set for SELECT * on an event', async () => {
    const res = await test({
      sql: 'SELECT * FROM "$events/client_connected"',
      context: { event_type: 'client_connected', clientid: 'dev1' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.clientid, 'dev1');
    assert.equal(res.body.event, 'client.connected');
    assert.equal(res.body.peername, '192.168.0.10:56431');
    assert.equal(res.body.sockname, '0.0.0.0:1883');
    assert.equal(res.body.mountpoint, 'undefined');
    assert.deepEqual(res.body.metadata, { rule_id: 'rule_sql_test' });
    assert.deepEqual(res.body.conn_props['User-Property'], { foo: 'bar' });
    assert.equal(res.body.client_attrs, undefined, 'client_attrs is readable by name, not copied by *');
    const named = await test({ sql: 'SELECT client_attrs FROM "$events/client/connected"', context: { event_type: 'client_connected' } });
    assert.deepEqual(named.body, { client_attrs: { test: 'example' } });
  });

  it('answers an array for FOREACH, possibly empty', async () => {
    const rows = await test({
      sql: 'FOREACH payload.a as x DO x FROM "t/#"',
      context: { event_type: 'message_publish', payload: '{"a":[1,2]}' },
    });
    assert.equal(rows.status, 200);
    assert.deepEqual(rows.body, [{ x: 1 }, { x: 2 }]);
    const none = await test({ sql: 'FOREACH payload.a FROM "t/#"', context: { event_type: 'message_publish', payload: '{"a":[]}' } });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, []);
  });

  it('answers 412 NOT_MATCH when FROM does not match or WHERE is false', async () => {
    for (const body of [
      { sql: 'SELECT * FROM "x/#"', context: { event_type: 'message_publish' } },
      { sql: 'SELECT * FROM "t/#" WHERE qos = 2', context: { event_type: 'message_publish' } },
      { sql: 'SELECT * FROM "t/#"', context: { event_type: 'client_connected' } },
    ]) {
      const res = await test(body);
      assert.equal(res.status, 412, JSON.stringify(body));
      assert.deepEqual(res.body, { code: 'NOT_MATCH', message: 'SQL Not Match' });
    }
  });

  it('answers 400 with line and column for a parse error', async () => {
    const res = await test({ sql: 'SELECT a\nFROM', context: { event_type: 'message_publish' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'BAD_REQUEST');
    assert.equal(res.body.line, 2);
    assert.equal(typeof res.body.column, 'number');
    assert.match(res.body.message, /^SQL line 2, column \d+: /);
  });

  it('answers 400 with the error class for a runtime error', async () => {
    const res = await test({ sql: 'SELECT payload.x FROM "t/#"', context: { event_type: 'message_publish', payload: 'nope' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'BAD_REQUEST');
    assert.match(res.body.message, /select_and_transform_error/);
  });

  it('answers 400 for a missing or unknown event type', async () => {
    for (const context of [{}, { event_type: 'nope' }]) {
      const res = await test({ sql: 'SELECT * FROM "t/#"', context });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /unknown event type/);
    }
  });

  it('answers 415 to a body that is not JSON', async () => {
    const res = await helper.request().post('/rule-sql/test').type('form').send('sql=x');
    assert.equal(res.status, 415);
    assert.equal(res.body.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('validates a statement: sources when valid, line and column when not', async () => {
    const ok = await helper.request().post('/rule-sql/validate').send({ sql: 'SELECT * FROM "t/#", "$events/client_connected"' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { ok: true, sources: ['t/#', '$events/client_connected'], stateful: false });
    const bad = await helper.request().post('/rule-sql/validate').send({ sql: 'SELECT * FROM' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.line, 1);
    assert.ok(bad.body.column > 0);
  });

  it('lists every event type with its topic and a starting context', async () => {
    const res = await helper.request().get('/rule-sql/events');
    assert.equal(res.status, 200);
    const connected = res.body.find((e: { event_type: string }) => e.event_type === 'client_connected');
    assert.deepEqual(connected, {
      event_type: 'client_connected', event: 'client.connected', topic: '$events/client/connected',
      context: { event_type: 'client_connected', clientid: 'c_emqx', username: 'u_emqx', peername: '127.0.0.1:52918' },
    });
    assert.equal(res.body.length, 17);
  });
});
