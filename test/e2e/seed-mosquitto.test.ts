// The seed's message path with Node-RED's core `mqtt in` node instead of a broker inside
// Node-RED: a real mosquitto, an MQTT 5 broker config, the seed's `SELECT * FROM "t/#"` rule and
// sink. The publisher's MQTT 5 properties must reach `pub_props` of the stored item.
import * as assert from 'node:assert/strict';
import { createSeedTable, forEachBackend, scanAll, TEST_CREDENTIALS } from '../support/dynamodb';
import { SEED_MESSAGE_SQL } from '../../scripts/demo-flow';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { publishOnce } from './mqtt-publisher';
import { helper } from './node-test-helper';
import { assertSeedShape, itemOf, SEED_PAYLOAD, SEED_TYPES, text, waitForItems } from './seed-expectations';
import { seedConnectorNode, seedSinkNode } from './seed-nodes';
import connectorNode from '../../src/nodes/dynamodb-connector';
import ruleSqlNode from '../../src/nodes/rule-sql/register';
import sinkNode from '../../src/nodes/dynamodb-sink/register';

// Node-RED's own MQTT nodes (`mqtt in`, `mqtt-broker`); the test helper does not preload them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreMqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

const NODE_RED_CLIENT_ID = 'node-red-seed-mosquitto';

function mosquittoFlow(mqttPort: number, dynamoUrl: string, clientId: string): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: 'seed over mosquitto' },
    {
      id: 'mqtt-in',
      type: 'mqtt in',
      z: 'tab',
      topic: 't/#',
      qos: '1',
      // Bytes as received: the payload must be stored exactly as published.
      datatype: 'buffer',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['rule']],
    },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '5',
      keepalive: '60',
      cleansession: true,
    },
    { id: 'rule', type: 'rule-sql', z: 'tab', name: 'my_rule', sql: SEED_MESSAGE_SQL, wires: [['sink']] },
    seedSinkNode('sink'),
    seedConnectorNode(dynamoUrl),
  ];
}

describe('the seed message path over mosquitto and the core mqtt in node, MQTT 5 (e2e)', function () {
  this.timeout(60000);
  let mosquitto: Mosquitto;

  before(async function () {
    mosquitto = await startMosquitto();
    await helper.startServer();
  });

  after(async function () {
    await helper.stopServer();
    await mosquitto?.stop();
  });

  forEachBackend((ctx) => {
    let items: Awaited<ReturnType<typeof scanAll>>;

    before(async function () {
      await createSeedTable(ctx.url);
      const clientId = `${NODE_RED_CLIENT_ID}-${ctx.backend.name}`;
      await helper.load([coreMqttNodes, connectorNode, ruleSqlNode, sinkNode], mosquittoFlow(mosquitto.port, ctx.url, clientId), {
        connector: { ...TEST_CREDENTIALS },
      });
      await mosquitto.subscribed(clientId);
      await publishOnce({
        port: mosquitto.port,
        clientId: 'emqx_c',
        topic: 't/1',
        payload: SEED_PAYLOAD,
        protocolVersion: 5,
        publish: {
          qos: 1,
          properties: {
            userProperties: { site: 'lab-1', firmware: '2.4.0' },
            contentType: 'application/json',
          },
        },
      });
      items = await waitForItems(() => scanAll(ctx.url, 'mqtt_msg'), 1);
    });

    after(async function () {
      await helper.unload();
    });

    it('writes one item, with the seed message attribute names and types', function () {
      assert.equal(items.length, 1, `items: ${JSON.stringify(items)}`);
      assertSeedShape(itemOf(items, 'message.publish'), SEED_TYPES.message, 'message item');
    });

    it('stores topic, QoS and payload byte for byte', function () {
      const message = itemOf(items, 'message.publish');
      assert.equal(text(message, 'payload'), SEED_PAYLOAD);
      assert.equal(text(message, 'topic'), 't/1');
      assert.equal(message.qos?.N, '1');
      assert.deepEqual(JSON.parse(text(message, 'flags')), { retain: false, dup: false });
    });

    it('carries the MQTT 5 user properties and content type into pub_props', function () {
      const props = JSON.parse(text(itemOf(items, 'message.publish'), 'pub_props'));
      assert.deepEqual(props['User-Property'], { site: 'lab-1', firmware: '2.4.0' });
      assert.equal(props['Content-Type'], 'application/json');
    });

    it('says what mqtt in cannot know: the publisher is undefined', function () {
      const message = itemOf(items, 'message.publish');
      assert.equal(text(message, 'clientid'), 'undefined');
      assert.equal(text(message, 'username'), 'undefined');
      assert.equal(text(message, 'peerhost'), 'undefined');
    });
  });
});
