// Specification of the aedes broker → EMQX events mapping, against the real
// node-red-contrib-aedes node and real MQTT clients (DESIGN.md section 3).

import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import mqtt from 'mqtt';
import { AedesCapture, startAedesCapture, stopAedesCapture } from './aedes-harness';
import { NODE_NAME } from '../../src/events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttPacket = require('mqtt-packet');

// The seed's DynamoDB items, minus `metadata` (added by the engine) and, for the events, the
// `id` that the seed's SELECT computes.
const SEED_PUBLISH = ['peerhost', 'clientid', 'flags', 'node', 'qos', 'payload', 'pub_props',
  'publish_received_at', 'topic', 'id', 'event', 'username', 'timestamp'];
const SEED_CONNECTED = ['conn_props', 'peername', 'clientid', 'is_bridge', 'keepalive', 'proto_ver',
  'proto_name', 'connected_at', 'receive_maximum', 'sockname', 'mountpoint', 'node', 'expiry_interval',
  'event', 'username', 'timestamp', 'clean_start'];
const SEED_DISCONNECTED = ['reason', 'peername', 'clientid', 'proto_ver', 'proto_name', 'sockname',
  'disconn_props', 'node', 'event', 'disconnected_at', 'username', 'timestamp'];

const sorted = (keys: string[]) => [...keys].sort();

function connect(port: number, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => { client.end(true); reject(err); });
  });
}

