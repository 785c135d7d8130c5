// DESIGN.md 6 across outages and restarts, against the real DynamoDB Local jar with a data path
// (so its data survives being stopped): DynamoDB stopped for 20 s mid-stream; Node-RED stopped
// with a disk queue and started again; redeploys that must not lose a memory queue.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countersAddUp } from '../../src/dynamo/delivery/metrics';
import { createSeedTable, scanAll, startDynamoDbLocal, type DynamoServer } from '../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until, watchSink } from '../support/sink-flow';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability across outages and restarts (e2e, DynamoDB Local with a data path)', function () {
  this.timeout(120000);
  let dataDir: string;
  let userDir: string;
  let server: DynamoServer;

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddb-data-'));
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-user-'));
    server = await startDynamoDbLocal({ path: dataDir });
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    await helper.unload().catch(() => undefined);
    await helper.stopServer();
    helper.settings({});
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  afterEach(async function () {
    await helper.unload().catch(() => undefined);
  });

  const connector = { healthCheckInterval: 1000, requestTimeout: 5000 };

  it('DynamoDB stopped for 20 s mid-stream: every message lands, none dropped, the status showed the outage', async function () {
    const table = 'outage';
    await createSeedTable(server.url, table);
    await helper.load(
      SINK_NODES,
      sinkFlow({ url: server.url, sink: { table, requestTtl: 90000 }, connector, sinkId: 'outage-sink' }),
      CONNECTOR_CREDENTIALS,
    );
    const w = watchSink('outage-sink');
    // 40 messages a second for 25 s: DynamoDB Local with a data path (SQLite on disk) writes
    // only some 100-250 items a second on a 2-core machine, so more would just test its speed.
    const total = 1000;
    let sent = 0;
    const streaming = (async () => {
      while (sent < total) {
        for (let i = 0; i < 4 && sent < total; i++, sent++) w.send({ payload: { id: `o${sent}`, seq: sent } });
        await sleep(100);
      }
    })();
    await sleep(3000);
    const { port } = server;
    await server.stop();
    const stoppedAt = Date.now();
    const writtenAtStop = w.outputs.length;
    await sleep(20000);
    const duringOutage = (await sinkMetrics('outage-sink')).body;
    server = await startDynamoDbLocal({ path: dataDir, port });
    const outage = Date.now() - stoppedAt;
    await streaming;
    await until('all written', () => w.outputs.length + w.caught.length >= total, 60000).catch(async (e) => {
      const now = (await sinkMetrics('outage-sink')).body;
      throw new Error(`${e.message}: ${JSON.stringify(now)}; last status ${JSON.stringify(w.statuses.at(-1))}`);
    });
    const m = (await sinkMetrics('outage-sink')).body.counters;
    const items = await scanAll(server.url, table);
    const downStatuses = w.statuses.filter((s) => /DynamoDB down/.test(s.text ?? ''));
    console.log(
      `      outage: DynamoDB down ${(outage / 1000).toFixed(1)} s; ${writtenAtStop} written before; during: ` +
        `queuing ${duringOutage.counters.queuing}, connection ${duringOutage.connection}; after: ${JSON.stringify(m)}; ` +
        `status e.g. "${downStatuses[0]?.text}"`,
    );
    assert.equal(w.caught.length, 0, w.caught[0]?.error?.message);
    assert.equal(items.length, total);
    assert.deepEqual([m.matched, m.success, m.failed, m.dropped, m.queuing, m.inflight], [total, total, 0, 0, 0, 0]);
    assert.ok(countersAddUp(m));
    assert.equal(duringOutage.connection, 'down');
    assert.ok(duringOutage.counters.queuing > 300, 'messages waited in the queue');
    assert.ok(downStatuses.length > 0, 'the status showed the outage');
    assert.match(downStatuses[0].text!, /^DynamoDB down · [\d,]+ queued$/);
    assert.match(duringOutage.reason, /cannot reach DynamoDB/);
    // Oldest first after the outage: outputs in send order (sequence numbers ascending) overall.
    const seqs = w.outputs.map((o) => (o.payload as { seq: number }).seq);
    const firstAfter = seqs.slice(writtenAtStop, writtenAtStop + 100);
    assert.ok(firstAfter.every((s) => s < writtenAtStop + 400), 'the oldest queued went first');
    await helper.unload();
  });

  it('disk mode: Node-RED stopped while DynamoDB is down with items queued; both started again: every item arrives once', async function () {
    const table = 'disk_restart';
    await createSeedTable(server.url, table);
    const flow = sinkFlow({
      url: server.url,
      sink: { table, bufferMode: 'disk', requestTtl: 60000 },
      connector,
      sinkId: 'disk-sink',
    });
    await helper.load(SINK_NODES, flow, CONNECTOR_CREDENTIALS);
    let w = watchSink('disk-sink');
    for (let i = 0; i < 200; i++) w.send({ payload: { id: `before${i}` } });
    await until('200 written', () => w.outputs.length === 200, 30000);
    const { port } = server;
    await server.stop();
    await until('down', () => w.statuses.some((s) => /DynamoDB down/.test(s.text ?? '')), 10000);
    for (let i = 0; i < 500; i++) w.send({ payload: { id: `queued${i}` } });
    await sleep(300);
    const before = (await sinkMetrics('disk-sink')).body.counters;
    const t0 = Date.now();
    await helper.unload();
    await helper.stopServer();
    const closeMs = Date.now() - t0;
    const dir = path.join(userDir, 'dynamodb-sink-buffer', 'disk-sink');
    const files = fs.readdirSync(dir);
    assert.ok(files.some((f) => f.endsWith('.log')), `segment files in ${dir}`);

    server = await startDynamoDbLocal({ path: dataDir, port });
    await helper.startServer();
    await helper.load(SINK_NODES, flow, CONNECTOR_CREDENTIALS);
    w = watchSink('disk-sink');
    await until('restored writes done', () => (w.sink.runtime as any).metrics().counters.success >= 500, 30000);
    await sleep(300);
    const after = (await sinkMetrics('disk-sink')).body.counters;
    const items = await scanAll(server.url, table);
    console.log(
      `      disk restart: before stop ${JSON.stringify(before)}; close took ${closeMs} ms; files ${files.join(',')}; ` +
        `after restart ${JSON.stringify(after)}; table ${items.length}`,
    );
    assert.equal(before.success, 200);
    assert.equal(before.queuing + before.inflight, 500);
    assert.equal(items.length, 700);
    assert.deepEqual([after.matched, after.success, after.failed, after.dropped, after.queuing], [500, 500, 0, 0, 0]);
    await helper.unload();
    // Nothing left to replay: the segments are settled and gone.
    await helper.load(SINK_NODES, flow, CONNECTOR_CREDENTIALS);
    await sleep(200);
    assert.equal((await sinkMetrics('disk-sink')).body.counters.matched, 0, 'no item replayed twice');
    await helper.unload();
  });

  it('memory mode: a deploy that leaves the sink unchanged keeps its queue; a full deploy hands it over', async function () {
    const table = 'redeploy';
    await createSeedTable(server.url, table);
    const flow = sinkFlow({ url: server.url, sink: { table, requestTtl: 60000 }, connector, sinkId: 'mem-sink' });
    await helper.load(SINK_NODES, flow, CONNECTOR_CREDENTIALS);
    const w = watchSink('mem-sink');
    const { port } = server;
    await server.stop();
    await until('down', () => w.statuses.some((s) => /DynamoDB down/.test(s.text ?? '')), 10000);
    for (let i = 0; i < 100; i++) w.send({ payload: { id: `r${i}` } });

    // A 'nodes' deploy changing another node only: Node-RED does not restart the sink.
    const changed = flow.map((n) => (n.id === 'out' ? { ...n, name: 'renamed' } : n));
    await (helper as any).setFlows(changed, 'nodes', CONNECTOR_CREDENTIALS);
    assert.equal(helper.getNode('mem-sink'), w.sink, 'the same sink instance runs on');
    const kept = (await sinkMetrics('mem-sink')).body.counters;
    assert.equal(kept.queuing + kept.inflight, 100);

    // A full deploy restarts every node: the queue goes to the new instance.
    await (helper as any).setFlows(changed, 'full', CONNECTOR_CREDENTIALS);
    const next = helper.getNode('mem-sink')!;
    assert.notEqual(next, w.sink);
    const adopted = (await sinkMetrics('mem-sink')).body.counters;
    assert.equal(adopted.queuing + adopted.inflight, 100);
    server = await startDynamoDbLocal({ path: dataDir, port });
    await until('handed-over writes done', () => (next as any).runtime.metrics().counters.success === 100, 30000);
    assert.equal((await scanAll(server.url, table)).length, 100);
    await helper.unload();
  });
});
