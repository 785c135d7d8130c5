// EMQX's DynamoDB walkthrough (the seed page), automated: table `mqtt_msg` created as the seed
// does, the aedes broker node feeding the seed's two rules into two sinks, a real MQTT client
// `emqx_c` publishing `{ "msg": "hello DynamoDB" }` to t/1 and disconnecting; the scan must then
// hold the seed's three items with the seed's attribute names and DynamoDB types.
import * as assert from 'node:assert/strict';
import { createSeedTable, forEachBackend, freePort, scanAll, TEST_CREDENTIALS } from '../support/dynamodb';
import { SEED_EVENT_SQL, SEED_MESSAGE_SQL } from '../../scripts/demo-flow';
import { publishOnce } from './mqtt-publisher';
import {
  assertSeedShape,
  itemOf,
  numberOf,
  SEED_PAYLOAD,
  SEED_TYPES,
  text,
  waitForItems,
} from './seed-expectations';
import { seedConnectorNode, seedSinkNode } from './seed-nodes';
import { helper } from './node-test-helper';
import connectorNode from '../../src/nodes/dynamodb-connector';
import ruleSqlNode from '../../src/nodes/rule-sql/register';
import sinkNode from '../../src/nodes/dynamodb-sink/register';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aedesNode = require('node-red-contrib-aedes/aedes.js');

function seedFlow(mqttPort: number, dynamoUrl: string): Record<string, unknown>[] {
  const sink = (id: string) => seedSinkNode(id, { name: `${id} (mqtt_msg)` });
  return [
    { id: 'tab', type: 'tab', label: 'seed walkthrough' },
    {
      id: 'broker',
      type: 'aedes broker',
      z: 'tab',
      mqtt_port: mqttPort,
      mqtt_ws_bind: 'port',
      mqtt_ws_port: '',
      usetls: false,
      wires: [['events-rule'], ['messages-rule']],
    },
    { id: 'messages-rule', type: 'rule-sql', z: 'tab', name: 'my_rule', sql: SEED_MESSAGE_SQL, wires: [['messages-sink']] },
    { id: 'events-rule', type: 'rule-sql', z: 'tab', name: 'events', sql: SEED_EVENT_SQL, wires: [['events-sink']] },
    sink('messages-sink'),
    sink('events-sink'),
    seedConnectorNode(dynamoUrl),
  ];
}

describe('the seed walkthrough: aedes broker → two rules → DynamoDB (e2e)', function () {
  this.timeout(60000);

  before(async function () {
    await helper.startServer();
  });

  after(async function () {
    await helper.stopServer();
  });

  forEachBackend((ctx) => {
    let items: Awaited<ReturnType<typeof scanAll>>;

    before(async function () {
      await createSeedTable(ctx.url);
      const mqttPort = await freePort();
      await helper.load([aedesNode, connectorNode, ruleSqlNode, sinkNode], seedFlow(mqttPort, ctx.url), {
        connector: { ...TEST_CREDENTIALS },
      });
      // mqttx pub -i emqx_c -t t/1 -m '{ "msg": "hello DynamoDB" }'  (aedes speaks MQTT 3.1.1)
      await publishOnce({ port: mqttPort, clientId: 'emqx_c', topic: 't/1', payload: SEED_PAYLOAD, protocolVersion: 4 });
      items = await waitForItems(() => scanAll(ctx.url, 'mqtt_msg'), 3);
    });

    after(async function () {
      await helper.unload();
    });

    it('writes exactly three items: the message, the connect and the disconnect', function () {
      assert.deepEqual(
        items.map((item) => item.event?.S).sort(),
        ['client.connected', 'client.disconnected', 'message.publish'],
      );
    });

    it('stores the message item with the seed attribute names and types, payload byte for byte', function () {
      const message = itemOf(items, 'message.publish');
      assertSeedShape(message, SEED_TYPES.message, 'message item');
      assert.equal(text(message, 'payload'), SEED_PAYLOAD);
      assert.equal(text(message, 'topic'), 't/1');
      assert.equal(text(message, 'clientid'), 'emqx_c');
      assert.equal(text(message, 'peerhost'), '127.0.0.1');
      assert.equal(text(message, 'username'), 'undefined');
      assert.equal(numberOf(message, 'qos'), 0);
      assert.deepEqual(JSON.parse(text(message, 'flags')), { retain: false, dup: false });
      assert.match(text(message, 'id'), /^[0-9A-F]{32}$/);
      assert.deepEqual(JSON.parse(text(message, 'pub_props'))['User-Property'], {});
      assert.equal(typeof JSON.parse(text(message, 'metadata')).rule_id, 'string');
      assert.ok(Math.abs(numberOf(message, 'timestamp') - Date.now()) < 60000, 'timestamp is now, in ms');
    });

    it('stores the connect event keyed by str(event) + timestamp, with the seed attribute names and types', function () {
      const connected = itemOf(items, 'client.connected');
      assertSeedShape(connected, SEED_TYPES.connected, 'client.connected item');
      assert.equal(text(connected, 'id'), `client.connected${numberOf(connected, 'timestamp')}`);
      assert.equal(text(connected, 'clientid'), 'emqx_c');
      assert.equal(text(connected, 'proto_name'), 'MQTT');
      assert.equal(numberOf(connected, 'proto_ver'), 4);
      assert.equal(numberOf(connected, 'keepalive'), 30);
      assert.equal(text(connected, 'clean_start'), 'true');
      assert.match(text(connected, 'peername'), /^127\.0\.0\.1:\d+$/);
    });

    it('stores the disconnect event with reason normal, with the seed attribute names and types', function () {
      const disconnected = itemOf(items, 'client.disconnected');
      assertSeedShape(disconnected, SEED_TYPES.disconnected, 'client.disconnected item');
      assert.equal(text(disconnected, 'id'), `client.disconnected${numberOf(disconnected, 'timestamp')}`);
      assert.equal(text(disconnected, 'reason'), 'normal');
      assert.equal(text(disconnected, 'clientid'), 'emqx_c');
      // The same connection: the remote address read at connect time survives the close.
      assert.equal(text(disconnected, 'peername'), text(itemOf(items, 'client.connected'), 'peername'));
    });
  });
});
