// Forgotten partitions are seen (DESIGN.md section 7: over maxGroups, counted `forgotten` in the
// status, the metrics and Prometheus; issue 20): `had_changed(...) OVER (PARTITION BY dev)` with
// maxGroups 2 in a real Node-RED, three devices, so the least recently used one is forgotten and
// its unchanged state passes again. The node status (through a Status node), the JSON metrics
// answer and the Prometheus text all say how many partitions were forgotten.
import { strict as assert } from 'node:assert';
import { request, waitFor } from './support/disk-sink-harness';
import { adminGetText, startNodeRed, type NodeRedProcess } from './support/node-red-process';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';

const at = { z: 'tab', x: 100, y: 100 };
const FLOWS = [
  { id: 'tab', type: 'tab', label: 'forgotten' },
  { id: 'ingest', type: 'http in', ...at, url: '/ingest', method: 'post', wires: [['split']] },
  {
    id: 'split', type: 'function', ...at, outputs: 2,
    func: "const each = msg.payload.map((p) => ({ topic: 'dev/' + p.dev, payload: p }));\nmsg.payload = {};\nreturn [each, msg];",
    wires: [['chg'], ['answer']],
  },
  {
    id: 'chg', type: 'rule-sql', ...at, name: 'changes', maxGroups: '2',
    sql: 'SELECT payload.dev as dev, payload.state as state FROM "dev/#" WHERE had_changed(true, payload.state) OVER (PARTITION BY payload.dev)',
    wires: [['keep']],
  },
  { id: 'keep', type: 'function', ...at, outputs: 0, func: "global.set('rows', (global.get('rows') || []).concat([msg.payload]));\nreturn null;", wires: [] },
  { id: 'watch', type: 'status', ...at, scope: ['chg'], wires: [['status']] },
  { id: 'status', type: 'function', ...at, outputs: 0, func: "global.set('status', msg.status);\nreturn null;", wires: [] },
  { id: 'read', type: 'http in', ...at, url: '/seen', method: 'get', wires: [['seen']] },
  { id: 'seen', type: 'function', ...at, func: "msg.payload = { rows: global.get('rows') || [], status: global.get('status') };\nreturn msg;", wires: [['answer']] },
  { id: 'answer', type: 'http response', ...at, statusCode: '', headers: {}, wires: [] },
];

describe('rule-sql: forgotten partitions in status, metrics and Prometheus (real Node-RED, e2e)', function () {
  this.timeout(60000);
  let nr: NodeRedProcess;

  before(async function () {
    this.timeout(90000);
    nr = await startNodeRed({ flows: FLOWS });
  });
  after(async () => {
    await nr?.stop();
  });

  it('counts each forgotten partition and shows it', async () => {
    // d1, d2 fill maxGroups; d3 forgets d1; d1 again (unchanged) passes as a first event and forgets d2.
    const events = [{ dev: 'd1', state: 'on' }, { dev: 'd2', state: 'on' }, { dev: 'd3', state: 'on' }, { dev: 'd1', state: 'on' }];
    assert.equal((await request(nr.url, 'POST', '/ingest', events)).status, 200);
    const seen = await waitFor('the status with forgotten', () => request(nr.url, 'GET', '/seen'),
      (r) => /forgotten 2/.test(r.body?.status?.text ?? ''), 10000, nr);
    assert.equal(seen.body.rows.length, 4, 'the forgotten d1 passed again');
    assert.equal(seen.body.status.text, '2 partitions · forgotten 2');
    assert.equal(seen.body.status.fill, 'yellow');

    const json = (await request(nr.url, 'GET', '/dynamodb-sink/metrics')).body as { rules: { id: string; stream?: Record<string, number> }[] };
    assert.deepEqual(json.rules.find((r) => r.id === 'chg')?.stream, { forgotten: 2, openWindows: 0, partitions: 2 });

    const text = await adminGetText(`${nr.url}/dynamodb-sink/metrics?format=prometheus`, 'text/plain');
    const f = parsePrometheusText(text);
    assert.equal(sampleValue(f, 'rule_sql_forgotten_total', { rule: 'chg', name: 'changes' }), 2, text);
    assert.equal(sampleValue(f, 'rule_sql_partitions', { rule: 'chg' }), 2);
    assert.equal(sampleValue(f, 'rule_sql_open_windows', { rule: 'chg' }), 0);
    assert.match(text, /# TYPE rule_sql_forgotten_total counter/);
    assert.match(text, /# TYPE rule_sql_open_windows gauge/);
  });
});
