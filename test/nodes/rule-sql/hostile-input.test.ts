// Input from remote senders cannot stall Node-RED (DESIGN.md section 6, issue 21): a payload
// against a catastrophic pattern pauses the event loop no longer than an ordinary one, and JSON
// nested 100,000 levels deep fails its message with decode_json_failed, reaching Catch with the
// original message, through POST /rule-sql/test (400) and through rule-sql → dynamodb-sink.

import { strict as assert } from 'node:assert';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { createSeedTable, scanAll, startDynalite, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../../support/dynamodb';
import sinkNode from '../../../src/nodes/dynamodb-sink/register';
import connectorNode from '../../../src/nodes/dynamodb-connector';
import { collect, helper, load, until, type Msg } from './harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const DEEP = `{"id":"deep","v":${'['.repeat(100000)}${']'.repeat(100000)}}`;

describe('rule-sql: hostile input', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  it('a catastrophic pattern pauses the event loop under 50 ms; ordinary payloads answer as before', async () => {
    await load([ruleSqlNode], [
      { id: 't', type: 'tab' },
      { id: 'r', type: 'rule-sql', z: 't', sql: `SELECT regex_match(payload.s, '^(a+)+$') as m, regex_replace(payload.s, '(\\d+)', '<&>') as r, regex_extract(payload.s, '(\\w+)=(\\d+)$') as x FROM "t/#"`, wires: [['out']] },
      { id: 'out', type: 'helper', z: 't' },
    ]);
    const out = collect('out');
    const rule = helper.getNode('r');
    const ordinary: [string, Msg][] = [
      ['aaaa', { m: true, r: 'aaaa', x: [] }], ['ab', { m: false, r: 'ab', x: [] }],
      ['temp=21', { m: false, r: 'temp=<21>', x: ['temp', '21'] }], ['t=1 u=22\n', { m: false, r: 't=<1> u=<22>\n', x: ['u', '22'] }],
    ];
    for (const [s] of ordinary) rule.receive({ topic: 't/a', payload: JSON.stringify({ s }) });
    await until(() => out.length === ordinary.length, 'ordinary rows');
    ordinary.forEach(([s, row], i) => assert.deepEqual(out[i].payload, row, s));
    const hostile = [30, 1000, 10000].map((n) => `${'a'.repeat(n)}b`);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    for (const s of hostile) rule.receive({ topic: 't/a', payload: JSON.stringify({ s }) });
    await until(() => out.length === ordinary.length + hostile.length, 'hostile rows');
    delay.disable();
    assert.deepEqual(out.slice(ordinary.length).map((m) => m.payload.m), [false, false, false]);
    const maxMs = delay.max / 1e6;
    console.log(`      event loop: max delay ${maxMs.toFixed(1)} ms over ${hostile.length} hostile payloads (up to 10,001 bytes)`);
    assert.ok(maxMs < 50, `event loop paused ${maxMs} ms`);
  });

  it('POST /rule-sql/test answers 400 decode_json_failed for 100,000 levels, as text or as JSON', async () => {
    await load([ruleSqlNode], [{ id: 'r1', type: 'rule-sql', sql: 'SELECT * FROM "t/#"', wires: [[]] }]);
    const test = (context: unknown) => helper.request().post('/rule-sql/test').set('Content-Type', 'application/json')
      .send(`{"sql": "SELECT payload.v as v FROM \\"t/#\\"", "context": ${JSON.stringify(context).replace('"@"', DEEP)}}`);
    const asText = await test({ event_type: 'message_publish', topic: 't/a', payload: DEEP });
    assert.equal(asText.status, 400);
    assert.match(asText.body.reason, /^decode_json_failed: JSON nested deeper than 1000 levels/);
    const asJson = await test({ event_type: 'message_publish', topic: 't/a', payload: '@' });
    assert.equal(asJson.status, 400);
    assert.match(asJson.body.message, /^decode_json_failed: the request's JSON nested deeper than 1000 levels/);
    const fine = await test({ event_type: 'message_publish', topic: 't/a', payload: JSON.stringify({ v: [[[1]]] }) });
    assert.equal(fine.status, 200);
    assert.deepEqual(fine.body, { v: [[[1]]] });
  });

  describe('through rule-sql → dynamodb-sink (dynalite)', () => {
    let dynamo: DynamoServer;
    before(async () => {
      dynamo = await startDynalite();
      await createSeedTable(dynamo.url, 'hostile');
    });
    after(async () => {
      await dynamo.stop();
    });

    it('every 100,000-deep message reaches Catch with the original message; the others are written', async () => {
      await new Promise((resolve) => helper.load([ruleSqlNode, sinkNode, connectorNode, catchNode], [
        { id: 't', type: 'tab' },
        { id: 'conn', type: 'dynamodb-connector', url: dynamo.url, region: TEST_REGION, healthCheckInterval: 1000, requestTimeout: 2000 },
        { id: 'r', type: 'rule-sql', z: 't', x: 0, y: 0, sql: 'SELECT payload.id as id, payload.v as v FROM "t/#"', wires: [['sink']] },
        { id: 'sink', type: 'dynamodb-sink', z: 't', x: 0, y: 0, connector: 'conn', table: 'hostile', batchTime: 5, encoding: 'native', wires: [['out']] },
        { id: 'out', type: 'helper', z: 't', x: 0, y: 0 },
        { id: 'c', type: 'catch', z: 't', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 't', x: 0, y: 0 },
      ], { conn: { ...TEST_CREDENTIALS } }, resolve));
      const out = collect('out');
      const caught = collect('caught');
      const sent = [
        { _id: 1, topic: 't/a', payload: JSON.stringify({ id: 'one', v: [1, [2]] }) },
        { _id: 2, topic: 't/a', payload: DEEP },
        { _id: 3, topic: 't/a', payload: JSON.stringify({ id: 'two', v: { a: 'b' } }) },
        { _id: 4, topic: 't/a', payload: DEEP },
      ];
      for (const msg of sent) helper.getNode('r').receive({ ...msg });
      // The sink alone, with the deep text as its string payload.
      helper.getNode('sink').receive({ _id: 5, payload: DEEP });
      await until(() => out.length === 2 && caught.length === 3, `2 written, 3 caught (got ${out.length}, ${caught.length})`, 10000);
      assert.deepEqual(caught.map((m) => m._id).sort(), [2, 4, 5]);
      for (const m of caught) {
        assert.equal(m.payload, DEEP, 'the original message');
        assert.match(m.error.message, /decode_json_failed: (msg\.payload: )?JSON nested deeper than 1000 levels/);
      }
      assert.deepEqual(out.map((m) => m.payload.id).sort(), ['one', 'two']);
      const items = await scanAll(dynamo.url, 'hostile');
      assert.deepEqual(items.map((i) => i.id.S).sort(), ['one', 'two']);
    });
  });
});
