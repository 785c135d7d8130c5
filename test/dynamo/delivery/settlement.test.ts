// How a write ends (src/dynamo/delivery/settlement.ts) and where one back from a call goes
// (handover.ts), without a server: each end counted once, settled in the store, told to the
// listener; after close a write is handed over or dropped, never queued again.
import { strict as assert } from 'node:assert';
import { Availability } from '../../../src/dynamo/delivery/availability';
import { HandOver } from '../../../src/dynamo/delivery/handover';
import { SinkMetrics, countersAddUp } from '../../../src/dynamo/delivery/metrics';
import { WriteQueue, keyIdentity, type QueuedWrite } from '../../../src/dynamo/delivery/queue';
import { Settlement } from '../../../src/dynamo/delivery/settlement';
import type { WriteStore } from '../../../src/dynamo/delivery/write-store';

function setup(kind: 'memory' | 'disk' = 'disk', options: { onConditionFailed?: 'skip' | 'error' } = {}) {
  const settled: number[] = [];
  const store: WriteStore = {
    kind,
    restore: () => ({ writes: [], unreadable: [], maxSeq: 0 }),
    append: () => {},
    settle: (seqs) => settled.push(...seqs),
    close: () => {},
  };
  const metrics = new SinkMetrics();
  const health = new Availability();
  const told: string[] = [];
  let pausedWrites = 0;
  const settlement = new Settlement(metrics, store, health, {
    requestTtl: 1000,
    describeEndpoint: () => 'http://db',
    onWrittenWhilePaused: () => pausedWrites++,
    ...options,
  });
  const write = (seq: number, extra: Partial<QueuedWrite> = {}): QueuedWrite => {
    const key = { id: { S: `k${seq}` } };
    metrics.matched += 1;
    metrics.inflight += 1;
    return {
      seq, enqueuedAt: 0, deadline: 1000, table: 't', operation: 'put', key, item: key, keyId: keyIdentity('t', key),
      bytes: 100, units: 1, attempts: 1, notBefore: 0, solo: false, queued: false,
      listener: {
        written: () => told.push(`${seq}:written`),
        failed: (err) => told.push(`${seq}:failed:${err.message}`),
        dropped: (reason) => told.push(`${seq}:${reason}`),
        skipped: (reason) => told.push(`${seq}:skipped:${reason}`),
      },
      ...extra,
    };
  };
  return { settled, metrics, health, told, settlement, write, pausedWrites: () => pausedWrites };
}

describe('settlement', () => {
  it('written, failed, condition skipped or failed: counted once, settled, told', () => {
    const s = setup();
    s.health.set(false, 'down');
    s.settlement.written([s.write(1), s.write(2)]);
    assert.equal(s.pausedWrites(), 1, 'a write through while paused is worth a health check');
    s.settlement.failed([s.write(3)], 'put failed: no');
    s.settlement.condition(s.write(4, { expression: { condition: 'attribute_not_exists(#c0)', names: { '#c0': 'id' } } }));
    s.settlement.condition(s.write(5));
    assert.deepEqual(s.settled, [1, 2, 3, 4, 5]);
    assert.deepEqual(s.told.slice(0, 4), ['1:written', '2:written', '3:failed:put failed: no', '4:skipped:condition']);
    assert.match(s.told[4], /^5:failed:.*although the sink set no condition/);
    const m = s.metrics.snapshot();
    assert.deepEqual([m.success, m.failed, m['dropped.condition'], m.inflight], [2, 2, 1, 0]);
    assert.ok(countersAddUp(m));
  });

  it('onConditionFailed error: the condition in the user\'s names', () => {
    const s = setup('memory', { onConditionFailed: 'error' });
    s.settlement.condition(s.write(1, { expression: { condition: 'attribute_not_exists(#c0)', names: { '#c0': 'id' } } }));
    assert.match(s.told[0], /the condition failed \(ConditionalCheckFailedException\): attribute_not_exists\(id\)/);
    assert.deepEqual(s.settled, [], 'a memory store settles nothing');
    assert.equal(s.settlement.lastError, s.told[0].slice('1:failed:'.length));
  });

  it('expire names requestTtl and the last error', () => {
    const s = setup();
    const w = s.write(1, { lastError: 'throttled' });
    s.metrics.inflight -= 1;
    s.metrics.queuing += 1;
    s.settlement.expire(w);
    assert.equal(s.told[0], '1:expired');
    assert.match(s.settlement.lastError!, /not written within requestTtl 1000 ms \(1 attempt; last error: throttled\)/);
    assert.ok(countersAddUp(s.metrics.snapshot()));
  });

  it('a write back from a call: queued while open; once closed handed off, or dropped', () => {
    const s = setup('memory');
    const queue = new WriteQueue();
    const handedOff: number[] = [];
    const handOver = new HandOver(queue, s.settlement, { onHandOff: (w) => handedOff.push(w.seq) });
    const back = (seq: number): QueuedWrite => {
      const w = s.write(seq);
      s.metrics.inflight -= 1;
      s.metrics.queuing += 1;
      return w;
    };
    handOver.requeue(back(1));
    assert.equal(queue.length, 1);
    handOver.closed = true;
    handOver.requeue(back(2));
    assert.deepEqual(handedOff, [2]);
    handOver.dropLate = true;
    handOver.requeue(back(3));
    assert.deepEqual([queue.length, s.told], [1, ['3:resource_stopped']]);
  });

  it('close waits for the next call to return, or for its timeout', async () => {
    const s = setup();
    const handOver = new HandOver(new WriteQueue(), s.settlement, {});
    const started = Date.now();
    const waiting = handOver.nextSettle(10_000);
    handOver.notifySettled();
    await waiting;
    await handOver.nextSettle(5);
    assert.ok(Date.now() - started < 5000);
  });
});
