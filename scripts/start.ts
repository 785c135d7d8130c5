// `npm start`: the one-command demo. Runs an embedded dynalite (or uses DYNAMODB_URL), creates the
// seed's `mqtt_msg` table if missing, starts Node-RED embedded with this package and the aedes
// broker node, deploys the demo flow, prints what to try, and stops everything on Ctrl-C.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultChainEnv, envPrefix, readDemoConfig, type DemoConfig } from './demo-config';
import { reconcileDemoFlow, type FlowNode } from './demo-flow';
import { hintOnMqtt5Refusal, mqttxCommand, type NodeRedHooks } from './demo-hints';
import { portOpenWithin } from './net';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const REQUIRED_TYPES = ['aedes broker', 'rule-sql', 'dynamodb-sink', 'dynamodb-connector'];
const PACKAGE_NAME = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string }).name;
// Not a secret: it only keeps the demo's credential file stable across runs of a local demo.
const DEMO_CREDENTIAL_SECRET = 'node-red-dynamodb-rules-demo';

/** The parts of `require('node-red')` the demo uses (the package ships no types). */
interface EmbeddedNodeRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: http.RequestListener;
  httpNode: http.RequestListener;
  hooks: NodeRedHooks;
  runtime: {
    flows: {
      getFlows(opts: object): Promise<{ rev: string; flows: FlowNode[] } | null>;
      setFlows(opts: { flows: { flows: FlowNode[] }; deploymentType: string }): Promise<unknown>;
    };
    nodes: {
      getNodeList(opts: object): Promise<{ module: string; types: string[]; enabled: boolean; err?: string }[]>;
    };
  };
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

const running: Stoppable[] = [];

function say(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Rebuilds dist/ when a source file is newer, so `git pull && npm start` never runs stale code. */
function ensureBuilt(): void {
  const marker = path.join(PROJECT_ROOT, 'dist', 'nodes', 'rule-sql.js');
  const builtAt = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  const newestSource = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
      const full = path.join(dir, entry.name);
      const time = entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs;
      return Math.max(newest, time);
    }, 0);
  if (builtAt >= newestSource(path.join(PROJECT_ROOT, 'src'))) return;
  say('Building dist/ (tsc) ...');
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('TypeScript build failed (see above); fix it or run `npm run build`');
}

/** Fails early with the variable to change, instead of a half-started demo. */
async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`port ${port} is in use (${err.code}); set ${variable} to a free port`)),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

/** Listens on 127.0.0.1 and registers the server to be closed on stop. */
async function listenLocal(server: http.Server, port: number, name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  running.push({
    name,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // Open editor websockets can hold close() back; the process exits right after anyway.
        setTimeout(resolve, 2000).unref();
      }),
  });
}

async function startDynalite(config: DemoConfig): Promise<void> {
  const dir = path.join(config.dataDir, 'dynalite');
  fs.mkdirSync(dir, { recursive: true });
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => http.Server;
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listenLocal(server, config.dynamoPort, 'dynalite');
}

function demoClient(config: DemoConfig): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: config.dynamoUrl,
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 3,
  });
}

/** The seed's `mqtt_msg.json` table definition, created only when the table is absent. */
async function ensureSeedTable(config: DemoConfig): Promise<'created' | 'exists'> {
  const client = demoClient(config);
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: config.table }));
      return 'exists';
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
    await client.send(
      new CreateTableCommand({
        TableName: config.table,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      }),
    );
    for (const deadline = Date.now() + 60000; Date.now() < deadline; ) {
      const out = await client.send(new DescribeTableCommand({ TableName: config.table }));
      if (out.Table?.TableStatus === 'ACTIVE') return 'created';
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`table ${config.table} at ${config.dynamoUrl} did not become ACTIVE within 60 s`);
  } catch (err) {
    throw new Error(`cannot prepare table ${config.table} at ${config.dynamoUrl} (region ${config.region}): ${(err as Error).message}`);
  } finally {
    client.destroy();
  }
}

function nodeRedSettings(config: DemoConfig): Record<string, unknown> {
  const userDir = path.join(config.dataDir, 'node-red');
  fs.mkdirSync(userDir, { recursive: true });
  return {
    userDir,
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: DEMO_CREDENTIAL_SECRET,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    // This package is loaded from the working tree; node-red-contrib-aedes is found by Node-RED's
    // own scan of the node_modules folder it is installed in.
    nodesDir: [PROJECT_ROOT],
    telemetry: { enabled: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    // The runtime's words (statuses, errors, log) in the machine's language (demo-config.ts).
    ...(config.lang ? { lang: config.lang } : {}),
  };
}

async function startNodeRed(config: DemoConfig): Promise<EmbeddedNodeRed> {
  const RED = require('node-red') as EmbeddedNodeRed;
  // express is Node-RED's own dependency: resolve it from there rather than declaring it here.
  const express = require(require.resolve('express', { paths: [path.dirname(require.resolve('node-red'))] })) as () => {
    use(path: string, handler: http.RequestListener): void;
  } & http.RequestListener;
  const app = express();
  const server = http.createServer(app);
  RED.init(server, nodeRedSettings(config));
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await listenLocal(server, config.nodeRedPort, 'http server');
  await RED.start();
  running.push({ name: 'Node-RED', stop: () => RED.stop() });
  return RED;
}

async function assertNodesLoaded(RED: EmbeddedNodeRed): Promise<void> {
  const sets = await RED.runtime.nodes.getNodeList({});
  const loaded = new Set(sets.filter((set) => set.enabled && !set.err).flatMap((set) => set.types));
  const missing = REQUIRED_TYPES.filter((type) => !loaded.has(type));
  if (missing.length === 0) return;
  const errors = sets.filter((set) => set.err).map((set) => `  ${set.module}: ${set.err}`);
  throw new Error(
    `Node-RED could not load node type(s) ${missing.join(', ')}` +
      (errors.length > 0 ? `:\n${errors.join('\n')}` : '') +
      '\nRun `npm install` (it builds dist/ and installs node-red-contrib-aedes).',
  );
}

async function deployDemo(RED: EmbeddedNodeRed, config: DemoConfig): Promise<'deployed' | 'kept'> {
  // RED.start() resolves before the saved flows are loaded; they are null until then.
  let current = await RED.runtime.flows.getFlows({});
  for (const deadline = Date.now() + 30000; !current?.flows && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 100));
    current = await RED.runtime.flows.getFlows({});
  }
  if (!current?.flows) throw new Error('Node-RED did not load its flows within 30 s');
  const next = reconcileDemoFlow(current.flows, config);
  if (next === null) return 'kept';
  await RED.runtime.flows.setFlows({ flows: { flows: next }, deploymentType: 'full' });
  return 'deployed';
}

