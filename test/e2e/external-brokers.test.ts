// Client events from the broker the user runs (DESIGN.md section 3.1, issue 19), end to end: a real
// mosquitto with `log_dest topic`, Node-RED's core `mqtt in` on `$SYS/broker/log/#` and
// `$aws/events/#`, the seed's event rule, the sink, DynamoDB Local. Real mqtt.js clients (MQTT 3.1.1
// and 5) connect, subscribe, disconnect cleanly, drop their socket and let their keepalive run out;
// each event must be one item with the right fields. AWS IoT lifecycle payloads (the "Lifecycle
// events" page's) are published by a real client through mosquitto, which delivers `$aws/...`;
// EMQX's $SYS payloads (emqx_sys.erl) are fed to the rule node as `mqtt in` would give them, since
// mosquitto drops a client's publish under `$SYS/`.
import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createSeedTable, scanAll, startDynamoDbLocal, TEST_CREDENTIALS, type DynamoServer } from '../support/dynamodb';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { publishOnce } from './mqtt-publisher';
import { helper } from './node-test-helper';
import { text, numberOf, waitForItems } from './seed-expectations';
import { seedConnectorNode, seedSinkNode } from './seed-nodes';
import connectorNode from '../../src/nodes/dynamodb-connector';
import ruleSqlNode from '../../src/nodes/rule-sql/register';
import sinkNode from '../../src/nodes/dynamodb-sink/register';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreMqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

const SEED_EVENTS_SQL = 'SELECT str(event) + timestamp as id, * FROM "$events/client_connected", "$events/client_disconnected"';
const NODE_RED_CLIENT_ID = 'nr-external-brokers';
type Item = Awaited<ReturnType<typeof scanAll>>[number];

function flow(mqttPort: number, dynamoUrl: string): Record<string, unknown>[] {
  const mqttIn = (id: string, topic: string) => ({
    id, type: 'mqtt in', z: 'tab', topic, qos: '0', datatype: 'utf8', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['rule-events']],
  });
  return [
    { id: 'tab', type: 'tab', label: 'external brokers' },
    mqttIn('mosquitto-log', '$SYS/broker/log/#'),
    mqttIn('aws-events', '$aws/events/#'),
    {
      id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort), clientid: NODE_RED_CLIENT_ID,
      autoConnect: true, usetls: false, protocolVersion: '5', keepalive: '60', cleansession: true,
    },
    { id: 'rule-events', type: 'rule-sql', z: 'tab', name: 'client events', sql: SEED_EVENTS_SQL, wires: [['sink']] },
    { id: 'rule-raw', type: 'rule-sql', z: 'tab', name: 'the $SYS publish', sql: 'SELECT topic, payload.clientid as who FROM "$SYS/brokers/+/clients/+/connected"', wires: [['raw-out']] },
    { id: 'raw-out', type: 'helper', z: 'tab' },
    seedSinkNode('sink'),
    seedConnectorNode(dynamoUrl),
  ];
}

const connect = (port: number, options: mqtt.IClientOptions) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });

/** The items of one client id, connected before disconnected. */
const itemsOf = (items: Item[], clientid: string) =>
  items.filter((i) => i.clientid?.S === clientid).sort((a, b) => (a.event.S! < b.event.S! ? -1 : 1));

