// The package in a whole Node-RED runtime (not the test helper's): whichever Node-RED resolves
// here, so Node-RED 4 under `npm test` and Node-RED 5 on Node 22 under `npm run test:node22`.
// The three node types and the sidebar plugin register, a flow with the aedes broker writes a
// published message to dynalite, and the plugin's metrics endpoint and editor script answer.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { createSeedTable, freePort, scanAll, startDynalite, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../support/dynamodb';
import { adminGet, adminGetText, startNodeRed, type NodeRedProcess } from '../e2e/support/node-red-process';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';

interface NodeSetInfo {
  module: string;
  types?: string[];
  enabled: boolean;
  err?: string;
}

interface PluginSetInfo {
  module: string;
  plugins: { id: string }[];
}

interface SinkMetrics {
  id: string;
  counters: Record<string, number>;
  history: unknown[];
}

describe('the package in a running Node-RED', function () {
  this.timeout(60000);
  const redVersion = (require(require.resolve('node-red/package.json')) as { version: string }).version;
  const pkg = (require(path.resolve(__dirname, '..', '..', 'package.json')) as { name: string }).name;

  let dynamo: DynamoServer;
  let red: NodeRedProcess;
  let mqttPort: number;

  before(async function () {
    this.timeout(90000);
    dynamo = await startDynalite();
    await createSeedTable(dynamo.url);
    mqttPort = await freePort();
    red = await startNodeRed({
      // The connector has no keys in the flow: the AWS default credential chain reads these.
      env: { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
      flows: [
        { id: 'tab', type: 'tab', label: 'runtime' },
        { id: 'broker', type: 'aedes broker', z: 'tab', mqtt_port: mqttPort, mqtt_ws_bind: 'port', wires: [[], ['rule']] },
        { id: 'rule', type: 'rule-sql', z: 'tab', name: '', sql: 'SELECT * FROM "t/#"', wires: [['sink']] },
        { id: 'sink', type: 'dynamodb-sink', z: 'tab', name: 'to mqtt_msg', connector: 'conn', wires: [[]] },
        { id: 'conn', type: 'dynamodb-connector', url: dynamo.url, region: TEST_REGION, table: 'mqtt_msg' },
      ],
    });
  });

  after(async function () {
    this.timeout(30000);
    await red?.stop();
    await dynamo?.stop();
  });

  it(`registers the three node types in Node-RED ${redVersion}`, async () => {
    const sets = (await adminGet(`${red.url}/nodes`)) as NodeSetInfo[];
    const ours = sets.filter((s) => s.module === pkg);
    const types = ours.flatMap((s) => s.types ?? []).sort();
    assert.deepEqual(types, ['dynamodb-connector', 'dynamodb-sink', 'rule-sql'], JSON.stringify(ours));
    for (const set of ours) assert.equal(set.err, undefined, `${set.types}: ${set.err}`);
    assert.ok(sets.some((s) => s.module === 'node-red-contrib-aedes' && s.enabled), 'the aedes broker node is loaded');
  });

  it('registers the DynamoDB sidebar plugin and serves its editor script', async () => {
    const plugins = (await adminGet(`${red.url}/plugins`)) as PluginSetInfo[];
    const ours = plugins.find((p) => p.module === pkg);
    assert.ok(ours, JSON.stringify(plugins));
    assert.deepEqual(ours.plugins.map((p) => p.id), ['dynamodb-sidebar']);
    const html = await adminGetText(`${red.url}/plugins`, 'text/html');
    assert.match(html, /RED\.plugins\.registerPlugin\('dynamodb-sidebar'/);
    assert.match(html, /RED\.sidebar\.addTab\(/);
    // The plugin loads before any flows: it must not sample (and warn) until they have started.
    assert.doesNotMatch(red.output(), /dynamodb-sidebar: sampling sink metrics failed/);
  });

  it('writes a message published to the aedes broker, and the plugin reports the write', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'emqx_c' });
    await client.publishAsync('t/1', '{ "msg": "hello DynamoDB" }', { qos: 1 });
    await client.endAsync();

    let sink: SinkMetrics | undefined;
    const deadline = Date.now() + 20000;
    for (;;) {
      const all = (await adminGet(`${red.url}/dynamodb-sink/metrics`)) as { sinks: SinkMetrics[] };
      sink = all.sinks.find((s) => s.id === 'sink');
      if (sink?.counters.success === 1) break;
      if (Date.now() > deadline) assert.fail(`no write counted: ${JSON.stringify(all)}\n${red.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(sink.counters.matched, 1);
    assert.equal(sink.counters.failed, 0);
    assert.ok(sink.history.length >= 1);
    const own = (await adminGet(`${red.url}/dynamodb-sink/sink/metrics`)) as { counters: Record<string, number> };
    assert.equal(own.counters.success, 1);

    const items = await scanAll(dynamo.url, 'mqtt_msg');
    assert.equal(items.length, 1);
    assert.deepEqual(items[0].payload, { S: '{ "msg": "hello DynamoDB" }' });
    assert.deepEqual(items[0].clientid, { S: 'emqx_c' });
  });

  it('serves every running sink and rule in Prometheus text format (read by a Prometheus parser)', async () => {
    const text = await adminGetText(`${red.url}/dynamodb-sink/metrics?format=prometheus`, 'text/plain');
    const f = parsePrometheusText(text);
    const sink = { sink: 'sink', name: 'to mqtt_msg', table: 'mqtt_msg' };
    assert.equal(sampleValue(f, 'dynamodb_sink_matched_total', sink), 1, text);
    assert.equal(sampleValue(f, 'dynamodb_sink_success_total', sink), 1);
    assert.equal(sampleValue(f, 'dynamodb_sink_failed_total', sink), 0);
    assert.equal(sampleValue(f, 'dynamodb_sink_queuing', sink), 0);
    assert.equal(f.get('dynamodb_sink_inflight')?.type, 'GAUGE');
    assert.equal(sampleValue(f, 'dynamodb_sink_consumed_wcu_total', sink), 1, 'a put under 1 KB consumes 1 WCU (ReturnConsumedCapacity)');
    assert.equal(sampleValue(f, 'rule_sql_matched_total', { rule: 'rule', name: '' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_passed_total', { rule: 'rule' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_failed_total', { rule: 'rule' }), 0);
    await assert.rejects(adminGetText(`${red.url}/dynamodb-sink/metrics?format=xml`, 'text/plain'), /400.*format=prometheus/);
  });
});
