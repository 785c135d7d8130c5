// A real Node-RED runtime embedded in the benchmark process (not the test helper, which wraps
// every node method in a spy): loads this package from the working tree and the nodes installed
// beside node-red, deploys a flow, lets a benchmark push messages into its first node and count
// what reaches its last, and reports the versions RESULTS.md must name.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamoServer } from '../test/support/dynamodb';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

export type FlowNode = Record<string, unknown> & { id: string; type: string };

interface NodeRedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  version(): string;
  nodes: { getNode(id: string): RuntimeNode | null };
  runtime: {
    flows: { setFlows(opts: { flows: { flows: FlowNode[] }; deploymentType: string }): Promise<unknown> };
    nodes: { getNodeList(opts: object): Promise<{ types: string[]; err?: string }[]> };
  };
}

export interface RuntimeNode {
  id: string;
  receive(msg: Record<string, unknown>): void;
  on(event: 'input', listener: (msg: Record<string, unknown>) => void): void;
  [property: string]: unknown;
}

export interface EmbeddedNodeRed {
  version: string;
  deploy(flow: FlowNode[]): Promise<void>;
  node(id: string): RuntimeNode;
  stop(): Promise<void>;
}

let started: EmbeddedNodeRed | undefined;

/**
 * Node-RED is a singleton per process: the first call starts it, later calls get the same one.
 * BENCH_LOG_LEVEL (default warn) sets its console log level.
 */
export async function startNodeRed(): Promise<EmbeddedNodeRed> {
  if (started) return started;
  if (!fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'nodes', 'rule-sql.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm run bench does) before a benchmark');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedModule;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-node-red-'));
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    disableEditor: true,
    nodesDir: [PROJECT_ROOT],
    telemetry: { enabled: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: process.env.BENCH_LOG_LEVEL ?? 'warn', metrics: false, audit: false } },
  });
  await RED.start();
  const types = new Set((await RED.runtime.nodes.getNodeList({})).flatMap((set) => (set.err ? [] : set.types)));
  for (const wanted of ['rule-sql', 'dynamodb-sink', 'dynamodb-connector', 'aedes broker']) {
    if (!types.has(wanted)) throw new Error(`node type "${wanted}" did not load into the embedded Node-RED`);
  }
  const handle: EmbeddedNodeRed = {
    version: RED.version(),
    async deploy(flow) {
      await RED.runtime.flows.setFlows({ flows: { flows: flow }, deploymentType: 'full' });
      // setFlows resolves before the new flows have started.
      const deadline = Date.now() + 30000;
      for (const n of flow) {
        if (n.type === 'tab' || n.z === undefined) continue;
        while (!RED.nodes.getNode(n.id)) {
          if (Date.now() > deadline) throw new Error(`node ${n.id} (${n.type}) did not start within 30 s`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
    node(id) {
      const node = RED.nodes.getNode(id);
      if (!node) throw new Error(`no node ${id} in the deployed flow`);
      return node;
    },
    async stop() {
      await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
  // The first deploy after start drops the credentials its nodes carry (the runtime has not
  // loaded its credential store yet); an empty first deploy makes every later one keep them.
  await handle.deploy([]);
  started = handle;
  return started;
}

/** The end of a benchmark flow: an inactive debug node, which only the benchmark listens to. */
export function counterNode(id: string, z: string): FlowNode {
  return { id, type: 'debug', z, active: false, tosidebar: false, console: false, complete: 'payload', wires: [] };
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Machine facts every figure is printed with. */
export function machineLine(nodeRedVersion: string): string {
  // The load average says how busy the machine was (other processes share these cores).
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  return `date ${new Date().toISOString()} · Node ${process.version} · Node-RED ${nodeRedVersion} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}) · load average ${load}`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A number of a count or rate, readable: 12345.6 → "12,346". */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A DynamoDB server a benchmark can run against: [key for DYNAMO_BACKENDS, label, start]. */
export type Backend = readonly [key: string, label: string, start: () => Promise<DynamoServer>];

/**
 * Runs `bench` against each backend whose key DYNAMO_BACKENDS lists (comma-separated; `defaults`
 * when unset), one after the other: starts its server, runs, then clears the flows and stops the
 * server, also when the run throws. Returns every backend's lines in order.
 */
export async function onEachBackend(
  red: EmbeddedNodeRed,
  backends: readonly Backend[],
  defaults: string,
  bench: (label: string, server: DynamoServer) => Promise<string[]>,
): Promise<string[]> {
  const wanted = (process.env.DYNAMO_BACKENDS ?? defaults).split(',');
  const lines: string[] = [];
  for (const [key, label, start] of backends) {
    if (!wanted.includes(key)) continue;
    const server = await start();
    try {
      lines.push(...(await bench(label, server)));
    } finally {
      await red.deploy([]);
      await server.stop();
    }
  }
  return lines;
}

/**
 * Runs a benchmark as a script: its lines go to the parent over IPC when `npm run bench` forked
 * it (Node-RED's own log stays on stdout), else to stdout.
 */
export function runBenchmark(bench: () => Promise<string[]>): void {
  bench()
    .then(async (lines) => {
      if (process.send) await new Promise<void>((resolve) => process.send!({ lines }, () => resolve()));
      else console.log(lines.join('\n'));
      if (started) await started.stop();
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