let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  if (stopping) process.exit(exitCode);
  stopping = true;
  // Node-RED first: its close handlers flush the sinks into DynamoDB, which must still be up.
  for (const part of [...running].reverse()) {
    try {
      await part.stop();
    } catch (err) {
      process.stderr.write(`stopping ${part.name}: ${(err as Error).message}\n`);
    }
  }
  if (exitCode === 0) say('Stopped.');
  process.exit(exitCode);
}

function printBanner(config: DemoConfig, table: 'created' | 'exists', flow: 'deployed' | 'kept', note: string | null, chain: Record<string, string>): void {
  const store = config.embedded
    ? `embedded dynalite, data in ${path.relative(process.cwd(), path.join(config.dataDir, 'dynalite'))}`
    : 'from DYNAMODB_URL';
  say('');
  say('MQTT → DynamoDB demo is running');
  say(`  Node-RED editor: http://127.0.0.1:${config.nodeRedPort}/`);
  say(`  MQTT broker:     mqtt://127.0.0.1:${config.mqttPort} (MQTT 3.1.1 only)`);
  say(`  DynamoDB:        ${config.dynamoUrl} (${store}), region ${config.region}`);
  say(`  Table:           ${config.table} (${table === 'created' ? 'created now' : 'already there'})`);
  say(`  Demo flow:       ${flow === 'deployed' ? 'deployed' : 'already deployed, kept as saved'}`);
  say(`  Language:        ${config.lang ?? 'en-US'} (statuses, errors, log; NODE_RED_LANG=zh-CN or ja to change)`);
  say('');
  say('Try it, from another terminal in this folder:');
  say(`  npx mqtt pub -i emqx_c -t t/1 -m '{ "msg": "hello DynamoDB" }' -p ${config.mqttPort}`);
  say(`  ${envPrefix(config)}npm run scan`);
  say('With MQTT X, which speaks MQTT 5 unless told otherwise, add -V 3.1.1:');
  say(`  ${mqttxCommand(config.mqttPort)}`);
  say('');
  say(`More flows: the editor's menu › Import › Examples › ${PACKAGE_NAME}.`);
  const ports = config.mqttPort === 1883 && config.embedded && config.dynamoPort === 8000;
  const keys = chain.AWS_ACCESS_KEY_ID ? ' (their connectors have no keys: this Node-RED has the local keys in its environment)' : '';
  say(ports ? `They run here as imported${keys}.` : `They expect the broker on 1883 and DynamoDB on 8000: set both in them${keys}.`);
  say('');
  if (note) {
    say(note);
    say('');
  }
  say('Press Ctrl-C to stop.');
}

/**
 * The AWS SDK's own notice (a process warning, "NodeVersionSupportWarning ... will require
 * node >=22", printed before anything else on Node 20) is switched off through its documented
 * opt-out, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, unless the user set that
 * variable; the banner says the same in one line at its end instead. Returns that line, or null
 * on Node 22 and later.
 */
function nodeVersionNote(): string | null {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return null;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (
    `Note: you run Node ${process.version}. This package works on Node 20, 22 and 24, but AWS SDK releases ` +
    'after the first week of January 2027 need Node 22 or later.'
  );
}

async function main(): Promise<void> {
  const note = nodeVersionNote();
  const config = readDemoConfig();
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  ensureBuilt();
  await assertPortFree(config.nodeRedPort, 'NODE_RED_PORT');
  await assertPortFree(config.mqttPort, 'MQTT_PORT');
  if (config.embedded) {
    await assertPortFree(config.dynamoPort, 'DYNAMODB_PORT');
    await startDynalite(config);
  }
  const table = await ensureSeedTable(config);
  // A connector with no keys (the examples') uses the AWS default credential chain of this process.
  const chain = defaultChainEnv(config);
  Object.assign(process.env, chain);
  const RED = await startNodeRed(config);
  hintOnMqtt5Refusal(RED.hooks, config.mqttPort, (text) => say(`\n${text}\n`));
  await assertNodesLoaded(RED);
  const flow = await deployDemo(RED, config);
  if (!(await portOpenWithin(config.mqttPort, 15000, 200))) {
    throw new Error(`the demo's MQTT broker is not listening on port ${config.mqttPort}; see the Node-RED log above`);
  }
  printBanner(config, table, flow, note, chain);
}

main().catch((err: Error) => {
  process.stderr.write(`npm start: ${err.message}\n`);
  void stopAll(1);
});
