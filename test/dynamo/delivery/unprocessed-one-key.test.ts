// UnprocessedItems of one partition key (DESIGN.md 6, "Throttling is answered where it arises"):
// DynamoDB writes the other writes of a mixed BatchWriteItem and returns a hot key's excess as
// UnprocessedItems, which carry no reason. The decision (hot-keys.ts oneKeyUnprocessed) on
// writes built by hand; then the sink against dynalite through the fault proxy, which leaves
// exactly the writes a test chooses unprocessed: one key's go again alone, and a call of their
// own that is partly written again converges, each write landing once, counters exact.
import { strict as assert } from 'node:assert';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { oneKeyUnprocessed } from '../../../src/dynamo/delivery/hot-keys';
import { countersAddUp } from '../../../src/dynamo/delivery/metrics';
import { keyIdentity, type QueuedWrite, type WriteRequest } from '../../../src/dynamo/delivery/queue';
import { BatchWriter } from '../../../src/dynamo/delivery/writer';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { TEST_CREDENTIALS, TEST_REGION, createDeviceTable, scanAll, startDynalite, type DynamoServer } from '../../support/dynamodb';

let seq = 0;
/** A queued put to table "t", partition key `device`, sort key `seq`. */
function queued(device: string, extra: Partial<QueuedWrite> = {}): QueuedWrite {
  const key = { device: { S: device }, seq: { N: String(++seq) } };
  return {
    seq, enqueuedAt: 0, deadline: 1e12, table: 't', operation: 'put', key, item: key,
    keyId: keyIdentity('t', key), bytes: 100, units: 1, attempts: 1, notBefore: 0, solo: false, queued: false,
    ...extra,
  };
}

describe('UnprocessedItems of one partition key (oneKeyUnprocessed)', () => {
  it('true when the unprocessed writes are all of one key and the call\'s written writes went to other keys', () => {
    const call = [queued('a'), queued('b'), queued('hot'), queued('hot')];
    assert.equal(oneKeyUnprocessed(call, call.slice(2)), true);
    assert.equal(oneKeyUnprocessed(call, [call[3]]), true, 'one of the key\'s writes written, one not: still that key');
  });

  it('false for several keys unprocessed (a budget), for nothing or everything unprocessed', () => {
    const call = [queued('a'), queued('b'), queued('c')];
    assert.equal(oneKeyUnprocessed(call, call.slice(1)), false);
    assert.equal(oneKeyUnprocessed(call, []), false);
    assert.equal(oneKeyUnprocessed(call, call), false, 'nothing written: DynamoDB would have refused the call with its reason');
  });

  it('a call of one key: true only when it was a group of its own (a probe), so it goes on alone until its answer says why', () => {
    const plain = [queued('hot'), queued('hot'), queued('hot')];
    assert.equal(oneKeyUnprocessed(plain, plain.slice(1)), false, 'a sink writing one key only: a throttle like any other');
    const group = [queued('hot', { probe: 7 }), queued('hot', { probe: 7 }), queued('hot', { probe: 7 })];
    assert.equal(oneKeyUnprocessed(group, group.slice(1)), true);
  });

  it('the partition key is table + hash key value: another sort key is the same key, another table is not', () => {
    const other = queued('hot', { table: 'u', keyId: keyIdentity('u', { device: { S: 'hot' }, seq: { N: '0' } }) });
    const call = [other, queued('hot'), queued('hot')];
    assert.equal(oneKeyUnprocessed(call, call.slice(1)), true);
    assert.equal(oneKeyUnprocessed(call, call), false);
    const spread = [queued('a'), other, queued('hot')];
    assert.equal(oneKeyUnprocessed(spread, spread.slice(1)), false, 'table u\'s "hot" and table t\'s "hot" are two partitions');
  });
});

