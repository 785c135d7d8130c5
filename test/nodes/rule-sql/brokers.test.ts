// rule-sql against real brokers: the seed walkthrough through the aedes broker node, MQTT 5
// properties through the core `mqtt in` node and mosquitto, and Status-node connection events.

import { strict as assert } from 'node:assert';
import mqtt from 'mqtt';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { freePort } from '../../support/dynamodb';
import { startMosquitto, type Mosquitto } from '../../e2e/mosquitto';
import { collect, helper, load, sleep, until as untilWithin } from './harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aedesNode = require('node-red-contrib-aedes/aedes.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

const SEED = {
  publish: ['metadata', 'peerhost', 'clientid', 'flags', 'node', 'qos', 'payload', 'pub_props',
    'publish_received_at', 'topic', 'id', 'event', 'username', 'timestamp'],
  connected: ['conn_props', 'peername', 'metadata', 'clientid', 'is_bridge', 'keepalive', 'proto_ver', 'proto_name',
    'connected_at', 'receive_maximum', 'sockname', 'mountpoint', 'node', 'id', 'expiry_interval', 'event', 'username',
    'timestamp', 'clean_start'],
  disconnected: ['reason', 'peername', 'metadata', 'clientid', 'proto_ver', 'proto_name', 'sockname', 'disconn_props',
    'node', 'id', 'event', 'disconnected_at', 'username', 'timestamp'],
};
const sorted = (keys: string[]) => [...keys].sort();

// Real brokers and sockets: more time than a flow alone.
const until = (check: () => boolean, what: string, timeoutMs = 5000) => untilWithin(check, what, timeoutMs);

function connect(url: string, options: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => { client.end(true); reject(err); });
  });
}

