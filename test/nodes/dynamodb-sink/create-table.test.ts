// Issue 22, tables made on demand (DESIGN.md 1.3 createTable), in a Node-RED flow: a table per
// site made on first use with TTL on (DynamoDB Local); two sinks racing for one new table; a
// connector without dynamodb:CreateTable (the fault proxy answers CreateTable with
// AccessDeniedException); and dynalite, which has no UpdateTimeToLive.
import { strict as assert } from 'node:assert';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { scanAll, startDynalite, startDynamoDbLocal, testClient, type DynamoServer } from '../../support/dynamodb';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until, watchSink, type SinkWatch } from '../../support/sink-flow';

/**
 * A rule-sql row whose `payload` column (JSON text, as EMQX gives it) holds the site. Its
 * timestamp is now: DynamoDB Local's TTL deletes expired items, as DynamoDB does.
 */
function row(id: string, site: string): Record<string, unknown> {
  return { id, payload: JSON.stringify({ site, temp: 20 }), timestamp: Date.now() };
}

describe('dynamodb-sink createTable: tables made on demand', function () {
  this.timeout(30000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  let n = 0;
  let sinkId: string;

  before(async function () {
    this.timeout(90000);
    server = await startDynamoDbLocal();
    proxy = await startFaultProxy(server.url);
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    await proxy?.stop();
    await server?.stop();
  });
  beforeEach(function () {
    n += 1;
    proxy.setRules([]);
    for (const k of Object.keys(proxy.operations)) delete proxy.operations[k];
  });
  afterEach(async function () {
    await helper.unload();
  });

  async function load(sink: Record<string, unknown>, url = server.url): Promise<SinkWatch> {
    sinkId = `sink-ct${n}`;
    await helper.load(SINK_NODES, sinkFlow({ url, sink: { createTable: true, ...sink }, sinkId }), CONNECTOR_CREDENTIALS);
    return watchSink(sinkId);
  }

  it('a table per site (telemetry_${payload.site}) made on first use, TTL on, every item written; tables.created 3', async function () {
    const prefix = `telemetry${n}`;
    const w = await load({ table: `${prefix}_\${payload.site}`, ttlAttribute: 'expires', ttlSeconds: 3600 });
    const sites = ['north', 'south', 'east'];
    for (let i = 0; i < 60; i++) w.send({ payload: row(`m${i}`, sites[i % 3]) });
    await until('60 outputs', () => w.outputs.length === 60 || w.caught.length > 0);
    assert.deepEqual(w.caught.map((c) => c.error?.message), []);
    const c = testClient(server.url);
    try {
      for (const site of sites) {
        const table = `${prefix}_${site}`;
        const items = await scanAll(server.url, table);
        assert.equal(items.length, 20, table);
        assert.ok(items.every((it) => Number(it.expires?.N) > Date.now() / 1000), 'each item holds its expiry');
        const t = (await c.send(new DescribeTableCommand({ TableName: table }))).Table!;
        assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
        assert.deepEqual(t.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
        const ttl = (await c.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
        assert.deepEqual([ttl?.TimeToLiveStatus, ttl?.AttributeName], ['ENABLED', 'expires'], table);
      }
    } finally {
      c.destroy();
    }
    const m = (await sinkMetrics(sinkId)).body.counters;
    assert.equal(m['tables.created'], 3);
    assert.deepEqual([m.matched, m.success, m.failed, m.dropped], [60, 60, 0, 0]);
  });

  it('two sinks racing for one new table (same instant, 100 messages each): one table, all written, nothing failed', async function () {
    const table = `race${n}`;
    const flow = sinkFlow({ url: proxy.url, sink: { createTable: true, table }, sinkId: 'race-a' });
    flow.push({ ...flow.find((x) => x.id === 'race-a')!, id: 'race-b', name: 'sink b' });
    (flow.find((x) => x.id === 'catch') as { scope: string[] }).scope = ['race-a', 'race-b'];
    await helper.load(SINK_NODES, flow, CONNECTOR_CREDENTIALS);
    const a = watchSink('race-a');
    const b = helper.getNode('race-b')!;
    for (let i = 0; i < 100; i++) {
      a.send({ payload: { id: `a${i}`, v: i } });
      b.receive({ payload: { id: `b${i}`, v: i } } as never);
    }
    await until('200 outputs', () => a.outputs.length === 200 || a.caught.length > 0);
    assert.deepEqual(a.caught.map((c) => c.error?.message), []);
    assert.equal((await scanAll(server.url, table)).length, 200);
    const ma = (await sinkMetrics('race-a')).body.counters;
    const mb = (await sinkMetrics('race-b')).body.counters;
    assert.deepEqual([ma.success, ma.failed, mb.success, mb.failed], [100, 0, 100, 0]);
    assert.equal(ma['tables.created'] + mb['tables.created'], 1, 'one of them made it; the other waited for it');
    assert.ok(proxy.operations.CreateTable >= 2, `both asked (${proxy.operations.CreateTable}); DynamoDB made one`);
  });

  it('without dynamodb:CreateTable: each waiting message reaches Catch naming the table and the permission, counted failed', async function () {
    proxy.setRules([{ action: 'access-denied', operations: ['CreateTable'] }]);
    const table = `denied${n}`;
    const w = await load({ table }, proxy.url);
    for (let i = 0; i < 30; i++) w.send({ payload: { id: `d${i}` }, marker: i });
    await until('30 caught', () => w.caught.length === 30);
    assert.equal(w.outputs.length, 0);
    assert.deepEqual(w.caught.map((c) => c.marker).sort((x, y) => Number(x) - Number(y)), [...Array(30).keys()]);
    for (const c of w.caught) {
      assert.match(c.error!.message, new RegExp(`table "${table}" not found at ${proxy.url.replace(/[.:/]/g, '\\$&')} .*and could not be created: the connector's credentials lack the dynamodb:CreateTable permission`));
    }
    const m = (await sinkMetrics(sinkId)).body.counters;
    assert.deepEqual([m.matched, m.failed, m.success, m.dropped, m.queuing, m.inflight, m['tables.created']], [30, 30, 0, 0, 0, 0, 0]);
    // More messages within the backoff fail at once: no storm of CreateTable calls.
    for (let i = 0; i < 5; i++) w.send({ payload: { id: `e${i}` } });
    await until('35 caught', () => w.caught.length === 35);
    assert.equal(proxy.operations.CreateTable, 1);
  });

  it('against dynalite (no UpdateTimeToLive): tables created and written, one log line about TTL', async function () {
    const lite = await startDynalite();
    try {
      const w = await load({ table: `lite${n}_\${payload.site}`, ttlAttribute: 'expires', ttlSeconds: 60 }, lite.url);
      for (let i = 0; i < 20; i++) w.send({ payload: row(`l${i}`, i % 2 ? 'a' : 'b') });
      await until('20 outputs', () => w.outputs.length === 20 || w.caught.length > 0);
      assert.deepEqual(w.caught.map((c) => c.error?.message), []);
      assert.equal((await scanAll(lite.url, `lite${n}_a`)).length, 10);
      assert.equal((await scanAll(lite.url, `lite${n}_b`)).length, 10);
      assert.equal((await sinkMetrics(sinkId)).body.counters['tables.created'], 2);
      const ttlLines = w.warnings.filter((t) => /TTL/.test(t));
      assert.equal(ttlLines.length, 1, w.warnings.join('\n'));
      assert.match(ttlLines[0], /cannot turn TTL on \(no UpdateTimeToLive, as in dynalite\).*"expires".*do not expire \(logged once\)/);
      await helper.unload();
    } finally {
      await lite.stop();
    }
  });
});