describe('aedes broker messages → EMQX events', function () {
  let capture: AedesCapture;

  beforeEach(async () => {
    capture = await startAedesCapture();
  });
  afterEach(async () => {
    await stopAedesCapture();
  });

  it('maps the seed walkthrough (connect, publish, disconnect) to exactly the seed column sets', async () => {
    const client = await connect(capture.port, { clientId: 'emqx_c' });
    const localPort = (client.stream as net.Socket).localPort;
    await client.publishAsync('t/1', '{ "msg": "hello DynamoDB" }');
    await client.endAsync();
    const [disconnected] = await capture.waitFor('client.disconnected');
    const [connected] = await capture.waitFor('client.connected');
    const [published] = await capture.waitFor('message.publish');

    assert.deepEqual(sorted(Object.keys(published)), sorted(SEED_PUBLISH));
    assert.deepEqual(sorted(Object.keys(connected)), sorted(SEED_CONNECTED));
    assert.deepEqual(sorted(Object.keys(disconnected)), sorted(SEED_DISCONNECTED));

    assert.equal(published.clientid, 'emqx_c');
    assert.equal(published.username, undefined);
    assert.equal(published.peerhost, '127.0.0.1');
    assert.equal(published.topic, 't/1');
    assert.equal(published.qos, 0);
    assert.equal(published.payload, '{ "msg": "hello DynamoDB" }');
    assert.deepEqual(published.flags, { retain: false, dup: false });
    assert.deepEqual(published.pub_props, { 'User-Property': {} });
    assert.match(String(published.id), /^[0-9A-F]{32}$/);
    assert.equal(published.node, NODE_NAME);
    assert.equal(published.timestamp, published.publish_received_at);
    // Newer EMQX columns: readable by name, not copied by `SELECT *`.
    assert.equal(published.peername, `127.0.0.1:${localPort}`);
    assert.deepEqual(published.client_attrs, {});

    assert.equal(connected.clientid, 'emqx_c');
    assert.equal(connected.peername, `127.0.0.1:${localPort}`);
    assert.equal(connected.sockname, `127.0.0.1:${capture.port}`);
    assert.equal(connected.proto_name, 'MQTT');
    assert.equal(connected.proto_ver, 4);
    assert.equal(connected.keepalive, 60);
    assert.equal(connected.clean_start, true);
    assert.equal(connected.expiry_interval, 0);
    assert.equal(connected.is_bridge, false);
    assert.equal(connected.mountpoint, undefined);
    assert.ok('mountpoint' in connected && 'username' in connected);
    assert.equal(connected.receive_maximum, 32);
    assert.deepEqual(connected.conn_props, { 'User-Property': {} });
    assert.equal(connected.connected_at, connected.timestamp);

    assert.equal(disconnected.reason, 'normal');
    assert.equal(disconnected.clientid, 'emqx_c');
    assert.equal(disconnected.peername, `127.0.0.1:${localPort}`, 'the address read at connect time');
    assert.equal(disconnected.sockname, `127.0.0.1:${capture.port}`);
    assert.deepEqual(disconnected.disconn_props, { 'User-Property': {} });
    assert.equal(disconnected.connected_at, connected.connected_at);
    assert.ok(Number(disconnected.disconnected_at) >= Number(connected.connected_at));

    assert.deepEqual(capture.events.map((e) => e.event),
      ['client.connack', 'client.connected', 'message.publish', 'client.disconnected']);
    assert.equal(capture.mapper.aedes.cachedClients, 0, 'the cache forgets a client once it is gone');
  });

  it('reports client.connack success before client.connected, once per connection', async () => {
    const client = await connect(capture.port, { clientId: 'c1', keepalive: 15, clean: false });
    const [connack] = await capture.waitFor('client.connack');
    await client.endAsync();
    await capture.waitFor('client.disconnected');
    assert.equal(connack.reason_code, 'success');
    assert.equal(connack.clientid, 'c1');
    assert.equal(connack.keepalive, 15);
    assert.equal(connack.clean_start, false);
    const connected = capture.events.filter((e) => e.event === 'client.connected');
    assert.equal(connected.length, 1);
    assert.equal(connected[0].keepalive, 15);
    assert.equal(connected[0].clean_start, false);
    assert.equal(connected[0].expiry_interval, 0xffffffff, 'aedes keeps a persistent session until a clean connect');
  });

  it('reports MQTT 3.1 clients as proto_ver 3, MQIsdp', async () => {
    const client = await connect(capture.port, { clientId: 'old', protocolVersion: 3, protocolId: 'MQIsdp' });
    const [connected] = await capture.waitFor('client.connected');
    await client.endAsync();
    assert.equal(connected.proto_ver, 3);
    assert.equal(connected.proto_name, 'MQIsdp');
  });

  it('maps publish qos, retain and binary payloads', async () => {
    const client = await connect(capture.port, { clientId: 'pub' });
    await client.publishAsync('t/bin', Buffer.from([0xff, 0x00, 0xfe]), { qos: 1, retain: true });
    const [published] = await capture.waitFor('message.publish');
    await client.endAsync();
    assert.equal(published.qos, 1);
    assert.deepEqual(published.flags, { retain: true, dup: false });
    assert.ok(Buffer.isBuffer(published.payload), 'bytes that are not UTF-8 stay bytes');
    assert.deepEqual(published.payload, Buffer.from([0xff, 0x00, 0xfe]));
  });

  // Reasons as EMQX 5 gives them (emqx_channel, emqx_cm, emqx_connection; see src/events/aedes.ts).
  it('gives tcp_closed when the connection drops without DISCONNECT', async () => {
    const client = await connect(capture.port, { clientId: 'dropper' });
    await capture.waitFor('client.connected');
    (client.stream as net.Socket).destroy();
    const [disconnected] = await capture.waitFor('client.disconnected');
    client.end(true);
    assert.equal(disconnected.reason, 'tcp_closed');
    assert.equal(disconnected.clientid, 'dropper');
  });

  it('gives the socket error by its POSIX name (econnreset) when the connection is reset', async () => {
    const client = await connect(capture.port, { clientId: 'resetter' });
    await capture.waitFor('client.connected');
    (client.stream as net.Socket).resetAndDestroy();
    const [disconnected] = await capture.waitFor('client.disconnected');
    client.end(true);
    assert.equal(disconnected.reason, 'econnreset');
  });

  it('gives frame_error after a packet that does not parse', async () => {
    const client = await connect(capture.port, { clientId: 'garbler' });
    await capture.waitFor('client.connected');
    const localPort = (client.stream as net.Socket).localPort;
    // Packet type 0 is reserved: the broker's parser fails and aedes emits clientError.
    (client.stream as net.Socket).write(Buffer.from([0x00, 0x00]));
    const [disconnected] = await capture.waitFor('client.disconnected');
    client.end(true);
    assert.equal(disconnected.reason, 'frame_error');
    assert.equal(disconnected.peername, `127.0.0.1:${localPort}`);
  });

  it('gives protocol_error after a second CONNECT, topic_name_invalid after a PUBLISH to a filter', async () => {
    for (const [clientId, packet, reason] of [
      ['twice', { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'twice', keepalive: 30 }, 'protocol_error'],
      ['wild', { cmd: 'publish', topic: 'a/#', payload: 'x', qos: 0, retain: false, dup: false }, 'topic_name_invalid'],
    ] as const) {
      const client = await connect(capture.port, { clientId });
      await capture.waitFor('client.connected', 1, 5000);
      (client.stream as net.Socket).write(mqttPacket.generate(packet));
      const [disconnected] = (await capture.waitFor('client.disconnected', 1, 5000)).filter((e) => e.clientid === clientId);
      client.end(true);
      assert.equal(disconnected.reason, reason, clientId);
      capture.events.length = 0;
    }
  });

  it('gives keepalive_timeout when a client stops talking', async function () {
    this.timeout(10000);
    const socket = net.connect(capture.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'sleeper', keepalive: 1,
    }));
    const [connected] = await capture.waitFor('client.connected');
    assert.equal(connected.keepalive, 1);
    const [disconnected] = await capture.waitFor('client.disconnected', 1, 5000);
    socket.destroy();
    assert.equal(disconnected.reason, 'keepalive_timeout');
  });

  it('gives discarded when another connection takes the client id with a clean start (MQTT default)', async () => {
    const first = await connect(capture.port, { clientId: 'twin', clean: false });
    await capture.waitFor('client.connected');
    const second = await connect(capture.port, { clientId: 'twin', clean: true });
    const [disconnected] = await capture.waitFor('client.disconnected');
    await capture.waitFor('client.connected', 2);
    first.end(true);
    await second.endAsync();
    assert.equal(disconnected.reason, 'discarded');
  });

  it('gives takenover when another connection resumes the session (clean start false)', async () => {
    const first = await connect(capture.port, { clientId: 'heir', clean: true });
    await capture.waitFor('client.connected');
    const second = await connect(capture.port, { clientId: 'heir', clean: false });
    const [disconnected] = await capture.waitFor('client.disconnected');
    await capture.waitFor('client.connected', 2);
    first.end(true);
    await second.endAsync();
    assert.equal(disconnected.reason, 'takenover');
  });

  it('reports an unsupported protocol version as client.connack with a failure reason', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${capture.port}`, { clientId: 'v5', protocolVersion: 5, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    const [connack] = await capture.waitFor('client.connack');
    client.end(true);
    assert.equal(connack.reason_code, 'unsupported_protocol_version');
    assert.equal(connack.connected_at, undefined);
    assert.equal(capture.events.filter((e) => e.event === 'client.connected').length, 0);
  });

  it('emits one session.subscribed per topic filter and session.unsubscribed per removed filter', async () => {
    const client = await connect(capture.port, { clientId: 'sub' });
    await client.subscribeAsync({ 't/a': { qos: 1 }, 't/+/b': { qos: 0 } });
    const subscribed = await capture.waitFor('session.subscribed', 2);
    assert.deepEqual(subscribed.map((e) => [e.topic, e.qos]).sort(), [['t/+/b', 0], ['t/a', 1]]);
    for (const e of subscribed) {
      assert.equal(e.clientid, 'sub');
      assert.equal(e.peerhost, '127.0.0.1');
      assert.deepEqual(e.sub_props, { 'User-Property': {} });
      assert.deepEqual(sorted(Object.keys(e)),
        sorted(['clientid', 'username', 'peerhost', 'topic', 'qos', 'sub_props', 'event', 'timestamp', 'node']));
      assert.equal(e.peername, `127.0.0.1:${(client.stream as net.Socket).localPort}`);
    }
    await client.unsubscribeAsync('t/a');
    const [unsubscribed] = await capture.waitFor('session.unsubscribed');
    assert.equal(unsubscribed.topic, 't/a');
    assert.equal(unsubscribed.qos, 1);
    assert.deepEqual(unsubscribed.unsub_props, { 'User-Property': {} });
    await client.endAsync();
    await capture.waitFor('client.disconnected');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(capture.events.filter((e) => e.event === 'session.unsubscribed').length, 1,
      'a session that ends reports no unsubscribes (EMQX neither)');
  });

  it('never reports the broker\'s own $SYS messages as publishes', async () => {
    const client = await connect(capture.port, { clientId: 'sys' });
    await client.subscribeAsync('x');
    await client.endAsync();
    await capture.waitFor('client.disconnected');
    assert.ok(capture.raw.includes('publish'), 'aedes did send $SYS publishes');
    assert.equal(capture.events.filter((e) => e.event === 'message.publish').length, 0);
  });
});

describe('aedes broker with credentials → EMQX events', function () {
  let capture: AedesCapture;
  before(async () => {
    capture = await startAedesCapture({ username: 'user1', password: 'secret' });
  });
  after(async () => {
    await stopAedesCapture();
  });

  it('carries the username of an authenticated client', async () => {
    const client = await connect(capture.port, { clientId: 'authed', username: 'user1', password: 'secret' });
    await client.publishAsync('t/1', 'x');
    await client.endAsync();
    const [disconnected] = await capture.waitFor('client.disconnected');
    const [connected] = await capture.waitFor('client.connected');
    const [published] = await capture.waitFor('message.publish');
    assert.equal(connected.username, 'user1');
    assert.equal(published.username, 'user1');
    assert.equal(disconnected.username, 'user1');
  });

  it('reports refused credentials as client.connack not_authorized, with no connected event', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${capture.port}`,
      { clientId: 'intruder', username: 'user1', password: 'wrong', reconnectPeriod: 0, protocolVersion: 4 });
    client.on('error', () => undefined);
    const found = await capture.waitFor('client.connack', 2);
    client.end(true);
    const refused = found.find((e) => e.clientid === 'intruder');
    assert.ok(refused);
    assert.equal(refused.reason_code, 'not_authorized');
    assert.equal(capture.events.filter((e) => e.event === 'client.connected' && e.clientid === 'intruder').length, 0);
  });
});