describe('rule-sql with the aedes broker node', function () {
  let port: number;
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function startFlow(eventsSql: string, storeSql: string) {
    await load([aedesNode, ruleSqlNode], [
      { id: 'f', type: 'tab' },
      { id: 'aedes1', z: 'f', type: 'aedes broker', mqtt_port: port, mqtt_ws_bind: 'port', wires: [['rEvents'], ['rStore']] },
      { id: 'rEvents', z: 'f', type: 'rule-sql', name: 'events', sql: eventsSql, wires: [['events']] },
      { id: 'rStore', z: 'f', type: 'rule-sql', name: 'store', sql: storeSql, wires: [['stored']] },
      { id: 'c', z: 'f', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'events', z: 'f', type: 'helper' },
      { id: 'stored', z: 'f', type: 'helper' },
      { id: 'caught', z: 'f', type: 'helper' },
    ]);
    await until(() => helper.getNode('aedes1') !== null, 'the broker');
    await sleep(100);
    return { events: collect('events'), stored: collect('stored'), caught: collect('caught') };
  }

  it('runs the seed walkthrough: one message row and two event rows with exactly the seed attributes', async () => {
    const { events, stored } = await startFlow(
      'SELECT\n  str(event) + timestamp as id, *\nFROM\n  "$events/client_connected", "$events/client_disconnected"',
      'SELECT \n  *\nFROM\n  "t/#"');
    const client = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'emqx_c', protocolVersion: 4 });
    await client.publishAsync('t/1', '{ "msg": "hello DynamoDB" }');
    await client.endAsync();
    await until(() => events.length === 2 && stored.length === 1, 'three rows');

    const [message] = stored;
    assert.deepEqual(sorted(Object.keys(message.payload)), sorted(SEED.publish));
    assert.equal(message.payload.payload, '{ "msg": "hello DynamoDB" }');
    assert.equal(message.payload.clientid, 'emqx_c');
    assert.equal(message.payload.peerhost, '127.0.0.1');
    assert.deepEqual(message.payload.metadata, { rule_id: 'rStore' });
    assert.equal(message.topic, 't/1');
    assert.deepEqual(message.rule, { id: 'rStore', name: 'store', event: 'message.publish' });

    const [connected, disconnected] = events;
    assert.deepEqual(sorted(Object.keys(connected.payload)), sorted(SEED.connected));
    assert.deepEqual(sorted(Object.keys(disconnected.payload)), sorted(SEED.disconnected));
    assert.equal(connected.payload.id, `client.connected${connected.payload.timestamp}`);
    assert.equal(disconnected.payload.id, `client.disconnected${disconnected.payload.timestamp}`);
    assert.equal(disconnected.payload.reason, 'normal');
    assert.equal(connected.topic, '$events/client/connected');
    assert.equal(disconnected.topic, '$events/client/disconnected');
    assert.deepEqual(connected.rule, { id: 'rEvents', name: 'events', event: 'client.connected' });
    assert.deepEqual(connected.payload.metadata, { rule_id: 'rEvents' });
    // Nothing sent on carries the live aedes client.
    for (const m of [...events, ...stored]) assert.doesNotThrow(() => JSON.stringify(m));
  });

  it('never passes the live aedes client on, even to a Catch node', async () => {
    const { caught } = await startFlow('SELECT * FROM "$events/client_connected"', 'SELECT payload.x as x FROM "t/#"');
    const client = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bad_json', protocolVersion: 4 });
    await client.publishAsync('t/1', 'not json');
    await until(() => caught.length === 1, 'the Catch node');
    await client.endAsync();
    assert.equal(caught[0].topic, 'publish');
    assert.deepEqual(caught[0].payload.client, { id: 'bad_json' }, 'a plain stand-in replaces the client');
    assert.equal(caught[0].payload.packet.topic, 't/1');
  });

  it('says discarded or takenover, as EMQX 5, when a second connection takes the client id', async () => {
    const { events } = await startFlow('SELECT clientid, reason, clean_start FROM "$events/client_disconnected"', 'SELECT * FROM "t/#"');
    const url = `mqtt://127.0.0.1:${port}`;
    // A clean start (MQTT's default) discards the old session.
    const first = await connect(url, { clientId: 'twin', protocolVersion: 4, clean: false });
    const second = await connect(url, { clientId: 'twin', protocolVersion: 4, clean: true });
    await until(() => events.length === 1, 'the first disconnect');
    // Resuming the session (clean start false) takes it over.
    const third = await connect(url, { clientId: 'twin', protocolVersion: 4, clean: false });
    await until(() => events.length === 2, 'the second disconnect');
    await third.endAsync();
    await until(() => events.length === 3, 'the last disconnect');
    first.end(true);
    second.end(true);
    assert.deepEqual(events.map((m) => m.payload.reason), ['discarded', 'takenover', 'normal']);
    assert.ok(events.every((m) => m.payload.clientid === 'twin'));
  });

  it('sends one row per subscribed topic filter on $events/session/subscribed', async () => {
    const { events } = await startFlow('SELECT clientid, topic, qos FROM "$events/session_subscribed"', 'SELECT * FROM "t/#"');
    const client = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'subber', protocolVersion: 4 });
    await client.subscribeAsync({ 'a/1': { qos: 0 }, 'b/#': { qos: 1 } });
    await until(() => events.length === 2, 'two rows');
    await client.endAsync();
    assert.deepEqual(events.map((m) => m.payload).sort((x, y) => x.topic.localeCompare(y.topic)),
      [{ clientid: 'subber', topic: 'a/1', qos: 0 }, { clientid: 'subber', topic: 'b/#', qos: 1 }]);
    assert.ok(events.every((m) => m.topic === '$events/session/subscribed'));
  });
});

