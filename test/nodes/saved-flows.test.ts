// Saved flows keep working after a change (STYLE.md, the zachowj anchor): a flow saved by an
// earlier version lacks every property added since, and the editor hands such a property to its
// validator as undefined. Each node type's `defaults` are read from its .html (the
// RED.nodes.registerType script run in a vm with Node-RED's own RED.validators), and checked
// against the flow the first version's editor saved (test/fixtures/flows/, one per release,
// CHANGELOG.md) and against every example; the runtime must read the same flows as the defaults.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { CONNECTOR_DEFAULTS, connectorSettingsFrom } from '../../src/dynamo/connection/connector';
import { SINK_DEFAULTS, readSinkConfig, type SinkNodeDef } from '../../src/nodes/dynamodb-sink/config';
import { streamProperties } from '../../src/nodes/rule-sql/stream-runner';

const root = path.resolve(__dirname, '..', '..');
const OUR_TYPES = ['dynamodb-connector', 'rule-sql', 'dynamodb-sink'] as const;

type FlowNode = Record<string, unknown> & { id: string; type: string };
interface PropertyDef {
  value?: unknown;
  required?: boolean;
  validate?: (this: unknown, v: unknown, opt?: object) => unknown;
}
type Defaults = Record<string, PropertyDef>;

/** The editor's RED.validators, as Node-RED defines them (red.js of the installed editor). */
function editorValidatorsSource(): string {
  const client = path.dirname(require.resolve('@node-red/editor-client/package.json', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
  const red = fs.readFileSync(path.join(client, 'public', 'red', 'red.js'), 'utf8');
  const start = red.indexOf('RED.validators = {');
  assert.ok(start >= 0, 'RED.validators not found in red.js');
  const end = red.indexOf('\n};', start);
  return red.slice(start, end + 3);
}

/** Whatever jQuery gives: a selection of nothing, and ajax calls that never answer. */
function inertJQuery(): unknown {
  const inert: unknown = new Proxy(function () {}, {
    get: (_t, p) => (p === 'length' ? 0 : p === Symbol.toPrimitive ? () => '' : inert),
    apply: () => inert,
  });
  return inert;
}

const definitions = new Map<string, Defaults>();

/** A node type's `defaults`, evaluated from nodes/<type>.html. */
function editorDefaults(type: string): Defaults {
  const known = definitions.get(type);
  if (known) return known;
  const registered: Record<string, { defaults: Defaults }> = {};
  const RED = {
    nodes: { registerType: (t: string, def: { defaults: Defaults }) => (registered[t] = def) },
    _: (key: string) => key,
    editor: inertJQuery(),
    view: inertJQuery(),
  };
  const context = vm.createContext({ RED, $: inertJQuery(), console });
  vm.runInContext(editorValidatorsSource(), context);
  const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
  for (const [, script] of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) vm.runInContext(script, context);
  assert.ok(registered[type], `nodes/${type}.html registers ${type}`);
  definitions.set(type, registered[type].defaults);
  return registered[type].defaults;
}

/** The editor's verdict on one property (validateNodeProperty of Node-RED 4): true or why not. */
function verdict(defaults: Defaults, prop: string, node: FlowNode): true | string {
  const def = defaults[prop];
  const value = node[prop];
  if (def.required && value === '') return 'required and empty';
  if (!def.validate) return true;
  if (def.required === false && value === '') return true;
  const self = { ...node, _: (key: string) => key };
  const result = def.validate.call(self, value, {});
  if (def.validate.length === 2 && typeof result === 'string') return result;
  return result ? true : `refused ${JSON.stringify(value)}`;
}

function invalidProperties(node: FlowNode): string[] {
  const defaults = editorDefaults(node.type);
  return Object.keys(defaults)
    .map((prop) => [prop, verdict(defaults, prop, node)] as const)
    .filter(([, v]) => v !== true)
    .map(([prop, v]) => `${node.type} ${node.name ? `"${String(node.name)}" ` : ''}${prop}: ${v}`);
}

const readFlow = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
const FIXTURES = fs.readdirSync(path.join(root, 'test', 'fixtures', 'flows')).filter((f) => f.endsWith('.json')).sort();
const FIRST = readFlow(path.join(root, 'test', 'fixtures', 'flows', '0.1.0-first-round.json'));
const firstOf = (type: string) => FIRST.find((n) => n.type === type)!;

describe('saved flows stay valid across versions (editor validators and runtime, issue 22)', function () {
  it('the first version\'s fixture holds one node of each of our types', function () {
    for (const type of OUR_TYPES) assert.ok(firstOf(type), `no ${type} in the 0.1.0 fixture`);
  });

  for (const type of OUR_TYPES) {
    it(`${type}: every property added since 0.1.0 is valid when absent`, function () {
      const saved = firstOf(type);
      const added = Object.keys(editorDefaults(type)).filter((p) => !(p in saved));
      if (type === 'dynamodb-sink') assert.ok(added.includes('onConditionFailed') && added.includes('maxWriteUnits'), added.join(', '));
      const bare: FlowNode = { id: 'n1', type };
      for (const prop of added) assert.equal(verdict(editorDefaults(type), prop, bare), true, `${type}.${prop} absent`);
    });
  }

  for (const file of FIXTURES) {
    it(`${file}: every node of ours is valid in today's editor`, function () {
      const nodes = readFlow(path.join(root, 'test', 'fixtures', 'flows', file)).filter((n) => (OUR_TYPES as readonly string[]).includes(n.type));
      assert.ok(nodes.length >= 3);
      assert.deepEqual(nodes.flatMap(invalidProperties), []);
    });
  }

  it('every example: every node of ours is valid as it imports', function () {
    const dir = path.join(root, 'examples');
    const problems = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) =>
      readFlow(path.join(dir, f))
        .filter((n) => (OUR_TYPES as readonly string[]).includes(n.type))
        .flatMap((n) => invalidProperties(n).map((p) => `${f}: ${p}`)),
    );
    assert.deepEqual(problems, []);
  });

  it('the editor\'s defaults are the runtime\'s', function () {
    const sink = editorDefaults('dynamodb-sink');
    for (const [key, value] of Object.entries(SINK_DEFAULTS)) {
      if (sink[key]) assert.deepEqual(sink[key].value, value, `dynamodb-sink.${key}`);
    }
    const connector = editorDefaults('dynamodb-connector');
    for (const [key, value] of Object.entries(CONNECTOR_DEFAULTS)) assert.deepEqual(connector[key].value, value, `dynamodb-connector.${key}`);
    const rule = editorDefaults('rule-sql');
    const stream = streamProperties({}) as unknown as Record<string, unknown>;
    for (const key of ['eventTime', 'lateness', 'maxGroups']) assert.deepEqual(rule[key].value, stream[key], `rule-sql.${key}`);
  });

  it('the runtime reads the 0.1.0 flow as its values, and the defaults for everything added since', function () {
    const sink = firstOf('dynamodb-sink');
    assert.deepEqual(readSinkConfig(sink as unknown as SinkNodeDef), { ...SINK_DEFAULTS });
    const connector = firstOf('dynamodb-connector');
    assert.deepEqual(connectorSettingsFrom(connector as Record<string, unknown>), { ...CONNECTOR_DEFAULTS, url: 'http://127.0.0.1:8000', region: 'us-west-2', table: 'mqtt_msg' });
    assert.deepEqual(streamProperties(firstOf('rule-sql') as Record<string, unknown>), { eventTime: '', lateness: 0, maxGroups: 10000 });
  });
});
