// A test flow around one dynamodb-sink: connector → sink → `out` helper, and a Catch node →
// `caught` helper; plus what a test watches of the sink (status, logs, metrics endpoint).
import type { Node } from 'node-red';
import { helper as baseHelper, type NodeTestHelper } from '../e2e/node-test-helper';
import connectorNode from '../../src/nodes/dynamodb-connector';
import sinkNode from '../../src/nodes/dynamodb-sink/register';
import { TEST_CREDENTIALS, TEST_REGION } from './dynamodb';

export interface SinkTestHelper extends NodeTestHelper {
  settings(userSettings: Record<string, unknown>): Record<string, unknown>;
  /** supertest against the admin app (untyped package). */
  request(): { get(path: string): Promise<{ status: number; body: unknown }> };
}

export const helper = baseHelper as SinkTestHelper;

export const SINK_NODES = [connectorNode, sinkNode];

export interface SinkFlowOptions {
  url: string;
  sink?: Record<string, unknown>;
  connector?: Record<string, unknown>;
  /** Node id of the sink; a fresh one per test keeps a queue handed over at close out of the next test. */
  sinkId?: string;
}

export function sinkFlow(options: SinkFlowOptions): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: 'sink test' },
    {
      id: 'connector',
      type: 'dynamodb-connector',
      name: 'local',
      url: options.url,
      region: TEST_REGION,
      table: 'mqtt_msg',
      healthCheckInterval: 1000,
      requestTimeout: 2000,
      ...options.connector,
    },
    // Flow nodes need x/y: without them Node-RED takes a node on a tab for a config node.
    { id: options.sinkId ?? 'sink', type: 'dynamodb-sink', z: 'tab', x: 0, y: 0, name: 'sink', connector: 'connector', batchTime: 5, ...options.sink, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab', x: 0, y: 0 },
    { id: 'catch', type: 'catch', z: 'tab', x: 0, y: 0, scope: [options.sinkId ?? 'sink'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', x: 0, y: 0 },
  ];
}

export const CONNECTOR_CREDENTIALS = { connector: { ...TEST_CREDENTIALS } };

export type Msg = Record<string, unknown> & { payload?: unknown; dynamodb?: Record<string, unknown>; error?: { message: string } };

/** Everything the flow's sink does that a test may look at. */
export interface SinkWatch {
  sink: Node & Record<string, unknown>;
  outputs: Msg[];
  caught: Msg[];
  statuses: { fill?: string; shape?: string; text?: string }[];
  warnings: string[];
  errors: string[];
  send(msg: Msg): void;
}

export function watchSink(id = 'sink'): SinkWatch {
  const sink = helper.getNode(id)!;
  const watch: SinkWatch = {
    sink,
    outputs: [],
    caught: [],
    statuses: [],
    warnings: [],
    errors: [],
    send: (msg) => sink.receive(msg as never),
  };
  // What the sink did while it started (before these listeners): the helper's sinon spies.
  const earlier = (method: string) =>
    ((sink as any)[method]?.getCalls?.() ?? []).filter((c: { thisValue: unknown }) => c.thisValue === sink);
  for (const c of earlier('status')) watch.statuses.push(c.args[0]);
  for (const c of earlier('warn')) watch.warnings.push(String(c.args[0]));
  for (const c of earlier('error')) watch.errors.push(String(c.args[0]));
  helper.getNode('out')!.on('input', (msg: Msg) => watch.outputs.push(msg));
  helper.getNode('caught')!.on('input', (msg: Msg) => watch.caught.push(msg));
  // The helper emits `call:<method>` for Node's spied methods; Node's typings do not know them.
  const spied = sink as unknown as { on(event: string, fn: (call: { args: unknown[] }) => void): void };
  spied.on('call:status', (call) => watch.statuses.push(call.args[0] as SinkWatch['statuses'][0]));
  spied.on('call:warn', (call) => watch.warnings.push(String(call.args[0])));
  spied.on('call:error', (call) => watch.errors.push(String(call.args[0])));
  return watch;
}

export async function until(what: string, cond: () => boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function sinkMetrics(id: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await helper.request().get(`/dynamodb-sink/${id}/metrics`);
  return { status: res.status, body: res.body as Record<string, any> };
}
