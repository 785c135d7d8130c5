// rule-sql with windows and analytic functions in a real Node-RED (node-red-node-test-helper)
// writing through dynamodb-sink into DynamoDB Local (DESIGN.md section 7): event-time windows per
// device, an open window that survives a full redeploy, had_changed writing only the changes,
// the node's status and msg.rule.window, and the editor's windowed SQL test.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { decodeItem } from '../../../src/dynamo/item/encoding';
import { runRuleTest } from '../../../src/nodes/rule-sql/test-api';
import { createSeedTable, scanAll, startDynamoDbLocal, type DynamoServer } from '../../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, until, watchSink, type SinkWatch } from '../../support/sink-flow';

type Msg = Record<string, any>;

// A minute boundary in the past, so that event time and the clock clearly differ.
const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);

describe('rule-sql streams in Node-RED with DynamoDB Local', function () {
  this.timeout(60000);
  let server: DynamoServer;
  let userDir: string;
  let table: string;
  let n = 0;

  before(async function () {
    this.timeout(90000);
    server = await startDynamoDbLocal();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-streams-'));
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    helper.settings({});
    await server?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  beforeEach(async function () {
    table = `streams_${++n}`;
    await createSeedTable(server.url, table);
  });
  afterEach(async function () {
    await helper.unload();
  });

  function flow(rule: Record<string, unknown>): Record<string, unknown>[] {
    const base = sinkFlow({ url: server.url, sink: { table }, sinkId: 'sink' });
    return [
      ...base,
      // A node id per test: a state handed over by one test's node must not reach the next test's.
      { id: `rule${n}`, type: 'rule-sql', z: 'tab', x: 0, y: 0, name: 'windows', wires: [['sink', 'rows']], ...rule },
      { id: 'rows', type: 'helper', z: 'tab', x: 0, y: 0 },
    ];
  }

  async function load(rule: Record<string, unknown>): Promise<{ sink: SinkWatch; rows: Msg[] }> {
    await helper.load([ruleSqlNode, ...SINK_NODES], flow(rule) as never, CONNECTOR_CREDENTIALS);
    return watch();
  }

  function watch(): { sink: SinkWatch; rows: Msg[] } {
    const rows: Msg[] = [];
    helper.getNode('rows')!.on('input', (m: Msg) => rows.push(m));
    return { sink: watchSink('sink'), rows };
  }

  const ruleNode = () => helper.getNode(`rule${n}`) as any;
  const send = (msg: Msg) => ruleNode().receive(msg as never);
  const reading = (device: string, second: number, temp: number) => ({
    topic: `sensors/${device}`, payload: { device, ts: BASE + second * 1000, temp },
  });

  async function items(): Promise<Record<string, any>[]> {
    return (await scanAll(server.url, table)).map((i) => decodeItem(i)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }

  const windowSql = `SELECT payload.device + '@' + window_start() as id, payload.device as device, count(*) as n,
    avg(payload.temp) as avg_temp, max(payload.temp) as max_temp, window_start() as ws, window_end() as we
    FROM "sensors/#" GROUP BY payload.device, TUMBLINGWINDOW(ss, 60)`;

  it('event-time windows per device: one item per device and minute, right counts, averages and ends', async () => {
    const { sink, rows } = await load({ sql: windowSql, eventTime: 'payload.ts', lateness: '5000', maxGroups: '100' });
    for (const [d, s, t] of [['d1', 1, 20], ['d2', 2, 10], ['d1', 30, 22], ['d1', 59, 24], ['d2', 40, 14]] as const) send(reading(d, s, t));
    send(reading('d2', 62, 30)); // within lateness: the first minute stays open
    send(reading('d1', 58, 26)); // out of order, still in time
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(rows.length, 0, 'nothing closed yet');
    send(reading('d1', 66, 30)); // 66 − 5 ≥ 60: the first minute closes
    send(reading('d2', 10, 99)); // late now: dropped and counted
    await until('two writes', () => sink.outputs.length === 2);
    const written = await items();
    assert.deepEqual(written.map((i) => [i.id, i.n, i.avg_temp, i.max_temp, i.ws, i.we]), [
      [`d1@${BASE}`, 4, 23, 26, BASE, BASE + 60_000],
      [`d2@${BASE}`, 2, 12, 14, BASE, BASE + 60_000],
    ]);
    assert.deepEqual(rows.map((m) => m.rule.window), [{ start: BASE, end: BASE + 60_000 }, { start: BASE, end: BASE + 60_000 }]);
    assert.equal(rows[0].topic, 'sensors/d1');
    const node = ruleNode();
    const statuses = node.status.getCalls().map((c: any) => c.args[0].text).filter(Boolean);
    await until('a status with the late event', () => node.status.getCalls().some((c: any) => /late 1/.test(c.args[0].text ?? '')));
    assert.match(statuses.concat(node.status.lastCall.args[0].text).join('\n'), /open windows · \d+ groups/);
    // The counters the metrics endpoint scrapes: 9 matched and passed (no WHERE), the late one too.
    assert.deepEqual(node.runtime.metrics().counters, { matched: 9, passed: 9, failed: 0, noResult: 0, late: 1, evicted: 0 });
  });

  it('passed counts only the events WHERE lets through; the others are no_result, as without a window', async () => {
    await load({ sql: 'SELECT payload.device as id, count(*) as n FROM "sensors/#" WHERE payload.temp > 15 GROUP BY payload.device, TUMBLINGWINDOW(mi, 1)', eventTime: 'payload.ts' });
    for (const [d, s, t] of [['d1', 1, 20], ['d1', 2, 10], ['d2', 3, 16], ['d2', 4, 15]] as const) send(reading(d, s, t));
    const { counters } = ruleNode().runtime.metrics();
    assert.deepEqual(counters, { matched: 4, passed: 2, failed: 0, noResult: 2, late: 0, evicted: 0 });
  });

  it('an open window survives a full redeploy', async () => {
    const first = await load({ sql: windowSql, eventTime: 'payload.ts' });
    send(reading('d1', 1, 10));
    send(reading('d1', 2, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(first.rows.length, 0);
    // A full deploy stops every node (the state goes into the context) and starts them again.
    const ids = [`rule${n}`, 'sink', 'out', 'rows'];
    const before = ids.map((id) => helper.getNode(id));
    await (helper as any).setFlows(flow({ sql: windowSql, eventTime: 'payload.ts' }), 'full');
    // Node-RED starts the new nodes after setFlows resolves.
    await until('new nodes started', () => ids.every((id, i) => {
      const node = helper.getNode(id);
      return node !== null && node !== before[i];
    }));
    const second = watch();
    send(reading('d1', 3, 30));
    send(reading('d1', 61, 0));
    await until('the window written', () => second.sink.outputs.length === 1);
    const [item] = await items();
    assert.deepEqual([item.id, item.n, item.avg_temp], [`d1@${BASE}`, 3, 20]);
  });

  it('had_changed writes only the changes of each device', async () => {
    const sql = `SELECT payload.device + '#' + payload.seq as id, payload.device as device, payload.state as state
      FROM "dev/#" WHERE had_changed(true, payload.state) OVER (PARTITION BY payload.device)`;
    const { sink } = await load({ sql });
    const states: [string, string][] = [['d1', 'on'], ['d1', 'on'], ['d2', 'off'], ['d1', 'off'], ['d1', 'off'], ['d2', 'off'], ['d2', 'on'], ['d1', 'off']];
    states.forEach(([device, state], seq) => send({ topic: `dev/${device}`, payload: { device, state, seq } }));
    await until('four writes', () => sink.outputs.length === 4);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.outputs.length, 4);
    assert.deepEqual((await items()).map((i) => [i.id, i.state]), [['d1#0', 'on'], ['d1#3', 'off'], ['d2#2', 'off'], ['d2#6', 'on']]);
    // No window: the status counts what matched and the partitions kept, not "0 open windows".
    const node = ruleNode();
    // The status spy is shared by the flow's nodes: this node's calls, the last one.
    const texts = () => node.status.getCalls().filter((c: { thisValue: unknown }) => c.thisValue === node).map((c: { args: [{ text?: string }] }) => c.args[0].text);
    await until('the status', () => texts().at(-1) === 'matched 8 · 2 partitions', 10000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(texts())}`);
    });
  });

  it('closes processing-time windows by its timer, and reports a bad eventTime at deploy', async () => {
    const { rows } = await load({ sql: 'SELECT payload.device as id, count(*) as n FROM "sensors/#" GROUP BY payload.device, TUMBLINGWINDOW(ms, 300)' });
    send(reading('d1', 0, 1));
    send(reading('d1', 0, 1));
    await until('the window closed by the clock', () => rows.length >= 1, 5000);
    assert.equal(rows[0].payload.n >= 1, true);
    assert.equal(rows[0].rule.window.end - rows[0].rule.window.start, 300);
    await helper.unload();
    await load({ sql: windowSql, eventTime: 'payload.' });
    const node = ruleNode();
    assert.match(node.status.lastCall.args[0].text, /invalid eventTime, lateness or maxGroups/);
    assert.match(String(node.error.firstCall.args[0]), /rule not deployed: SQL line 1, column 8/);
  });
});

describe('POST /rule-sql/test with several events', () => {
  it('runs a windowed statement over the sample events and shows the rows of each window', () => {
    const answer = runRuleTest({
      sql: 'SELECT clientid, count(*) as n, avg(payload.t) as a FROM "t/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)',
      context: { event_type: 'message_publish' },
      eventTime: 'timestamp',
      events: [
        { clientid: 'c1', topic: 't/1', payload: '{"t": 1}', timestamp: 1000 },
        { clientid: 'c1', topic: 't/1', payload: '{"t": 3}', timestamp: 5000 },
        { clientid: 'c2', topic: 't/2', payload: '{"t": 7}', timestamp: 6000 },
        { clientid: 'c1', topic: 't/1', payload: '{"t": 9}', timestamp: 12000 },
      ],
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      windows: [
        { window: { start: 0, end: 10000 }, row: { clientid: 'c1', n: 2, a: 2 } },
        { window: { start: 0, end: 10000 }, row: { clientid: 'c2', n: 1, a: 7 } },
        { window: { start: 10000, end: 20000 }, row: { clientid: 'c1', n: 1, a: 9 } },
      ],
      late: 0,
    });
  });

  it('takes the dialog\'s watermark: with "group" a device behind the others is aggregated, not late', () => {
    const request = (watermark?: string) => ({
      sql: 'SELECT clientid, count(*) as n FROM "t/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)',
      context: { event_type: 'message_publish' }, eventTime: 'timestamp', watermark,
      events: [
        { clientid: 'c1', topic: 't/1', timestamp: 100_000 },
        { clientid: 'c2', topic: 't/2', timestamp: 1_000 },
        { clientid: 'c2', topic: 't/2', timestamp: 2_000 },
        { clientid: 'c1', topic: 't/1', timestamp: 120_000 },
      ],
    });
    const rule = runRuleTest(request());
    assert.equal((rule.body as Msg).late, 2);
    const group = runRuleTest(request('group'));
    assert.equal(group.status, 200);
    assert.equal((group.body as Msg).late, 0);
    assert.deepEqual((group.body as Msg).windows.filter((w: Msg) => w.row.clientid === 'c2'), [{ window: { start: 0, end: 10000 }, row: { clientid: 'c2', n: 2 } }]);
  });

  it('answers 412 when no window gives a row, and 400 with the position of a bad statement', () => {
    const none = runRuleTest({
      sql: 'SELECT count(*) as n FROM "t/#" GROUP BY TUMBLINGWINDOW(ss, 10) HAVING n > 5',
      context: { event_type: 'message_publish' }, events: [{}],
    });
    assert.equal(none.status, 412);
    const bad = runRuleTest({ sql: 'SELECT count(*) FROM "t/#"', context: { event_type: 'message_publish' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as Msg).column, 8);
    for (const events of ['nope', [1, 2], [{}, null]]) {
      const malformed = runRuleTest({ sql: 'SELECT count(*) as n FROM "t/#" GROUP BY TUMBLINGWINDOW(ss, 10)', context: { event_type: 'message_publish' }, events });
      assert.equal(malformed.status, 400, JSON.stringify(events));
      assert.match(JSON.stringify(malformed.body), /events must be a JSON array of event objects/);
    }
  });
});

describe('rule-sql streams: failures', () => {
  /** One rule-sql node wired to a `rows` helper, with a Catch node scoped to it feeding `caught`. */
  async function ruleWithCatch(rule: Record<string, unknown> & { id: string }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const catchNode = require('@node-red/nodes/core/common/25-catch.js');
    await helper.load([ruleSqlNode, catchNode] as never, [
      { id: 'tab', type: 'tab' },
      { type: 'rule-sql', z: 'tab', x: 0, y: 0, wires: [['rows']], ...rule },
      { id: 'rows', type: 'helper', z: 'tab', x: 0, y: 0 },
      { id: 'c', type: 'catch', z: 'tab', x: 0, y: 0, scope: [rule.id], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 0, y: 0 },
    ] as never);
    const rows: Msg[] = [];
    const caught: Msg[] = [];
    helper.getNode('rows')!.on('input', (m: Msg) => rows.push(m));
    helper.getNode('caught')!.on('input', (m: Msg) => caught.push(m));
    return { node: helper.getNode(rule.id) as any, rows, caught };
  }

  afterEach(async () => {
    await helper.unload();
  });

  it('a row that fails when its window closes reaches a Catch node, counted, and the other rows still come out', async () => {
    const { node, rows, caught } = await ruleWithCatch({ id: 'rf',
      sql: 'SELECT payload.d as d, 10 div (count(*) - 1) as x FROM "t/#" GROUP BY payload.d, TUMBLINGWINDOW(ms, 200)' });
    node.receive({ topic: 't/1', payload: { d: 'one' } });
    node.receive({ topic: 't/1', payload: { d: 'two' } });
    node.receive({ topic: 't/1', payload: { d: 'two' } });
    await until('the window closed', () => rows.length === 1 && caught.length === 1, 5000);
    assert.deepEqual(rows[0].payload, { d: 'two', x: 10 });
    assert.match(caught[0].error.message, /division by zero/);
    await until('the failure counted in the status', () => /failed 1/.test(node.status.lastCall?.args[0]?.text ?? ''), 3000);
  });

  it('a bad eventTime value fails its message to a Catch node and changes nothing', async () => {
    const { node, rows, caught } = await ruleWithCatch({ id: 're', eventTime: 'payload.ts',
      sql: 'SELECT count(*) as n FROM "t/#" GROUP BY COUNTWINDOW(2)' });
    node.receive({ topic: 't/1', payload: { ts: 1000 } });
    node.receive({ topic: 't/1', payload: { ts: 'later' }, marker: 'bad' });
    node.receive({ topic: 't/1', payload: { ts: 2000 } });
    await until('the count window and the failure', () => rows.length === 1 && caught.length === 1, 5000);
    assert.equal(caught[0].marker, 'bad', 'the original message');
    assert.match(caught[0].error.message, /eventTime payload.ts gave string "later"/);
    assert.deepEqual(rows[0].payload, { n: 2 });
    assert.deepEqual(rows[0].rule.window, { start: 1000, end: 2000 });
  });
});
