// Issue 14, "inside the table's capacity": one dynamodb-sink writing 3,000 small items at once
// into a table provisioned at 200 write units per second (test/support/capacity-proxy.ts in
// front of dynalite throttles as DynamoDB does). With maxWriteUnits 200 it spends its budget
// before each call and is almost never throttled; without it the shared adaptive rate finds the
// table's capacity by itself. Either way every item is stored, few calls are throttled, retries
// go out in full batches, and consumed.wcu is what the proxy reported.
//
// The items/s bounds are absolute, but they are the proxy's rate (200 WCU/s = 200 small items/s),
// not this machine's speed: the sink needs far less CPU than that, even on a loaded machine.
import { strict as assert } from 'node:assert';
import { createSeedTable, scanAll, startDynalite, type DynamoServer } from '../../support/dynamodb';
import { startCapacityProxy, type CapacityProxy } from '../../support/capacity-proxy';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until, watchSink } from '../../support/sink-flow';

const ITEMS = 3000;
const WRITE_UNITS = 200;

describe('dynamodb-sink inside a provisioned table\'s capacity (200 WCU/s)', function () {
  this.timeout(120000);
  let server: DynamoServer;
  let proxy: CapacityProxy | undefined;
  let n = 0;

  before(async function () {
    this.timeout(60000);
    server = await startDynalite();
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    await proxy?.stop();
    await server?.stop();
  });
  afterEach(async function () {
    await helper.unload();
    await proxy?.stop();
    proxy = undefined;
  });

  /** Sends ITEMS small rows at once; resolves when every one has come out of the sink. */
  async function run(sink: Record<string, unknown>) {
    const table = `capacity_${++n}`;
    await createSeedTable(server.url, table);
    proxy = await startCapacityProxy(server.url, { writeUnits: WRITE_UNITS });
    const sinkId = `cap-${n}`;
    // Defaults throughout (sinkFlow's short batchTime for other tests is put back to 20 ms).
    await helper.load(SINK_NODES, sinkFlow({ url: proxy.url, sinkId, sink: { table, batchTime: 20, ...sink }, connector: { requestTimeout: 10000 } }), CONNECTOR_CREDENTIALS);
    const watch = watchSink(sinkId);
    const started = performance.now();
    for (let i = 0; i < ITEMS; i++) {
      watch.send({ payload: { id: `d-${i}`, clientid: `c${i % 10}`, temp: 20 + (i % 7), topic: `t/${i % 10}` } });
    }
    await until('every item written', () => watch.outputs.length + watch.caught.length >= ITEMS, 90000);
    const seconds = (performance.now() - started) / 1000;
    const metrics = (await sinkMetrics(sinkId)).body;
    const stored = await scanAll(server.url, table);
    const p = proxy;
    const report = {
      itemsPerSecond: Math.round(ITEMS / seconds),
      calls: p.calls,
      throttledCalls: p.throttledCalls,
      throttledShare: p.throttledCalls / p.calls,
      granted: p.granted,
      counters: metrics.counters,
    };
    return { watch, stored, report, p, metrics };
  }

  function check(r: Awaited<ReturnType<typeof run>>, most: number, least: number) {
    const text = JSON.stringify(r.report);
    assert.equal(r.watch.caught.length, 0, `no write failed: ${JSON.stringify(r.watch.caught[0]?.error)}`);
    assert.equal(r.stored.length, ITEMS, `all ${ITEMS} items stored: ${text}`);
    assert.equal(r.metrics.counters.success, ITEMS);
    assert.ok(r.report.throttledShare <= most, `at most ${most * 100}% of calls throttled: ${text}`);
    assert.ok(r.report.itemsPerSecond >= least, `at least ${least} items/s: ${text}`);
    assert.equal(r.metrics.counters['consumed.wcu'], r.p.granted, `consumed.wcu equals what the proxy reported: ${text}`);
    // Retries go out in full batches: the calls are close to the fewest possible (ITEMS / 25).
    assert.ok(r.p.calls <= (ITEMS / 25) * 1.5, `retries are batched, not one per call: ${text}`);
    // eslint-disable-next-line no-console
    console.log(`      ${text}`);
  }

  it('with maxWriteUnits 200: all stored, at most 5% of calls throttled, at least 160 items/s', async () => {
    check(await run({ maxWriteUnits: WRITE_UNITS }), 0.05, 160);
  });

  it('without maxWriteUnits: all stored, at most 25% of calls throttled, at least 140 items/s (the adaptive rate)', async () => {
    check(await run({}), 0.25, 140);
  });
});
