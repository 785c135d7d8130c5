// DESIGN.md 6, "Throttling is answered where it arises": one device floods its own partition key
// while 99 others write. The capacity proxy (test/support/capacity-proxy.ts) in front of dynalite
// gives that key a partition's limit of its own and answers its excess with DynamoDB's reason
// TableWriteKeyRangeThroughputExceeded. The other devices keep their rate: measured against a run
// without the hot key in the same test, as a ratio (both runs are paced by the sink's own
// maxWriteUnits, not by this machine's speed). The hot key's writes all land, later.
import { strict as assert } from 'node:assert';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { countersAddUp } from '../../../src/dynamo/delivery/metrics';
import type { WriteRequest } from '../../../src/dynamo/delivery/queue';
import { BatchWriter } from '../../../src/dynamo/delivery/writer';
import { startCapacityProxy, type CapacityProxy } from '../../support/capacity-proxy';
import { TEST_CREDENTIALS, TEST_REGION, createDeviceTable, scanAll, startDynalite, type DynamoServer } from '../../support/dynamodb';

const DEVICES = 99;
const ROUNDS = 15;
const HOT_WRITES = 100;
/** The hot partition's own limit (DynamoDB: 1,000 WCU/s per partition), scaled down. */
const HOT_UNITS = 10;
/** The sink's budget: both runs go at this pace, whatever the machine. */
const SINK_UNITS = 300;
/** The other devices' rate with the hot key's excess as UnprocessedItems, as a share of the plain run's (at least). */
const RATIO_BOUND = 0.85;

function write(table: string, device: string, seq: number): WriteRequest {
  const key = { device: { S: device }, seq: { N: String(seq) } };
  return { table, operation: 'put', key, item: { ...key, temp: { N: String(20 + (seq % 7)) } } };
}