describe('client events from the broker the user runs: mosquitto, AWS IoT, EMQX (e2e)', function () {
  this.timeout(60000);
  let mosquitto: Mosquitto;
  let dynamo: DynamoServer;
  let items: Item[];
  let started: number;
  const rawSeen: Record<string, unknown>[] = [];

  before(async function () {
    [mosquitto, dynamo] = await Promise.all([startMosquitto({ config: ['log_dest topic'] }), startDynamoDbLocal()]);
    await createSeedTable(dynamo.url);
    await helper.startServer();
    await helper.load([coreMqttNodes, connectorNode, ruleSqlNode, sinkNode], flow(mosquitto.port, dynamo.url), { connector: { ...TEST_CREDENTIALS } });
    (helper.getNode('raw-out') as unknown as NodeJS.EventEmitter).on('input', (msg: Record<string, unknown>) => rawSeen.push(msg));
    await mosquitto.subscribed(NODE_RED_CLIENT_ID);
    await mosquitto.subscribed(NODE_RED_CLIENT_ID);
    started = Date.now();

    // MQTT 3.1.1, a username, a subscription, then DISCONNECT: connected + disconnected `normal`.
    const clean = await connect(mosquitto.port, { clientId: 'dev-clean', protocolVersion: 4, username: 'alice', keepalive: 30, clean: true });
    await clean.subscribeAsync('devices/dev-clean/cmd', { qos: 1 });
    await clean.endAsync();
    // MQTT 5, no clean start, then the socket dropped without DISCONNECT: `tcp_closed`.
    const drop = await connect(mosquitto.port, { clientId: 'dev-drop', protocolVersion: 5, keepalive: 20, clean: false, properties: { sessionExpiryInterval: 60 } });
    drop.stream.destroy();
    // MQTT 5, keepalive 1 s, then silent (mqtt.js's own pinger stopped): `keepalive_timeout`.
    const idle = await connect(mosquitto.port, { clientId: 'dev-idle', protocolVersion: 5, keepalive: 1, clean: true });
    const client = idle as unknown as { keepaliveManager: { destroy(): void } | null };
    client.keepaliveManager?.destroy();
    client.keepaliveManager = null;

    // AWS IoT: a connect, its disconnect (same versionNumber), and the connect again (a duplicate).
    const aws = (kind: string, body: Record<string, unknown>) =>
      publishOnce({ port: mosquitto.port, clientId: `aws-${kind}`, topic: `$aws/events/presence/${kind}/thing-1`, payload: JSON.stringify(body), protocolVersion: 4 });
    const awsCommon = { clientId: 'thing-1', thingName: 'thing-1', sessionIdentifier: '00000000-0000-0000-0000-000000000001', principalIdentifier: 'abcdef0123456789' };
    await aws('connected', { ...awsCommon, timestamp: 1573002230757, eventType: 'connected', ipAddress: '192.0.2.0', versionNumber: 7 });
    await aws('disconnected', { ...awsCommon, timestamp: 1573002340451, eventType: 'disconnected', clientInitiatedDisconnect: false, disconnectReason: 'CONNECTION_LOST', versionNumber: 7 });
    await aws('connected', { ...awsCommon, timestamp: 1573002230757, eventType: 'connected', ipAddress: '192.0.2.0', versionNumber: 7 });

    // EMQX 5.x: what `mqtt in` gives for $SYS/brokers/<node>/clients/<id>/connected and /disconnected.
    const emqxTopic = '$SYS/brokers/emqx@10.0.0.1/clients/emqx-dev';
    const emqxCommon = { clientid: 'emqx-dev', username: 'bob', ipaddress: '10.0.0.7', sockport: 1883, protocol: 'mqtt', proto_name: 'MQTT', proto_ver: 5, connected_at: 1736512728660 };
    for (const [kind, body] of [
      ['connected', { ...emqxCommon, ts: 1736512728666, keepalive: 45, clean_start: false, expiry_interval: 3600000 }],
      ['disconnected', { ...emqxCommon, ts: 1736512790001, reason: 'keepalive_timeout', disconnected_at: 1736512790000 }],
    ] as const) {
      const msg = { topic: `${emqxTopic}/${kind}`, payload: JSON.stringify(body), qos: 0, retain: false };
      for (const id of ['rule-events', 'rule-raw']) (helper.getNode(id) as unknown as { receive(m: unknown): void }).receive({ ...msg });
    }

    // 6 mosquitto events of the three devices + 4 of the AWS publishers' own connections + 2 AWS + 2 EMQX.
    items = await waitForItems(async () => {
      const all = await scanAll(dynamo.url, 'mqtt_msg');
      return itemsOf(all, 'dev-idle').length === 2 ? all : [];
    }, 1, 15000);
    drop.end(true);
    idle.end(true);
  });

  after(async function () {
    await helper.unload();
    await helper.stopServer();
    await mosquitto?.stop();
    await dynamo?.stop();
  });

  it('mosquitto, MQTT 3.1.1 with a clean DISCONNECT: connected and disconnected `normal`', function () {
    const [connected, disconnected] = itemsOf(items, 'dev-clean');
    assert.ok(connected && disconnected, JSON.stringify(items));
    assert.deepEqual(
      ['event', 'username', 'peerhost', 'proto_name', 'clean_start'].map((n) => text(connected, n)),
      ['client.connected', 'alice', '127.0.0.1', 'MQTT', 'true'],
    );
    assert.deepEqual([numberOf(connected, 'proto_ver'), numberOf(connected, 'keepalive')], [4, 30]);
    assert.match(text(connected, 'peername'), /^127\.0\.0\.1:\d+$/);
    assert.equal(text(disconnected, 'reason'), 'normal');
    assert.equal(text(connected, 'id'), `client.connected${connected.timestamp.N}`);
    for (const [item, at] of [[connected, 'connected_at'], [disconnected, 'disconnected_at']] as const) {
      const second = numberOf(item, at);
      assert.equal(second % 1000, 0, 'the log line second × 1000');
      // Mosquitto stamps its log with db.now_real_s, read with time(NULL) once per loop pass;
      // glibc's time() is the kernel's coarse clock, a tick behind Date.now() at worst, so a line
      // written just after a second began can carry the second before (seen once in CI).
      assert.ok(second >= Math.floor(started / 1000) * 1000 - 2000 && second <= Date.now(), `${at} ${second}, started ${started}`);
      assert.ok(numberOf(item, 'timestamp') >= second && numberOf(item, 'timestamp') <= Date.now(), 'timestamp: arrival, ms');
    }
  });

  it('mosquitto, MQTT 5 without clean start, socket dropped: `tcp_closed`', function () {
    const [connected, disconnected] = itemsOf(items, 'dev-drop');
    assert.ok(connected && disconnected, JSON.stringify(items));
    assert.deepEqual([numberOf(connected, 'proto_ver'), numberOf(connected, 'keepalive'), text(connected, 'clean_start')], [5, 20, 'false']);
    assert.equal(text(connected, 'username'), 'undefined', 'no username');
    assert.equal(text(disconnected, 'reason'), 'tcp_closed');
  });

  it('mosquitto, keepalive 1 s run out: `keepalive_timeout`', function () {
    const [connected, disconnected] = itemsOf(items, 'dev-idle');
    assert.ok(connected && disconnected, JSON.stringify(items));
    assert.equal(numberOf(connected, 'keepalive'), 1);
    assert.equal(text(disconnected, 'reason'), 'keepalive_timeout');
  });

  it('AWS IoT through mosquitto: one item per event, duplicates collapse on the id, AWS fields kept', function () {
    const [connected, disconnected] = itemsOf(items, 'thing-1');
    assert.equal(itemsOf(items, 'thing-1').length, 2, JSON.stringify(itemsOf(items, 'thing-1')));
    assert.deepEqual(
      ['id', 'peerhost', 'thingName', 'sessionIdentifier', 'principalIdentifier'].map((n) => text(connected, n)),
      ['client.connected1573002230757', '192.0.2.0', 'thing-1', '00000000-0000-0000-0000-000000000001', 'abcdef0123456789'],
    );
    assert.deepEqual([numberOf(connected, 'versionNumber'), numberOf(connected, 'connected_at')], [7, 1573002230757]);
    assert.deepEqual(['reason', 'disconnectReason', 'clientInitiatedDisconnect'].map((n) => text(disconnected, n)), ['tcp_closed', 'CONNECTION_LOST', 'false']);
    assert.deepEqual([numberOf(disconnected, 'versionNumber'), numberOf(disconnected, 'disconnected_at')], [7, 1573002340451]);
  });

  it('EMQX $SYS messages: one item per event, the publish still reaches a rule on the $SYS topic', function () {
    const [connected, disconnected] = itemsOf(items, 'emqx-dev');
    assert.ok(connected && disconnected, JSON.stringify(items));
    assert.deepEqual(['id', 'username', 'peerhost', 'node', 'protocol'].map((n) => text(connected, n)),
      ['client.connected1736512728666', 'bob', '10.0.0.7', 'emqx@10.0.0.1', 'mqtt']);
    assert.deepEqual(['expiry_interval', 'keepalive', 'sockport', 'connected_at'].map((n) => numberOf(connected, n)), [3600, 45, 1883, 1736512728660]);
    assert.equal(text(disconnected, 'reason'), 'keepalive_timeout');
    assert.equal(numberOf(disconnected, 'disconnected_at'), 1736512790000);
    assert.deepEqual(rawSeen.map((m) => m.payload), [{ topic: '$SYS/brokers/emqx@10.0.0.1/clients/emqx-dev/connected', who: 'emqx-dev' }]);
  });

  it('nothing else: the AWS publishers are devices too, and the event rule wrote nothing half-filled', function () {
    const ids = new Set(items.map((i) => i.clientid?.S));
    assert.deepEqual([...ids].sort(), ['aws-connected', 'aws-disconnected', 'dev-clean', 'dev-drop', 'dev-idle', 'emqx-dev', 'thing-1'], JSON.stringify(items));
    for (const item of items) assert.match(text(item, 'id'), /^client\.(dis)?connected\d+$/);
  });
});
