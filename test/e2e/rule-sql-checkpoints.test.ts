// rule-sql checkpoints in a real Node-RED process (DESIGN.md section 7, "Nothing is lost
// silently"; issue 20): an event-time TUMBLINGWINDOW(hh, 1) per device, 100 events over 10
// devices.
// - localfilesystem store (flushInterval 0.2 s), checkpointInterval 200 ms: once a checkpoint is
//   on disk, SIGKILL; the restart logs what it restored and the checkpoint's time; disabling the
//   node, then its flow, and enabling them again keeps every window; the closing event counts all
//   100 events.
// - the default memory store: disabling the flow keeps the windows too (in this process); a
//   shutdown warns with the number of open windows lost.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request, waitFor } from './support/disk-sink-harness';
import { startNodeRed, type NodeRedProcess } from './support/node-red-process';

const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);
const HOUR = 3_600_000;
const IO = 'io-tab';
const RULES = 'rule-tab';
const SQL = 'SELECT payload.device as device, count(*) as n FROM "sensors/#" GROUP BY payload.device, TUMBLINGWINDOW(hh, 1)';

/**
 * On the rule's tab (disabled with it; nothing is sent meanwhile): POST /ingest → rule-sql → (link)
 * → on another tab, rows kept in global context (GET /rows). A link into a tab that restarts is not
 * followed again by Node-RED's link out of a tab that did not, hence this direction.
 */
function flows(rowsStore: string | undefined): Record<string, unknown>[] {
  const at = (z: string) => ({ z, x: 100, y: 100 });
  const store = rowsStore ? `, '${rowsStore}'` : '';
  return [
    { id: IO, type: 'tab', label: 'io' },
    { id: RULES, type: 'tab', label: 'rules' },
    { id: 'ingest', type: 'http in', ...at(RULES), url: '/ingest', method: 'post', wires: [['split']] },
    {
      id: 'split', type: 'function', ...at(RULES), outputs: 2,
      func: "const each = msg.payload.map((p) => ({ topic: 'sensors/' + p.device, payload: p }));\nmsg.payload = { accepted: each.length };\nreturn [each, msg];",
      wires: [['rule'], ['accepted']],
    },
    { id: 'accepted', type: 'http response', ...at(RULES), statusCode: '', headers: {}, wires: [] },
    {
      id: 'rule', type: 'rule-sql', ...at(RULES), name: 'per hour', sql: SQL, eventTime: 'payload.ts', lateness: 0,
      maxGroups: 100, checkpointInterval: 200, contextStore: '', wires: [['rule-out']],
    },
    { id: 'rule-out', type: 'link out', ...at(RULES), mode: 'link', links: ['rows-in'], wires: [] },
    { id: 'rows-in', type: 'link in', ...at(IO), links: ['rule-out'], wires: [['keep']] },
    {
      id: 'keep', type: 'function', ...at(IO), outputs: 0,
      func: `const rows = global.get('rows'${store}) || [];\nrows.push(msg.payload);\nglobal.set('rows', rows${store});\nreturn null;`,
      wires: [],
    },
    { id: 'state', type: 'http in', ...at(IO), url: '/rows', method: 'get', wires: [['read']] },
    { id: 'read', type: 'function', ...at(IO), func: `msg.payload = global.get('rows'${store}) || [];\nreturn msg;`, wires: [['answer']] },
    { id: 'answer', type: 'http response', ...at(IO), statusCode: '', headers: {}, wires: [] },
  ];
}

/** 100 events: 10 devices × 10 readings inside the hour from BASE. */
const HUNDRED = Array.from({ length: 100 }, (_, i) => ({ device: `d${i % 10}`, ts: BASE + 1000 + i * 1000 }));

async function ingest(nr: NodeRedProcess, payloads: Record<string, unknown>[]): Promise<void> {
  const res = await request(nr.url, 'POST', '/ingest', payloads);
  assert.equal(res.status, 200, `${JSON.stringify(res.body)}\n${nr.output().slice(-3000)}`);
}