describe('a hot partition key slows only its own writes (ThrottlingReasons)', function () {
  this.timeout(60000);
  let server: DynamoServer;
  let proxy: CapacityProxy | undefined;
  let client: DynamoDBClient | undefined;
  let writer: BatchWriter | undefined;
  let n = 0;

  before(async function () {
    server = await startDynalite();
  });
  after(async function () {
    await server?.stop();
  });
  afterEach(async function () {
    await writer?.close(0, 5000);
    client?.destroy();
    await proxy?.stop();
    writer = client = proxy = undefined;
  });

  /**
   * 99 devices × 15 writes, and with `hot` 100 writes of device "hot" among them, all at once.
   * `mixedBatches`: how the proxy answers a batch with the hot key's excess (capacity-proxy.ts).
   */
  async function run(hot: boolean, mixedBatches: 'refuse' | 'unprocessed' = 'refuse') {
    const table = `devices_${++n}`;
    await createDeviceTable(server.url, table);
    proxy = await startCapacityProxy(server.url, {
      writeUnits: 100000,
      reasons: true,
      ...(hot ? { hotKey: { attribute: 'device', value: 'hot', writeUnits: HOT_UNITS, mixedBatches } } : {}),
    });
    client = createDynamoClient({ url: proxy.url, region: TEST_REGION, table: '', poolSize: 32, requestTimeout: 5000, healthCheckInterval: 15000 }, TEST_CREDENTIALS);
    const warnings: string[] = [];
    const w = (writer = new BatchWriter({
      client,
      queryMode: 'async',
      batchSize: 25,
      batchTime: 10,
      inflightWindow: 16,
      requestTtl: 30000,
      maxBufferBytes: 64 * 1024 * 1024,
      maxWriteUnits: SINK_UNITS,
      log: { info: () => undefined, warn: (t) => warnings.push(t) },
    }));
    const others = DEVICES * ROUNDS;
    let othersDone = 0;
    let hotDone = 0;
    let othersEnd = 0;
    let hotKeysSeen = 0;
    const failures: string[] = [];
    const listener = (isHot: boolean) => ({
      written: () => {
        if (isHot) hotDone += 1;
        else if (++othersDone === others) othersEnd = performance.now();
      },
      failed: (err: Error) => failures.push(err.message),
      dropped: (_r: string, err: Error) => failures.push(err.message),
    });
    const started = performance.now();
    let hotSent = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let d = 1; d <= DEVICES; d++) {
        w.enqueue(write(table, `dev-${String(d).padStart(2, '0')}`, r), listener(false));
        // The hot device floods: one write in every 13 of the whole stream.
        if (hot && hotSent < HOT_WRITES && (r * DEVICES + d) % 13 === 0) w.enqueue(write(table, 'hot', hotSent++), listener(true));
      }
    }
    while (hot && hotSent < HOT_WRITES) w.enqueue(write(table, 'hot', hotSent++), listener(true));
    const deadline = Date.now() + 40000;
    while ((othersDone < others || hotDone < hotSent) && failures.length === 0 && Date.now() < deadline) {
      hotKeysSeen = Math.max(hotKeysSeen, w.hotKeys());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(failures, []);
    assert.equal(othersDone, others, 'every other device\'s write landed');
    assert.equal(hotDone, hotSent, 'every write of the hot key landed');
    const stored = await scanAll(server.url, table);
    assert.equal(stored.length, others + hotSent);
    const counters = w.metrics.snapshot();
    assert.ok(countersAddUp(counters), JSON.stringify(counters));
    return { table, othersPerSecond: others / ((othersEnd - started) / 1000), counters, warnings, hotKeysSeen, proxy: proxy! };
  }

  it('the other devices keep their rate (within 10% of a run without the hot key); the hot key\'s writes all land', async function () {
    const plain = await run(false);
    await writer!.close(0, 5000);
    await proxy!.stop();
    client!.destroy();
    const flooded = await run(true);
    const ratio = flooded.othersPerSecond / plain.othersPerSecond;
    const report = {
      ratio: Math.round(ratio * 1000) / 1000,
      plain: Math.round(plain.othersPerSecond),
      flooded: Math.round(flooded.othersPerSecond),
      hotRefusedCalls: flooded.proxy.hotRefusedCalls,
      counters: flooded.counters,
    };
    // eslint-disable-next-line no-console
    console.log(`      ${JSON.stringify(report)}`);
    assert.ok(ratio >= 0.9, `other devices within 10% of the plain run: ${JSON.stringify(report)}`);
    assert.ok(flooded.proxy.hotRefusedCalls > 0, 'the proxy did throttle the hot key');
    assert.ok(flooded.counters['throttled.key_range'] > 0, JSON.stringify(flooded.counters));
    assert.equal(flooded.counters['throttled.budget'], 0);
    assert.equal(plain.counters['throttled.key_range'], 0);
    assert.ok(flooded.hotKeysSeen >= 1, 'the writer reported a hot key while it was throttled');
    // The log names the hot key once for the episode, not once per throttled write.
    const named = flooded.warnings.filter((t) => /hot key/.test(t));
    assert.equal(named.length, 1, flooded.warnings.join('\n'));
    assert.match(named[0], /partition key device = "hot" in table "devices_2"/);
    assert.match(named[0], /TableWriteKeyRangeThroughputExceeded/);
  });

  // DynamoDB itself writes the other writes of a mixed batch and returns the hot key's excess as
  // UnprocessedItems, which carry no reason: the sink sends that one key's unprocessed writes in
  // a call of their own (sender.ts), whose refusal names the key range.
  it('with DynamoDB\'s own answer (the hot key\'s excess as UnprocessedItems), the sink learns the hot key and the other devices keep their rate', async function () {
    const plain = await run(false);
    await writer!.close(0, 5000);
    await proxy!.stop();
    client!.destroy();
    const flooded = await run(true, 'unprocessed');
    const ratio = flooded.othersPerSecond / plain.othersPerSecond;
    const report = {
      ratio: Math.round(ratio * 1000) / 1000,
      plain: Math.round(plain.othersPerSecond),
      flooded: Math.round(flooded.othersPerSecond),
      hotUnprocessed: flooded.proxy.hotUnprocessed,
      hotRefusedCalls: flooded.proxy.hotRefusedCalls,
      counters: flooded.counters,
    };
    // eslint-disable-next-line no-console
    console.log(`      ${JSON.stringify(report)}`);
    assert.ok(flooded.proxy.hotUnprocessed > 0, 'the proxy returned the hot key\'s excess as UnprocessedItems');
    assert.ok(flooded.proxy.hotRefusedCalls > 0, 'a call of the hot key alone was refused with its reason');
    assert.ok(flooded.counters['throttled.key_range'] > 0, JSON.stringify(flooded.counters));
    assert.equal(flooded.counters['throttled.budget'], 0);
    assert.ok(flooded.hotKeysSeen >= 1, 'the writer reported a hot key while it was throttled');
    const named = flooded.warnings.filter((t) => /hot key/.test(t));
    assert.equal(named.length, 1, flooded.warnings.join('\n'));
    assert.match(named[0], new RegExp(`partition key device = "hot" in table "${flooded.table}"`));
    assert.match(named[0], /TableWriteKeyRangeThroughputExceeded/);
    assert.ok(ratio >= RATIO_BOUND, `other devices within ${Math.round((1 - RATIO_BOUND) * 100)}% of the plain run: ${JSON.stringify(report)}`);
  });
});