describe('UnprocessedItems of one partition key go again alone (dynalite through the fault proxy)', function () {
  this.timeout(30000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  let client: DynamoDBClient;
  let writer: BatchWriter | undefined;
  let n = 0;

  before(async function () {
    server = await startDynalite();
    proxy = await startFaultProxy(server.url);
    client = createDynamoClient({ url: proxy.url, region: TEST_REGION, table: '', poolSize: 8, requestTimeout: 5000, healthCheckInterval: 15000 }, TEST_CREDENTIALS);
  });
  after(async function () {
    client?.destroy();
    await proxy?.stop();
    await server?.stop();
  });
  afterEach(async function () {
    await writer?.close(0, 5000);
    writer = undefined;
    proxy.setRules([]);
  });

  async function table(): Promise<string> {
    const name = `one_key_${++n}`;
    await createDeviceTable(server.url, name);
    return name;
  }


  function put(t: string, device: string, s: number): WriteRequest {
    const key = { device: { S: device }, seq: { N: String(s) } };
    return { table: t, operation: 'put', key, item: { ...key, v: { N: String(s) } } };
  }

  /** Enqueues `reqs` in one burst (one call of up to 25) and waits until each has its outcome. */
  async function deliver(reqs: WriteRequest[]) {
    const w = (writer = new BatchWriter({
      client,
      queryMode: 'async',
      batchSize: 25,
      batchTime: 10,
      inflightWindow: 4,
      requestTtl: 20000,
      maxBufferBytes: 1024 * 1024,
      backoff: { baseMs: 10, capMs: 50 },
    }));
    const written: string[] = [];
    const failures: string[] = [];
    for (const r of reqs) {
      const id = `${r.key.device.S}/${r.key.seq.N}`;
      w.enqueue(r, { written: () => written.push(id), failed: (e) => failures.push(e.message), dropped: (_r, e) => failures.push(e.message) });
    }
    const deadline = Date.now() + 20000;
    while (written.length + failures.length < reqs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(failures, []);
    assert.equal(new Set(written).size, reqs.length, 'each write acknowledged once');
    assert.equal(written.length, reqs.length);
    return { w, counters: w.metrics.snapshot() };
  }

  /** The call's body holds a write whose device starts with `prefix`. */
  const bodyHas = (body: string, prefix: string): boolean => body.includes(`"device":{"S":"${prefix}`);

  it('one key\'s unprocessed writes go again alone, without slowing the sink; a call of their own partly written again converges', async function () {
    const t = await table();
    // The mixed call: its first half (the other devices) is written, the hot key's half comes back
    // unprocessed. Then the hot key's own calls come back half unprocessed twice: 10 → 5 → 3 left.
    proxy.setRules([
      { action: 'partial', operations: ['BatchWriteItem'], when: (r) => bodyHas(r.body, 'hot"') && bodyHas(r.body, 'dev-'), times: 1 },
      { action: 'partial', operations: ['BatchWriteItem'], when: (r) => bodyHas(r.body, 'hot"') && !bodyHas(r.body, 'dev-'), times: 2 },
    ]);
    const reqs = [...Array.from({ length: 10 }, (_, i) => put(t, `dev-0${i}`, 1)), ...Array.from({ length: 10 }, (_, i) => put(t, 'hot', i))];
    const before = proxy.operations.BatchWriteItem ?? 0;
    const { w, counters } = await deliver(reqs);
    assert.equal(proxy.counts.partial, 3);
    assert.equal((proxy.operations.BatchWriteItem ?? 0) - before, 4, 'the mixed call, then the hot key alone: 10, 5, 3 writes');
    const stored = await scanAll(server.url, t);
    assert.equal(stored.length, 20);
    assert.ok(countersAddUp(counters), JSON.stringify(counters));
    assert.equal(counters.success, 20);
    // Sent again: 10 after the mixed call, 5 and 3 after the hot key's own calls.
    assert.equal(counters.retried, 18, JSON.stringify(counters));
    assert.equal(counters['throttled.key_range'] + counters['throttled.budget'], 0, 'no reason was given');
    assert.equal(w.writeRate().throttles, 0, 'the sink was not slowed: the answer to the key\'s own call decides');
  });

  it('unprocessed writes of several keys (a budget) slow the whole sink, as before', async function () {
    const t = await table();
    proxy.setRules([{ action: 'partial', operations: ['BatchWriteItem'], times: 1 }]);
    const reqs = Array.from({ length: 20 }, (_, i) => put(t, `dev-${String(i).padStart(2, '0')}`, 1));
    const { w, counters } = await deliver(reqs);
    assert.equal((await scanAll(server.url, t)).length, 20);
    assert.ok(countersAddUp(counters), JSON.stringify(counters));
    assert.equal(counters.retried, 10);
    assert.equal(w.writeRate().throttles, 1, 'the sink slowed down');
  });
});
