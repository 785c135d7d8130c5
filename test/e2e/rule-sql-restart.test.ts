// rule-sql windows across a Node-RED restart (DESIGN.md section 7): with a persistent context
// store (localfilesystem), the open windows go into the node's context when Node-RED stops and
// come back when it starts again, so the window written after the restart counts the events of
// before and after it. A real Node-RED process, stopped with SIGINT and started on the same
// user directory.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request, waitFor } from './support/disk-sink-harness';
import { startNodeRed, type NodeRedProcess } from './support/node-red-process';

const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);
const TAB = 'restart-tab';
const at = { z: TAB, x: 100, y: 100 };

const SQL = `SELECT payload.device as device, count(*) as n, avg(payload.temp) as avg_temp, window_start() as ws
FROM "sensors/#" GROUP BY payload.device, TUMBLINGWINDOW(mi, 1)`;

/** POST /ingest [payload, ...] → rule-sql; its rows are kept in global context, GET /rows answers them. */
const FLOWS = [
  { id: TAB, type: 'tab', label: 'restart' },
  { id: 'ingest', type: 'http in', ...at, url: '/ingest', method: 'post', wires: [['split']] },
  {
    id: 'split', type: 'function', ...at, outputs: 2,
    func: "const each = msg.payload.map((p) => ({ topic: 'sensors/' + p.device, payload: p }));\nmsg.payload = { accepted: each.length };\nreturn [each, msg];",
    wires: [['rule'], ['answer']],
  },
  { id: 'rule', type: 'rule-sql', ...at, name: 'per minute', sql: SQL, eventTime: 'payload.ts', lateness: 0, maxGroups: 100, wires: [['keep']] },
  {
    id: 'keep', type: 'function', ...at, outputs: 0,
    // The memory store: the rows must not survive the restart themselves.
    func: "const rows = global.get('rows', 'memory') || [];\nrows.push({ row: msg.payload, window: msg.rule.window });\nglobal.set('rows', rows, 'memory');\nreturn null;",
    wires: [],
  },
  { id: 'state', type: 'http in', ...at, url: '/rows', method: 'get', wires: [['read']] },
  { id: 'read', type: 'function', ...at, func: "msg.payload = global.get('rows', 'memory') || [];\nreturn msg;", wires: [['answer']] },
  { id: 'answer', type: 'http response', ...at, statusCode: '', headers: {}, wires: [] },
];

describe('rule-sql: open windows across a Node-RED restart (persistent context store, e2e)', function () {
  this.timeout(120000);
  let userDir: string;
  let nr: NodeRedProcess | undefined;

  before(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-restart-'));
  });
  after(async () => {
    await nr?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const start = () => startNodeRed({
    flows: FLOWS, userDir,
    settings: { contextStorage: { default: { module: 'localfilesystem' }, memory: { module: 'memory' } } },
  });
  const ingest = async (payloads: Record<string, unknown>[]) => {
    const res = await request(nr!.url, 'POST', '/ingest', payloads);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const reading = (device: string, second: number, temp: number) => ({ device, ts: BASE + second * 1000, temp });

  it('counts the events of before and after the restart in one window', async () => {
    nr = await start();
    await ingest([reading('d1', 1, 10), reading('d2', 5, 50), reading('d1', 2, 20)]);
    assert.deepEqual((await request(nr.url, 'GET', '/rows')).body, [], 'the minute is still open');
    await nr.stop();
    nr = await start();
    await ingest([reading('d1', 3, 30), reading('d1', 60, 0)]); // 60 s: the first minute closes
    const rows = await waitFor('the closed minute', () => request(nr!.url, 'GET', '/rows'), (r) => Array.isArray(r.body) && r.body.length === 2, 20000, nr);
    assert.deepEqual(rows.body, [
      { row: { device: 'd1', n: 3, avg_temp: 20, ws: BASE }, window: { start: BASE, end: BASE + 60_000 } },
      { row: { device: 'd2', n: 1, avg_temp: 50, ws: BASE }, window: { start: BASE, end: BASE + 60_000 } },
    ]);
  });
});
