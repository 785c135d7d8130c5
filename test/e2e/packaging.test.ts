// The package as a user gets it from the palette: `npm pack`, the tarball installed alone into a
// fresh Node-RED user directory (as the palette manager installs it), Node-RED started on it.
// The three node types must register, the examples must be listed, and every example must deploy
// and run against real servers with nothing but Node-RED's core nodes beside ours.
import * as assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createSeedTable, freePort, scanAll, startDynalite, testClient, type DynamoServer } from '../support/dynamodb';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { publishOnce } from './mqtt-publisher';
import { SEED_PAYLOAD, waitForItems } from './seed-expectations';

const run = promisify(execFile);
const projectRoot = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { nodes: Record<string, string> };
};
const OUR_TYPES = Object.keys(pkg['node-red'].nodes).sort();
const EXAMPLES = fs
  .readdirSync(path.join(projectRoot, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

type FlowNode = Record<string, unknown> & { id: string; type: string };

interface NodeRed {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Node-RED from this repository's node_modules, on a user directory holding only our tarball. */
async function startNodeRed(userDir: string): Promise<NodeRed> {
  const port = await freePort();
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'packaging-test',
    // Node-RED also loads node modules installed beside itself; this repository's dev install has
    // node-red-contrib-aedes there, which a user's fresh Node-RED would not have.
    nodesExcludes: ['node-red-contrib-aedes'],
    // The runtime's words in English whatever the machine's locale (tests read its log lines).
    lang: 'en-US',
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--settings', settingsFile, '--userDir', userDir], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const hung = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(hung);
    }
  };
  for (const deadline = Date.now() + 60000; !/Started flows|Waiting for missing types/.test(output); ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://127.0.0.1:${port}`, output: () => output, stop };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await res.text();
  assert.ok(res.ok, `GET ${url}: ${res.status} ${body}`);
  return JSON.parse(body);
}

async function deploy(nodeRed: NodeRed, flows: FlowNode[]): Promise<void> {
  const res = await fetch(`${nodeRed.url}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
    body: JSON.stringify({ flows }),
  });
  const body = await res.text();
  assert.ok(res.ok, `POST /flows: ${res.status} ${body}`);
}

/** An example as the editor imports it: into a tab, pointed at the test's broker and DynamoDB. */
async function importExample(nodeRed: NodeRed, name: string, servers: { mqttPort: number; dynamoUrl: string }, clientId: string): Promise<FlowNode[]> {
  const modulePath = `${nodeRed.url}/library/examples/flows/${pkg.name}/${encodeURIComponent(name)}`;
  const flow = (await getJson(modulePath)) as FlowNode[];
  const tabs = new Set(flow.filter((n) => n.z).map((n) => n.z as string));
  const imported: FlowNode[] = [...[...tabs].map((id) => ({ id, type: 'tab', label: name })), ...flow.map((n) => ({ ...n }))];
  for (const node of imported) {
    if (node.type === 'mqtt-broker') Object.assign(node, { broker: '127.0.0.1', port: String(servers.mqttPort), clientid: clientId });
    // The keys a user types into the connector dialog; examples ship none.
    if (node.type === 'dynamodb-connector') Object.assign(node, { url: servers.dynamoUrl, credentials: { accessKeyId: 'root', secretAccessKey: 'public' } });
  }
  return imported;
}

describe('packaging: npm pack, installed alone into a fresh Node-RED (e2e)', function () {
  this.timeout(300000);
  let workDir: string;
  let tarball: string;
  let packedFiles: string[];
  let nodeRed: NodeRed | undefined;
  let mosquitto: Mosquitto | undefined;
  let dynamo: DynamoServer | undefined;

  before(async function () {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'packaging-'));
    // `npm pack` runs `prepare` (tsc), so dist/ is fresh in the tarball.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 });
    const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(workDir, path.basename(packed[0].filename));
    packedFiles = packed[0].files.map((f) => f.path);
  });

  after(async function () {
    await nodeRed?.stop();
    await mosquitto?.stop();
    await dynamo?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('packs the compiled code, the editor files, the examples, README and LICENSE, and no sources or tests', function () {
    for (const type of OUR_TYPES) {
      assert.ok(packedFiles.includes(`dist/nodes/${type}.js`), `dist/nodes/${type}.js missing`);
      assert.ok(packedFiles.includes(`nodes/${type}.js`), `nodes/${type}.js missing`);
      assert.ok(packedFiles.includes(`nodes/${type}.html`), `nodes/${type}.html missing`);
    }
    assert.ok(packedFiles.includes('dist/index.js'));
    assert.ok(packedFiles.includes('dist/index.d.ts'));
    for (const example of EXAMPLES) assert.ok(packedFiles.includes(`examples/${example}.json`), `examples/${example}.json missing`);
    for (const file of ['package.json', 'README.md', 'LICENSE']) assert.ok(packedFiles.includes(file), `${file} missing`);
    assert.deepEqual(packedFiles.filter((f) => /^(src|test|scripts|bench|\.data)\//.test(f)), []);
  });

  it('installs with production dependencies only, as the palette manager does', async function () {
    const userDir = path.join(workDir, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--save', '--omit=dev', '--prefer-offline', tarball], {
      cwd: userDir,
      maxBuffer: 64 * 1024 * 1024,
    });
    const installed = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'nodes', 'rule-sql.js')));
    assert.equal(fs.existsSync(path.join(userDir, 'node_modules', 'node-red')), false, 'node-red must not be installed as a dependency');
    nodeRed = await startNodeRed(userDir);
  });

  it('registers the three node types, with no load error', async function () {
    assert.ok(nodeRed, 'Node-RED did not start');
    const sets = (await getJson(`${nodeRed.url}/nodes`)) as { module: string; types: string[]; enabled: boolean; err?: string }[];
    const ours = sets.filter((set) => set.module === pkg.name);
    assert.deepEqual(ours.filter((set) => set.err).map((set) => set.err), []);
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), OUR_TYPES);
    // Only Node-RED's own nodes and ours: the palette a newcomer has.
    assert.deepEqual([...new Set(sets.map((set) => set.module))].sort(), ['node-red', pkg.name].sort());
  });

  it('lists every example under Import › Examples', async function () {
    assert.ok(nodeRed, 'Node-RED did not start');
    const modules = (await getJson(`${nodeRed.url}/library/examples/flows/`)) as unknown[];
    assert.ok(JSON.stringify(modules).includes(pkg.name), `examples library: ${JSON.stringify(modules)}`);
    const listing = await getJson(`${nodeRed.url}/library/examples/flows/${pkg.name}`);
    const names = (listing as (string | { fn?: string })[]).map((entry) => (typeof entry === 'string' ? entry : entry.fn));
    assert.deepEqual(names.filter((n): n is string => typeof n === 'string').sort(), EXAMPLES);
  });

  describe('each example deploys and runs', function () {
    before(async function () {
      mosquitto = await startMosquitto();
      dynamo = await startDynalite();
      await createSeedTable(dynamo.url);
      const client = testClient(dynamo.url);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: 'device_status',
            KeySchema: [{ AttributeName: 'clientid', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'clientid', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        await client.send(new DescribeTableCommand({ TableName: 'device_status' }));
        for (const TableName of ['device_counters', 'device_latest']) {
          await client.send(
            new CreateTableCommand({
              TableName,
              KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
              AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
              BillingMode: 'PAY_PER_REQUEST',
            }),
          );
        }
        // The tables the streams examples name (issue 13).
        for (const [TableName, key] of [['sensor_minutes', 'id'], ['device_state', 'device']]) {
          await client.send(new CreateTableCommand({
            TableName,
            KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }));
        }
      } finally {
        client.destroy();
      }
    });

    const deployExample = async (name: string, clientId: string, change?: (flows: FlowNode[]) => void) => {
      assert.ok(nodeRed && mosquitto && dynamo, 'servers not started');
      const flows = await importExample(nodeRed, name, { mqttPort: mosquitto.port, dynamoUrl: dynamo.url }, clientId);
      change?.(flows);
      const before = nodeRed.output().length;
      await deploy(nodeRed, flows);
      await mosquitto.subscribed(clientId);
      assert.doesNotMatch(nodeRed.output().slice(before), /missing types|\[error\]/);
    };

    it('"Store MQTT messages" stores a published message in mqtt_msg', async function () {
      await deployExample('Store MQTT messages', 'nr-example-store');
      await publishOnce({ port: mosquitto!.port, clientId: 'emqx_c', topic: 't/1', payload: SEED_PAYLOAD, protocolVersion: 4 });
      const items = await waitForItems(() => scanAll(dynamo!.url, 'mqtt_msg'), 1);
      const messages = items.filter((item) => item.event?.S === 'message.publish');
      assert.equal(messages.length, 1, JSON.stringify(items));
      assert.deepEqual(messages[0].payload, { S: SEED_PAYLOAD });
    });

    it('"Record client events" records the connection of its MQTT client', async function () {
      await deployExample('Record client events', 'nr-example-events');
      const items = await waitForItems(async () => (await scanAll(dynamo!.url, 'mqtt_msg')).filter((i) => i.event?.S === 'client.connected'), 1);
      assert.ok(items.length >= 1, 'no client.connected item');
      assert.match(items[0].id.S ?? '', /^client\.connected\d+$/);
    });

    it('"Record client events from your broker" records a device from a broker lifecycle message (issue 19)', async function () {
      await deployExample('Record client events from your broker', 'nr-example-brokers', (flows) => {
        // Three broker nodes, one test broker: a client id each, and no TLS for the AWS IoT one.
        for (const node of flows.filter((n) => n.type === 'mqtt-broker')) {
          Object.assign(node, { clientid: `nr-example-brokers-${String(node.name).split(' ')[0]}`, usetls: false, tls: '' });
        }
      });
      const presence = { clientId: 'thing-9', timestamp: 1573002230757, eventType: 'connected', sessionIdentifier: 's', principalIdentifier: 'p', ipAddress: '192.0.2.9', versionNumber: 1 };
      await publishOnce({ port: mosquitto!.port, clientId: 'aws-sim', topic: '$aws/events/presence/connected/thing-9', payload: JSON.stringify(presence), protocolVersion: 4 });
      const items = await waitForItems(async () => (await scanAll(dynamo!.url, 'mqtt_msg')).filter((i) => i.clientid?.S === 'thing-9'), 1);
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.deepEqual([items[0].id.S, items[0].peerhost.S, items[0].versionNumber.N], ['client.connected1573002230757', '192.0.2.9', '1']);
    });

    it('"Device online status" keeps one item per device, updated in place', async function () {
      await deployExample('Device online status', 'nr-example-status');
      const read = () => scanAll(dynamo!.url, 'device_status');
      await publishOnce({ port: mosquitto!.port, clientId: 'sensor-1', topic: 'devices/sensor-1/status', payload: 'online', protocolVersion: 4 });
      let items = await waitForItems(read, 1);
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.equal(items[0].clientid.S, 'sensor-1');
      assert.equal(items[0].status.S, 'online');
      await publishOnce({ port: mosquitto!.port, clientId: 'sensor-1', topic: 'devices/sensor-1/status', payload: 'offline', protocolVersion: 4 });
      const deadline = Date.now() + 15000;
      while ((items = await read())[0]?.status?.S !== 'offline' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.equal(items[0].status.S, 'offline');
    });

    it('"Device online status" keeps the newest AWS IoT presence per device, whatever the arrival order (issue 19)', async function () {
      await deployExample('Device online status', 'nr-example-status-aws');
      const read = async () => (await scanAll(dynamo!.url, 'device_status')).find((i) => i.clientid.S === 'thing-7');
      const presence = async (kind: 'connected' | 'disconnected', versionNumber: number, timestamp: number) => {
        const body = { clientId: 'thing-7', timestamp, eventType: kind, sessionIdentifier: 's', principalIdentifier: 'p', versionNumber,
          ...(kind === 'disconnected' ? { clientInitiatedDisconnect: false, disconnectReason: 'CONNECTION_LOST' } : { ipAddress: '192.0.2.7' }) };
        await publishOnce({ port: mosquitto!.port, clientId: 'aws-sim', topic: `$aws/events/presence/${kind}/thing-7`, payload: JSON.stringify(body), protocolVersion: 4 });
      };
      const waitFor = async (status: string, seq: string) => {
        const deadline = Date.now() + 15000;
        let item = await read();
        while ((item?.status?.S !== status || item?.seq?.N !== seq) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          item = await read();
        }
        return item;
      };
      // The disconnect of session 2 arrives first, then its connect (older) and the disconnect again.
      await presence('disconnected', 2, 1700000002000);
      assert.equal((await waitFor('offline', '5'))?.seq?.N, '5');
      await presence('connected', 2, 1700000001000);
      await presence('disconnected', 2, 1700000002000);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual([(await read())?.status.S, (await read())?.seq.N], ['offline', '5'], 'the older connect was refused');
      await presence('connected', 3, 1700000003000);
      const item = await waitFor('online', '6');
      assert.deepEqual([item?.status.S, item?.versionNumber.N, item?.updated_at.N], ['online', '3', '1700000003000']);
    });

    it('"Average per device per minute into DynamoDB" writes one item per device and window', async function () {
      // The example's one-minute window, shortened to two seconds so that the test needs no minute.
      await deployExample('Average per device per minute into DynamoDB', 'nr-example-window', (flows) => {
        const rule = flows.find((n) => n.type === 'rule-sql')!;
        assert.match(String(rule.sql), /TUMBLINGWINDOW\(mi, 1\)/);
        rule.sql = String(rule.sql).replace('TUMBLINGWINDOW(mi, 1)', 'TUMBLINGWINDOW(ss, 2)');
      });
      for (const [device, temp] of [['room1', 20], ['room1', 22], ['room2', 10], ['room1', 'n/a']] as const) {
        await publishOnce({ port: mosquitto!.port, clientId: `pub-${device}`, topic: `sensors/${device}`, payload: JSON.stringify({ temp }), protocolVersion: 4 });
      }
      const items = await waitForItems(() => scanAll(dynamo!.url, 'sensor_minutes'), 2);
      const byDevice = new Map(items.map((i) => [i.device.S, i]));
      // The publishes may straddle a window boundary: the counts add up either way.
      const total = (d: string) => items.filter((i) => i.device.S === d).reduce((n, i) => n + Number(i.readings.N), 0);
      assert.equal(total('room1'), 2, JSON.stringify(items));
      assert.equal(byDevice.get('room2')?.avg_temp.N, '10');
      for (const i of items) {
        assert.equal(Number(i.window_end.N) - Number(i.window_start.N), 2000);
        assert.equal(i.id.S, `${i.device.S}@${i.window_start.N}`);
      }
    });

    it('"Write only when the state changed" writes a device only when its state changes', async function () {
      await deployExample('Write only when the state changed', 'nr-example-changed');
      const read = async () => (await scanAll(dynamo!.url, 'device_state')).find((i) => i.device.S === 'lamp1');
      const publish = (state: string) => publishOnce({ port: mosquitto!.port, clientId: 'lamp1', topic: 'devices/lamp1/state', payload: JSON.stringify({ state }), protocolVersion: 4 });
      await publish('on');
      const first = (await waitForItems(async () => (await scanAll(dynamo!.url, 'device_state')), 1))[0];
      assert.equal(first.state.S, 'on');
      await publish('on');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await read())?.changed_at.N, first.changed_at.N, 'a repeated state is not written');
      await publish('off');
      const deadline = Date.now() + 15000;
      let item = await read();
      while (item?.state.S !== 'off' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        item = await read();
      }
      assert.equal(item?.state.S, 'off');
    });

    it('"Device state with counters" counts, keeps a history, and refuses an older reading', async function () {
      await deployExample('Device state with counters', 'nr-example-state');
      const telemetry = (payload: unknown) =>
        publishOnce({ port: mosquitto!.port, clientId: 'dev1', topic: 'sensors/dev1/telemetry', payload: JSON.stringify(payload), protocolVersion: 4 });
      await telemetry({ temp: 21.5, ts: 3 });
      await waitForItems(() => scanAll(dynamo!.url, 'device_latest'), 1);
      await telemetry({ temp: 19, ts: 1 });
      const deadline = Date.now() + 15000;
      let state = await scanAll(dynamo!.url, 'device_counters');
      while (state[0]?.msg_count?.N !== '2' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        state = await scanAll(dynamo!.url, 'device_counters');
      }
      assert.equal(state.length, 1, JSON.stringify(state));
      assert.deepEqual([state[0].msg_count, state[0].last_temp, state[0].history], [{ N: '2' }, { N: '19' }, { L: [{ N: '21.5' }, { N: '19' }] }]);
      const latest = await scanAll(dynamo!.url, 'device_latest');
      assert.deepEqual([latest[0].ts, latest[0].temp], [{ N: '3' }, { N: '21.5' }], 'the older reading was refused');
      assert.match(latest[0].expires_at?.N ?? '', /^\d+$/);
    });
  });
});
