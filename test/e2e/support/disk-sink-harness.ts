// A disk-mode dynamodb-sink in a real Node-RED child process (so that a crash shows as an exit),
// deployed through the admin API as the editor does (full deploy), fed over HTTP, with what
// reached its output and its Catch node kept in global context and served back; plus a small
// tmpfs under the sink's buffer root to fill up or remount read-only.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_CREDENTIALS, TEST_REGION } from '../../support/dynamodb';
import { startNodeRed, type NodeRedProcess } from './node-red-process';

export type FlowNode = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// tmpfs (root only: the tests run as root on CI)

/** Why tmpfs tests cannot run here, or undefined when they can. */
export function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs the tests as root)';
  const probe = fs.mkdtempSync('/tmp/tmpfs-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

export interface Tmpfs {
  dir: string;
  /** Bytes free (tmpfs keeps no reserve for root). */
  free(): number;
  /** Fills the disk until `leave` bytes are free, rounded to whole pages (one filler file per call). */
  fill(leave: number): void;
  /** Removes the filler files. */
  unfill(): void;
  readOnly(): void;
  readWrite(): void;
  unmount(): void;
}

export function mountTmpfs(dir: string, sizeBytes: number): Tmpfs {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  let fillers = 0;
  let mounted = true;
  const t: Tmpfs = {
    dir,
    free: () => {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill: (leave) => {
      const file = path.join(dir, `filler-${++fillers}`);
      const want = Math.max(0, t.free() - leave);
      const fd = fs.openSync(file, 'w');
      try {
        const chunk = Buffer.alloc(4096, 1);
        let left = want;
        while (left > 0) left -= fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
      } finally {
        fs.closeSync(fd);
      }
    },
    unfill: () => {
      for (const f of fs.readdirSync(dir)) if (f.startsWith('filler-')) fs.rmSync(path.join(dir, f), { force: true });
    },
    readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
    readWrite: () => execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' }),
    unmount: () => {
      if (!mounted) return;
      mounted = false;
      // Lazy: a Node-RED still holding a segment open must not keep the mount (or the test) alive.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    },
  };
  return t;
}

// ---------------------------------------------------------------------------------------------
// The flow

export interface SinkFlowSpec {
  dynamoUrl: string;
  sinkId?: string;
  /** Sink properties over the defaults (table, bufferMode disk, batchTime 5). */
  sink?: FlowNode;
  /** Leave the sink out (deleted). */
  withoutSink?: boolean;
  sinkDisabled?: boolean;
  tabDisabled?: boolean;
  /** More nodes (e.g. a second sink on the tab, wired like the first when its wires are absent). */
  extra?: FlowNode[];
  /** More ids the ingest node feeds (e.g. a subflow instance). */
  feed?: string[];
}

const TAB = 'disk-tab';

/**
 * POST /ingest [payload, ...] → one message each into the sink(s); the sink's output and the
 * tab's Catch node record `payload.id` in global context; GET /state answers
 * { out: [ids], caught: [{ id, error }] }.
 */
export function diskSinkFlow(spec: SinkFlowSpec): FlowNode[] {
  const sinkId = spec.sinkId ?? 'disk-sink';
  const sinks = spec.withoutSink ? [] : [sinkId];
  for (const n of spec.extra ?? []) if (n.type === 'dynamodb-sink' && (n.z ?? TAB) === TAB) sinks.push(n.id as string);
  sinks.push(...(spec.feed ?? []));
  const at = { z: TAB, x: 100, y: 100 };
  const nodes: FlowNode[] = [
    { id: TAB, type: 'tab', label: 'disk buffer', ...(spec.tabDisabled ? { disabled: true } : {}) },
    {
      id: 'ddb',
      type: 'dynamodb-connector',
      name: 'local',
      url: spec.dynamoUrl,
      region: TEST_REGION,
      table: 'mqtt_msg',
      healthCheckInterval: 500,
      requestTimeout: 2000,
      credentials: { ...TEST_CREDENTIALS },
    },
    { id: 'ingest', type: 'http in', ...at, url: '/ingest', method: 'post', wires: [['split']] },
    {
      id: 'split',
      type: 'function',
      ...at,
      outputs: 2,
      func: 'const each = msg.payload.map((p) => ({ payload: p }));\nmsg.payload = { accepted: each.length };\nreturn [each, msg];',
      wires: [sinks, ['ingest-res']],
    },
    { id: 'ingest-res', type: 'http response', ...at, statusCode: '', headers: {} },
    {
      id: 'record-out',
      type: 'function',
      ...at,
      func: "const o = global.get('out') || [];\no.push(msg.payload.id);\nglobal.set('out', o);\nreturn null;",
      wires: [],
    },
    { id: 'catch', type: 'catch', ...at, scope: null, uncaught: false, wires: [['record-caught']] },
    {
      id: 'record-caught',
      type: 'function',
      ...at,
      func:
        "const c = global.get('caught') || [];\nc.push({ id: msg.payload && msg.payload.id, error: msg.error.message, source: msg.error.source && msg.error.source.id });\nglobal.set('caught', c);\nreturn null;",
      wires: [],
    },
    { id: 'state', type: 'http in', ...at, url: '/state', method: 'get', wires: [['state-fn']] },
    {
      id: 'state-fn',
      type: 'function',
      ...at,
      func: "msg.payload = { out: global.get('out') || [], caught: global.get('caught') || [] };\nreturn msg;",
      wires: [['state-res']],
    },
    { id: 'state-res', type: 'http response', ...at, statusCode: '', headers: {} },
  ];
  if (!spec.withoutSink) {
    nodes.push({
      id: sinkId,
      type: 'dynamodb-sink',
      ...at,
      name: 'disk sink',
      connector: 'ddb',
      table: 'disk_buffer',
      bufferMode: 'disk',
      batchTime: 5,
      requestTtl: 120000,
      ...(spec.sinkDisabled ? { d: true } : {}),
      ...spec.sink,
      wires: [['record-out']],
    });
  }
  for (const n of spec.extra ?? []) nodes.push({ ...at, wires: [['record-out']], ...n });
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// Talking to the child

export interface Outcomes {
  out: string[];
  caught: { id?: string; error: string; source?: string }[];
}

export async function request(base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** A full deploy, as the editor's Deploy button does by default. */
export async function deployFull(nr: NodeRedProcess, flows: FlowNode[]): Promise<void> {
  const res = await request(nr.url, 'POST', '/flows', { flows }, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' });
  if (res.status >= 300) throw new Error(`POST /flows: ${res.status} ${JSON.stringify(res.body)}`);
  // The answer comes before the new flows have started: wait until the flow's own HTTP endpoint
  // answers (not on a disabled tab, which serves nothing).
  if (flows.some((n) => n.type === 'tab' && n.disabled)) return;
  await waitFor('the deployed flows', () => request(nr.url, 'GET', '/state'), (r) => r.status === 200, 15000, nr);
}

export async function ingest(nr: NodeRedProcess, payloads: Record<string, unknown>[]): Promise<void> {
  const res = await request(nr.url, 'POST', '/ingest', payloads);
  if (res.status !== 200) throw new Error(`POST /ingest: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function outcomes(nr: NodeRedProcess): Promise<Outcomes> {
  return (await request(nr.url, 'GET', '/state')).body as Outcomes;
}

export async function sinkCounters(nr: NodeRedProcess, id = 'disk-sink'): Promise<{ counters: Record<string, number>; consistent: boolean } & Record<string, any>> {
  const res = await request(nr.url, 'GET', `/dynamodb-sink/${id}/metrics`);
  if (res.status !== 200) throw new Error(`metrics of ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitFor<T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20000, nr?: NodeRedProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    if (nr?.exited()) throw new Error(`Node-RED exited (${nr.exited()}) while waiting for ${what}:\n${nr.output().slice(-4000)}`);
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      if (nr?.exited()) continue;
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) {
      // A log is read from its end, anything else from its start.
      const shown = typeof last === 'string' ? last.slice(-4000) : JSON.stringify(last)?.slice(0, 2000);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${shown}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records in a buffer directory's segments not listed in their .ack files (read independently of the store's code). */
export function unsettledOnDisk(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let count = 0;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const ack = path.join(dir, f.replace(/\.log$/, '.ack'));
    const settled = new Set<string>();
    if (fs.existsSync(ack)) {
      for (const line of fs.readFileSync(ack, 'utf8').split('\n').slice(0, -1)) for (const seq of line.split('#')[0].split(',')) settled.add(seq);
    }
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(0, -1)) {
      if (!settled.has(line.slice(0, line.indexOf('\t')))) count += 1;
    }
  }
  return count;
}

export { startNodeRed, type NodeRedProcess };
