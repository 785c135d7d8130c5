// DESIGN.md 6, "a writer that has closed takes nothing back": BatchWriter against dynalite
// through the fault proxy, closed while its call hangs. The call times out after close() stopped
// waiting; its write goes to onHandOff (the sink's successor) or ends as dropped.resource_stopped,
// counted and reported, never into the closed queue. requestTtl bounds a call in flight.
import { strict as assert } from 'node:assert';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { CONNECTOR_DEFAULTS } from '../../../src/dynamo/connection/connector';
import { countersAddUp, SinkMetrics } from '../../../src/dynamo/delivery/metrics';
import type { QueuedWrite, WriteListener } from '../../../src/dynamo/delivery/queue';
import { BatchWriter, type BatchWriterOptions } from '../../../src/dynamo/delivery/writer';
import { createSeedTable, scanAll, startDynalite, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../../support/dynamodb';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';

type Outcome = { id: string; how: 'written' | 'failed' | 'dropped'; reason?: string };

async function until(what: string, cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BatchWriter close and requestTtl in flight (dynalite + fault proxy)', function () {
  this.timeout(30000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  const table = 'writer_close';

  before(async function () {
    server = await startDynalite();
    await createSeedTable(server.url, table);
    proxy = await startFaultProxy(server.url);
  });
  after(async function () {
    await proxy?.stop();
    await server?.stop();
  });
  afterEach(() => proxy.setRules([]));

  function writer(extra: Partial<BatchWriterOptions>, requestTimeout = 600) {
    const client = createDynamoClient({ ...CONNECTOR_DEFAULTS, url: proxy.url, region: TEST_REGION, requestTimeout }, TEST_CREDENTIALS);
    const w = new BatchWriter({
      client,
      queryMode: 'async',
      batchSize: 25,
      batchTime: 1,
      inflightWindow: 4,
      requestTtl: 60000,
      maxBufferBytes: 1 << 20,
      requestTimeout,
      ...extra,
    });
    return { w, client };
  }

  function send(w: BatchWriter, ids: string[], outcomes: Outcome[]): void {
    for (const id of ids) {
      const listener: WriteListener = {
        written: () => outcomes.push({ id, how: 'written' }),
        failed: () => outcomes.push({ id, how: 'failed' }),
        dropped: (reason) => outcomes.push({ id, how: 'dropped', reason }),
      };
      w.enqueue({ table, operation: 'put', key: { id: { S: id } }, item: { id: { S: id } } }, listener);
    }
  }

  it('a write whose call outlives close() goes to onHandOff, keeps its listener, and the successor writes it', async function () {
    const metrics = new SinkMetrics();
    const handed: QueuedWrite[] = [];
    const { w: first, client } = writer({ metrics, onHandOff: (q) => handed.push(q) });
    const outcomes: Outcome[] = [];
    proxy.setRules([{ action: 'hang', operations: ['BatchWriteItem'] }]);
    send(first, ['h0', 'h1', 'h2'], outcomes);
    await until('in flight', () => metrics.inflight === 3);
    // close() stops waiting after 100 ms; the hung call times out at 600 ms, after it.
    const left = await first.close(50, 100);
    assert.equal(left.length, 0);
    assert.equal(metrics.inflight, 3, 'still in flight after close');
    await until('handed off', () => handed.length === 3, 5000);
    assert.deepEqual([metrics.matched, metrics.queuing, metrics.inflight], [3, 3, 0], 'counted queuing while handed over');
    assert.ok(handed.every((q) => q.attempts === 1 && q.listener));
    proxy.setRules([]);
    const { w: second, client: client2 } = writer({ metrics });
    second.adopt(handed, { counted: true });
    await until('written', () => outcomes.length === 3);
    assert.ok(outcomes.every((o) => o.how === 'written'));
    assert.deepEqual([metrics.matched, metrics.success, metrics.queuing, metrics.inflight], [3, 3, 0, 0]);
    assert.ok(countersAddUp(metrics.snapshot()));
    assert.equal((await scanAll(server.url, table)).filter((i) => i.id.S?.startsWith('h')).length, 3);
    await second.close(1000);
    client.destroy();
    client2.destroy();
  });

  it('without a successor (or when the node was deleted) such a write ends as dropped.resource_stopped, reported', async function () {
    const { w, client } = writer({});
    const outcomes: Outcome[] = [];
    proxy.setRules([{ action: 'stall-body', operations: ['BatchWriteItem'] }]);
    send(w, ['x0', 'x1'], outcomes);
    await until('in flight', () => w.metrics.inflight === 2);
    await w.close(50, 100, true);
    await until('dropped', () => outcomes.length === 2, 5000);
    assert.ok(outcomes.every((o) => o.how === 'dropped' && o.reason === 'resource_stopped'), JSON.stringify(outcomes));
    const m = w.metrics.snapshot();
    assert.deepEqual([m.matched, m['dropped.resource_stopped'], m.queuing, m.inflight], [2, 2, 0, 0]);
    client.destroy();
  });

  it('requestTtl ends a call in flight: a hung write expires at its TTL, not at requestTimeout', async function () {
    const { w, client } = writer({ requestTtl: 700 }, 10000);
    const outcomes: Outcome[] = [];
    proxy.setRules([{ action: 'hang', operations: ['BatchWriteItem'] }]);
    const started = Date.now();
    send(w, ['t0'], outcomes);
    await until('expired', () => outcomes.length === 1, 5000);
    const elapsed = Date.now() - started;
    assert.deepEqual(outcomes[0], { id: 't0', how: 'dropped', reason: 'expired' });
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    const m = w.metrics.snapshot();
    assert.deepEqual([m.matched, m['dropped.expired'], m.inflight, m.queuing], [1, 1, 0, 0]);
    await w.close(0, 0);
    client.destroy();
  });
});
