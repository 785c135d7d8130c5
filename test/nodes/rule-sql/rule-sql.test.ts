// Specification of the rule-sql node (DESIGN.md sections 1.2 and 5) with
// node-red-node-test-helper: outputs, no match, FOREACH, errors at deploy and at run time,
// status counters, and the editor's test / validate endpoints.

import { strict as assert } from 'node:assert';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { collect, helper, load, sleep, until, type Msg } from './harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

/** Every status the node with this id has set so far (the helper spies on Node.prototype). */
function statusesOf(id: string): Msg[] {
  return helper._NodePrototype.status.getCalls()
    .filter((call: { thisValue: { id: string } }) => call.thisValue.id === id)
    .map((call: { args: Msg[] }) => call.args[0]);
}

describe('rule-sql node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('sends the row as payload, the trigger topic as topic, and {id, name, event} as rule', async () => {
    await load([ruleSqlNode], [
      { id: 'r1', type: 'rule-sql', name: 'greeting', sql: 'SELECT payload.msg as msg, qos, clientid FROM "t/#"', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out');
    helper.getNode('r1').receive({ topic: 't/1', payload: { msg: 'hello' } });
    await until(() => got.length === 1, 'one output');
    assert.deepEqual(got[0].payload, { msg: 'hello', qos: 0, clientid: undefined });
    assert.ok('clientid' in got[0].payload, 'an undefined column is still a key of the row');
    assert.equal(got[0].topic, 't/1');
    assert.deepEqual(got[0].rule, { id: 'r1', name: 'greeting', event: 'message.publish' });
  });

  it('treats any message as a publish of msg.payload on msg.topic, with EMQX columns', async () => {
    await load([ruleSqlNode], [
      { id: 'r1', type: 'rule-sql', sql: 'SELECT * FROM "t/#"', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out');
    helper.getNode('r1').receive({ topic: 't/a', payload: 'plain text', qos: 1, retain: true });
    await until(() => got.length === 1, 'one output');
    const row = got[0].payload;
    assert.deepEqual(Object.keys(row).sort(), ['clientid', 'event', 'flags', 'id', 'metadata', 'node', 'payload',
      'peerhost', 'pub_props', 'publish_received_at', 'qos', 'timestamp', 'topic', 'username']);
    assert.equal(row.payload, 'plain text');
    assert.equal(row.qos, 1);
    assert.deepEqual(row.flags, { retain: true, dup: false });
    assert.deepEqual(row.metadata, { rule_id: 'r1' });
    assert.deepEqual(row.pub_props, { 'User-Property': {} });
  });

  it('uses the default statement SELECT * FROM "t/#" when sql is empty', async () => {
    await load([ruleSqlNode], [
      { id: 'r1', type: 'rule-sql', sql: '', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out');
    helper.getNode('r1').receive({ topic: 'other', payload: 'x' });
    helper.getNode('r1').receive({ topic: 't', payload: 'y' });
    await until(() => got.length === 1, 'one output');
    await sleep(50);
    assert.equal(got.length, 1);
    assert.equal(got[0].payload.payload, 'y');
  });

  it('sends nothing when FROM or WHERE does not match', async () => {
    await load([ruleSqlNode], [
      { id: 'r1', type: 'rule-sql', sql: 'SELECT payload.v as v FROM "t/#" WHERE payload.v > 10', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out');
    const node = helper.getNode('r1');
    node.receive({ topic: 'x/1', payload: '{"v": 50}' });
    node.receive({ topic: 't/1', payload: '{"v": 5}' });
    node.receive({ topic: 't/1', payload: '{"v": 11}' });
    await until(() => got.length === 1, 'the matching message');
    await sleep(50);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].payload, { v: 11 });
  });

  it('sends one message per FOREACH row, and none for an empty collection', async () => {
    await load([ruleSqlNode], [
      { id: 'r1', type: 'rule-sql', sql: 'FOREACH payload.items as i DO i.n as n INCASE i.n > 1 FROM "t/#"', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = collect('out');
    const node = helper.getNode('r1');
    node.receive({ topic: 't/1', payload: { items: [{ n: 1 }, { n: 2 }, { n: 3 }] } });
    await until(() => got.length === 2, 'two rows');
    node.receive({ topic: 't/1', payload: { items: [] } });
    await sleep(50);
    assert.deepEqual(got.map((m) => m.payload), [{ n: 2 }, { n: 3 }]);
    assert.ok(got.every((m) => m.topic === 't/1' && m.rule.event === 'message.publish'));
  });

  it('reports invalid SQL at deploy in the log and the status, with line and column; each message then fails to Catch, counted', async () => {
    await load([ruleSqlNode, catchNode], [
      { id: 'f', type: 'tab' },
      { id: 'r1', z: 'f', type: 'rule-sql', sql: 'SELECT a,\n  b FORM "t/#"', wires: [['out']] },
      { id: 'c', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'out', z: 'f', type: 'helper' },
      { id: 'caught', z: 'f', type: 'helper' },
    ]);
    const node = helper.getNode('r1');
    const errors = helper.log().args.filter((a: any[]) => a[0]?.level === helper.log().ERROR && a[0]?.id === 'r1');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0][0].msg), /^rule not deployed: SQL line 2, column \d+: /);
    const statuses = statusesOf('r1');
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0].fill, 'red');
    assert.match(statuses[0].text, /^invalid SQL at line 2, column \d+$/);
    const got = collect('out');
    const caught = collect('caught');
    node.receive({ topic: 't/1', payload: 'x', tag: 'original' });
    await sleep(50);
    assert.equal(got.length, 0);
    assert.equal(caught.length, 1, 'the message reaches Catch');
    assert.equal(caught[0].tag, 'original');
    assert.match(caught[0].error.message, /rule-sql "r1" is not running: SQL line 2, column \d+: .*; fix it in the node and deploy again$/);
    assert.equal((node as any).runtime.metrics().counters.failed, 1);
    assert.equal(statusesOf('r1').length, 1, 'the red status (line and column) stays');
  });

  it('passes a runtime error to done(err): a Catch node gets the original message, counted failed', async () => {
    await load([ruleSqlNode, catchNode], [
      { id: 'f', type: 'tab' },
      { id: 'r1', z: 'f', type: 'rule-sql', sql: 'SELECT payload.x as x FROM "t/#"', wires: [['out']] },
      { id: 'c', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'out', z: 'f', type: 'helper' },
      { id: 'caught', z: 'f', type: 'helper' },
    ]);
    const got = collect('out');
    const caught = collect('caught');
    const node = helper.getNode('r1');
    node.receive({ topic: 't/1', payload: 'not json', marker: 42 });
    await until(() => caught.length === 1, 'the Catch node');
    assert.equal(got.length, 0);
    assert.equal(caught[0].marker, 42);
    assert.equal(caught[0].payload, 'not json');
    assert.equal(caught[0].error.source.id, 'r1');
    assert.match(caught[0].error.message, /json/i);
    const statuses = statusesOf('r1');
    assert.deepEqual(statuses[statuses.length - 1],
      { fill: 'yellow', shape: 'dot', text: 'matched 1 · failed 1' });
  });
});