/** Deploys the flows with the rule node (`d`) or its tab (`disabled`) switched, as the editor does. */
async function deploy(nr: NodeRedProcess, change: (flow: Record<string, unknown>[]) => void): Promise<void> {
  const current = (await request(nr.url, 'GET', '/flows')).body as Record<string, unknown>[];
  change(current);
  const res = await request(nr.url, 'POST', '/flows', current, { 'Node-RED-Deployment-Type': 'nodes' });
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

async function setFlowDisabled(nr: NodeRedProcess, disabled: boolean): Promise<void> {
  const flow = (await request(nr.url, 'GET', `/flow/${RULES}`)).body as Record<string, unknown>;
  const res = await request(nr.url, 'PUT', `/flow/${RULES}`, { ...flow, disabled });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** The closing event (the next hour) and the 10 rows of the first hour, by device. */
async function closeHour(nr: NodeRedProcess): Promise<Record<string, number>> {
  // PUT /flow answers before the re-enabled flow's http in has its route again: until it has, 404.
  await waitFor('the closing event taken', () => request(nr.url, 'POST', '/ingest', [{ device: 'd0', ts: BASE + HOUR + 1000 }]), (r) => r.status === 200, 10000, nr);
  const rows = await waitFor('the 10 rows of the hour', () => request(nr.url, 'GET', '/rows'), (r) => Array.isArray(r.body) && r.body.length >= 10, 10000, nr).catch((e) => { throw new Error(`${e.message}\n${nr.output().slice(-3000)}`); });
  const byDevice: Record<string, number> = {};
  for (const r of rows.body as { device: string; n: number }[]) byDevice[r.device] = (byDevice[r.device] ?? 0) + r.n;
  return byDevice;
}

const TEN_EACH = Object.fromEntries(Array.from({ length: 10 }, (_, d) => [`d${d}`, 10]));

describe('rule-sql checkpoints, crash, disable and shutdown (real Node-RED, e2e)', function () {
  this.timeout(60000);
  const dirs: string[] = [];
  let nr: NodeRedProcess | undefined;

  afterEach(async () => {
    await nr?.stop();
    nr = undefined;
  });
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('localfilesystem: SIGKILL after a checkpoint loses nothing it holds; disabling the node or its flow keeps every window', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-checkpoint-'));
    dirs.push(userDir);
    const settings = { contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 0.2 } }, memory: { module: 'memory' } } };
    nr = await startNodeRed({ flows: flows('memory'), userDir, settings });
    await ingest(nr, HUNDRED);
    // The checkpoint on disk: the node's context file (context/<flow>/<node>.json).
    const file = path.join(userDir, 'context', RULES, 'rule.json');
    const saved = await waitFor('a checkpoint of the 100 events on disk', () => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}';
      return (JSON.parse(text)['rule-sql-stream'] ?? {}) as { at?: number; events?: number; openWindows?: number };
    }, (s) => s.events === 100, 10000, nr);
    assert.equal(saved.openWindows, 10);
    await nr.kill();

    nr = await startNodeRed({ userDir, settings });
    const checkpointTime = new Date(saved.at as number).toISOString();
    await waitFor('the restore logged', () => nr!.output(), (o) => /restored 10 open windows holding 100 events/.test(o), 10000, nr);
    const line = nr.output().split('\n').find((l) => /restored 10 open windows/.test(l)) ?? '';
    assert.ok(line.includes(`the checkpoint of ${checkpointTime}`), `the log names the checkpoint's time ${checkpointTime}: ${line}`);
    assert.match(line, /\[rule-sql:per hour\]/, 'through the node\'s own log');

    await deploy(nr, (f) => { (f.find((n) => n.id === 'rule') as Record<string, unknown>).d = true; });
    await deploy(nr, (f) => { delete (f.find((n) => n.id === 'rule') as Record<string, unknown>).d; });
    await setFlowDisabled(nr, true);
    await setFlowDisabled(nr, false);
    assert.doesNotMatch(nr.output(), /deleted with/, 'disabling is not deleting');
    assert.match(nr.output(), /disabled; its 10 open windows and 0 partition states are kept/);

    assert.deepEqual(await closeHour(nr), TEN_EACH, 'all 100 events counted, 10 per device');
  });

  it('memory store: disabling the flow keeps the windows; a shutdown warns with the number lost', async () => {
    nr = await startNodeRed({ flows: flows(undefined) });
    await ingest(nr, HUNDRED);

    await setFlowDisabled(nr, true);
    await setFlowDisabled(nr, false);
    assert.deepEqual(await closeHour(nr), TEN_EACH, 'all 100 events counted after disable and enable');
    // The next hour holds d0's closing event; 20 more events over 10 devices make 10 open windows.
    await ingest(nr, Array.from({ length: 20 }, (_, i) => ({ device: `d${i % 10}`, ts: BASE + HOUR + 2000 + i })));
    const before = nr.output().length;
    const running = nr;
    await running.stop();
    const tail = running.output().slice(Math.max(0, before - 2000));
    assert.match(tail, /Node-RED is stopping and context store "default" \(memory\) keeps nothing across a restart: 10 open windows and 0 partition states are lost/);
    assert.match(tail, /localfilesystem/, 'the warning says how to keep them');
    assert.equal((tail.match(/keeps nothing across a restart/g) ?? []).length, 1, 'one warning');
  });
});
