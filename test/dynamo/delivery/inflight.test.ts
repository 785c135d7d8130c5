// The calls in flight (src/dynamo/delivery/inflight.ts): the AIMD window, and the bookkeeping of
// a call's writes between the queue and flight, counted so the metrics always add up.
import { strict as assert } from 'node:assert';
import { InFlight } from '../../../src/dynamo/delivery/inflight';
import { SinkMetrics, countersAddUp } from '../../../src/dynamo/delivery/metrics';
import { WriteQueue, keyIdentity, type QueuedWrite } from '../../../src/dynamo/delivery/queue';

function write(seq: number, token?: string): QueuedWrite {
  const key = { id: { S: `k${seq}` } };
  return {
    seq, enqueuedAt: 0, deadline: 1e12, table: 't', operation: 'put', key, item: key, keyId: keyIdentity('t', key),
    bytes: 100, units: 1, attempts: 0, notBefore: 0, solo: false, queued: false, ...(token ? { expression: { token } } : {}),
  };
}

describe('calls in flight', () => {
  it('halves the window on trouble and grows it by one per call that goes through, within 1..inflightWindow', () => {
    const f = new InFlight(new WriteQueue(), new SinkMetrics(), 8, false);
    assert.equal(f.allowed(), 8);
    f.narrow();
    f.narrow();
    assert.equal(f.allowed(), 2);
    for (let i = 0; i < 5; i++) f.narrow();
    assert.equal(f.allowed(), 1, 'never below one');
    for (let i = 0; i < 20; i++) f.widen();
    assert.equal(f.allowed(), 8, 'never above inflightWindow');
    assert.equal(new InFlight(new WriteQueue(), new SinkMetrics(), 8, true).allowed(), 1, 'sync mode: one call');
  });

  it('moves a call from the queue into flight and back out, counting attempts', () => {
    const queue = new WriteQueue();
    const metrics = new SinkMetrics();
    const call = [write(1), write(2, 'tok')];
    for (const w of call) queue.insert(w);
    metrics.matched = metrics.queuing = 2;
    const f = new InFlight(queue, metrics, 4, false);
    f.begin(call);
    assert.equal(queue.length, 0);
    assert.equal(f.calls, 1);
    assert.ok(f.keys.has(call[0].keyId) && f.writes.has(call[1]));
    assert.deepEqual(call.map((w) => w.attempts), [1, 1]);
    assert.equal(call[0].expression, undefined);
    const firstSentAt = call[1].expression!.firstSentAt;
    assert.equal(typeof firstSentAt, 'number', 'a tokened write remembers its first attempt');
    f.begin([]);
    f.end([]);
    assert.deepEqual([metrics.queuing, metrics.inflight], [0, 2]);
    assert.ok(countersAddUp(metrics.snapshot()));
    f.end(call);
    assert.deepEqual([f.calls, f.keys.size, f.writes.size], [0, 0, 0]);
  });

  it('release: the writes still in flight, oldest first, counted queuing again', () => {
    const queue = new WriteQueue();
    const metrics = new SinkMetrics();
    const f = new InFlight(queue, metrics, 4, false);
    metrics.matched = metrics.queuing = 3;
    f.begin([write(3)]);
    f.begin([write(1), write(2)]);
    assert.deepEqual(f.release().map((w) => w.seq), [1, 2, 3]);
    assert.deepEqual([metrics.queuing, metrics.inflight, f.writes.size], [3, 0, 0]);
  });
});
