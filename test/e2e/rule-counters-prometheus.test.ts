// Found by attacking the rule-sql counters of a windowed or analytic rule (passed /
// no_result, and the stream's late / evicted) as a real Node-RED serves them at
// GET /dynamodb-sink/metrics?format=prometheus, read back with a Prometheus parser. Each test here
// fails on the code it was written against; what held up is listed in the attack report.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { adminGetText, startNodeRed, type NodeRedProcess } from './support/node-red-process';
import { parsePrometheusText, sampleValue, type MetricFamily } from '../support/prometheus-text';

const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);

function inject(id: string, topic: string, payload: Record<string, unknown>, wire: string): Record<string, unknown> {
  return {
    id, type: 'inject', z: 'tab', x: 100, y: 100, name: id,
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    repeat: '', crontab: '', once: false, onceDelay: 0.1,
    topic, payload: JSON.stringify(payload), payloadType: 'json',
    wires: [[wire]],
  };
}

const FLOWS: Record<string, unknown>[] = [
  { id: 'tab', type: 'tab', label: 'rule counters' },
  // A windowed rule on event time: one window per device and minute, lateness 0.
  {
    id: 'win', type: 'rule-sql', z: 'tab', x: 300, y: 100, name: 'per minute',
    sql: 'SELECT payload.device as id, count(*) as n FROM "sensors/#" GROUP BY payload.device, TUMBLINGWINDOW(ss, 60)',
    eventTime: 'payload.ts', lateness: '0', maxGroups: '100', wires: [[]],
  },
  inject('w1', 'sensors/d1', { device: 'd1', ts: BASE + 1_000 }, 'win'),
  inject('w2', 'sensors/d1', { device: 'd1', ts: BASE + 70_000 }, 'win'), // closes the first minute
  inject('w3', 'sensors/d1', { device: 'd1', ts: BASE + 2_000 }, 'win'), // late: its window closed
  // An analytic-only rule: no window, no GROUP BY.
  {
    id: 'chg', type: 'rule-sql', z: 'tab', x: 300, y: 200, name: 'changes',
    sql: 'SELECT payload.state as s FROM "dev/#" WHERE had_changed(true, payload.state) OVER (PARTITION BY payload.device)',
    wires: [[]],
  },
  inject('c1', 'dev/d1', { device: 'd1', state: 'on' }, 'chg'),
  inject('c2', 'dev/d1', { device: 'd1', state: 'on' }, 'chg'),
];

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const data = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => ((res.statusCode ?? 500) >= 300 ? reject(new Error(`POST ${url}: ${res.statusCode} ${text}`)) : resolve(text)));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('rule-sql counters in a running Node-RED (Prometheus)', function () {
  this.timeout(60000);
  let red: NodeRedProcess;

  before(async function () {
    this.timeout(90000);
    red = await startNodeRed({ flows: FLOWS });
  });
  after(async function () {
    this.timeout(30000);
    await red?.stop();
  });

  async function scrape(): Promise<{ text: string; f: Map<string, MetricFamily> }> {
    const text = await adminGetText(`${red.url}/dynamodb-sink/metrics?format=prometheus`, 'text/plain');
    return { text, f: parsePrometheusText(text) };
  }

  async function fire(...ids: string[]): Promise<void> {
    // One at a time, in order: event time and lateness depend on it.
    for (const id of ids) {
      await post(`${red.url}/inject/${id}`, undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('an analytic-only rule (no window) has no rule_sql_late_total / rule_sql_evicted_total series', async () => {
    await fire('c1', 'c2');
    const { text, f } = await scrape();
    assert.equal(sampleValue(f, 'rule_sql_matched_total', { rule: 'chg' }), 2, text);
    assert.equal(sampleValue(f, 'rule_sql_passed_total', { rule: 'chg' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_no_result_total', { rule: 'chg' }), 1);
    // README: "for a rule with a window, rule_sql_late_total and rule_sql_evicted_total";
    // src/plugins/prometheus.ts: "A rule without a window has no late or evicted series".
    const late = (f.get('rule_sql_late_total')?.metrics ?? []).map((m) => m.labels?.rule);
    const evicted = (f.get('rule_sql_evicted_total')?.metrics ?? []).map((m) => m.labels?.rule);
    assert.deepEqual(late, ['win'], `rule_sql_late_total series: ${JSON.stringify(late)}\n${text}`);
    assert.deepEqual(evicted, ['win'], `rule_sql_evicted_total series: ${JSON.stringify(evicted)}`);
  });

  it('after a full redeploy a windowed rule still has late <= passed <= matched (the stream and node counters agree)', async () => {
    await fire('w1', 'w2', 'w3');
    const before = await scrape();
    const rule = { rule: 'win' };
    assert.equal(sampleValue(before.f, 'rule_sql_matched_total', rule), 3, before.text);
    assert.equal(sampleValue(before.f, 'rule_sql_passed_total', rule), 3);
    assert.equal(sampleValue(before.f, 'rule_sql_late_total', rule), 1);
    // A full deploy of the same flows: the open window (and the stream's counters) survive it.
    await post(`${red.url}/flows`, FLOWS, { 'Node-RED-Deployment-Type': 'full' });
    await new Promise((r) => setTimeout(r, 1000));
    const after = await scrape();
    const matched = sampleValue(after.f, 'rule_sql_matched_total', rule);
    const passed = sampleValue(after.f, 'rule_sql_passed_total', rule);
    const late = sampleValue(after.f, 'rule_sql_late_total', rule);
    // Every late event passed WHERE first (help: "late ones are counted here and in late"):
    // after the redeploy the counters must still say so, whether they were kept or started over.
    assert.ok(late <= passed && passed <= matched, `after the redeploy: matched ${matched}, passed ${passed}, late ${late}\n${after.text}`);
  });
});