describe('rule-sql with the core mqtt in node and mosquitto', function () {
  let broker: Mosquitto;
  before(async function () {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('brings MQTT 5 properties, user properties included, into pub_props with EMQX names', async () => {
    await load([mqttNodes, ruleSqlNode], [
      { id: 'f', type: 'tab' },
      { id: 'b', z: 'f', type: 'mqtt-broker', broker: '127.0.0.1', port: broker.port, clientid: 'nr-in', protocolVersion: 5, keepalive: 60, cleansession: true, autoConnect: true },
      { id: 'in1', z: 'f', type: 'mqtt in', topic: 't/#', qos: '1', datatype: 'auto-detect', broker: 'b', wires: [['r']] },
      { id: 'r', z: 'f', type: 'rule-sql', sql: 'SELECT * FROM "t/#"', wires: [['out']] },
      { id: 'out', z: 'f', type: 'helper' },
    ]);
    const got = collect('out');
    const publisher = await connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'v5pub', protocolVersion: 5 });
    // The mqtt in node subscribes once connected: publish until its first message arrives.
    for (let i = 0; got.length === 0 && i < 100; i++) {
      await publisher.publishAsync('t/v5', '{"msg":"hi"}', {
        qos: 1,
        properties: {
          userProperties: { site: 'north', unit: 'c' },
          contentType: 'application/json',
          messageExpiryInterval: 600,
          responseTopic: 'reply/1',
          correlationData: Buffer.from('corr-1'),
        },
      });
      await sleep(100);
    }
    await publisher.endAsync();
    assert.ok(got.length > 0, 'the mqtt in node delivered the message');
    const row = got[0].payload;
    assert.equal(row.topic, 't/v5');
    assert.equal(row.qos, 1);
    assert.equal(row.payload, '{"msg":"hi"}', 'a parsed object goes back to its JSON text');
    assert.equal(row.clientid, undefined);
    assert.equal(row.username, undefined);
    assert.equal(row.peerhost, undefined);
    assert.deepEqual(row.flags, { retain: false, dup: false });
    assert.match(row.id, /^[0-9A-F]{32}$/);
    const props = row.pub_props;
    assert.deepEqual(props['User-Property'], { site: 'north', unit: 'c' });
    assert.deepEqual(props['User-Property-Pairs'], [{ key: 'site', value: 'north' }, { key: 'unit', value: 'c' }]);
    assert.equal(props['Content-Type'], 'application/json');
    assert.equal(props['Response-Topic'], 'reply/1');
    assert.equal(props['Correlation-Data'], 'corr-1');
    assert.ok(props['Message-Expiry-Interval'] > 590 && props['Message-Expiry-Interval'] <= 600);
    assert.equal(got[0].topic, 't/v5');
  });

  it('turns Status-node messages about an mqtt node into its client\'s connected and disconnected events', async () => {
    const own = await startMosquitto();
    try {
      await load([mqttNodes, ruleSqlNode], [
        { id: 'f', type: 'tab' },
        { id: 'b', z: 'f', type: 'mqtt-broker', broker: '127.0.0.1', port: own.port, clientid: 'nr-status', protocolVersion: 4, keepalive: 30, cleansession: true, autoConnect: true },
        { id: 'in1', z: 'f', type: 'mqtt in', topic: 'x/#', qos: '0', datatype: 'auto', broker: 'b', wires: [[]] },
        { id: 'in2', z: 'f', type: 'mqtt in', topic: 'y/#', qos: '0', datatype: 'auto', broker: 'b', wires: [[]] },
        { id: 's', z: 'f', type: 'status', scope: ['in1', 'in2'], wires: [['r']] },
        { id: 'r', z: 'f', type: 'rule-sql', sql: 'SELECT * FROM "$events/client/connected", "$events/client/disconnected"', wires: [['out']] },
        { id: 'out', z: 'f', type: 'helper' },
      ]);
      const got = collect('out');
      await until(() => got.length >= 1, 'client.connected');
      const connected = got[0];
      assert.equal(connected.topic, '$events/client/connected');
      assert.equal(connected.payload.event, 'client.connected');
      assert.equal(connected.payload.clientid, 'nr-status');
      assert.equal(connected.payload.keepalive, 30);
      assert.equal(connected.payload.proto_ver, 4);
      assert.equal(connected.payload.sockname, `127.0.0.1:${own.port}`);
      assert.match(connected.payload.peername, /^127\.0\.0\.1:\d+$/);
      await own.stop();
      await until(() => got.length >= 2, 'client.disconnected', 10000);
      await sleep(200);
      assert.equal(got.length, 2, 'two mqtt nodes on one connection: one event per change');
      const disconnected = got[1];
      assert.equal(disconnected.topic, '$events/client/disconnected');
      assert.equal(disconnected.payload.clientid, 'nr-status');
      assert.equal(disconnected.payload.reason, 'tcp_closed');
      assert.equal(disconnected.payload.peername, connected.payload.peername);
    } finally {
      await own.stop();
    }
  });
});
