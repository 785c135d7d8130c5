// What the queue holds (src/dynamo/delivery/admission.ts), without a server: counted admission,
// the oldest dropped past maxBufferBytes and logged once per burst, expiry past requestTtl, and
// when the queue holds a window's worth of writes (back-pressure).
import { strict as assert } from 'node:assert';
import { Admission } from '../../../src/dynamo/delivery/admission';
import { Availability } from '../../../src/dynamo/delivery/availability';
import { SinkMetrics, countersAddUp } from '../../../src/dynamo/delivery/metrics';
import { WriteQueue, type WriteListener, type WriteRequest } from '../../../src/dynamo/delivery/queue';
import { Settlement } from '../../../src/dynamo/delivery/settlement';
import { MemoryStore } from '../../../src/dynamo/delivery/write-store';

const put = (id: string): WriteRequest => ({ table: 't', operation: 'put', key: { id: { S: id } }, item: { id: { S: id } } });

function setup(maxBufferBytes = 1e9, batchSize = 10) {
  const queue = new WriteQueue();
  const metrics = new SinkMetrics();
  const warnings: string[] = [];
  const health = new Availability();
  const log = { warn: (t: string) => warnings.push(t) };
  const settlement = new Settlement(metrics, new MemoryStore(), health, { requestTtl: 1000, log });
  const admission = new Admission(queue, metrics, settlement, health, { requestTtl: 1000, maxBufferBytes, batchSize, log });
  const dropped: string[] = [];
  const listener = (id: string): WriteListener => ({
    written: () => assert.fail('not sent'),
    failed: () => assert.fail('not sent'),
    dropped: (reason) => dropped.push(`${id}:${reason}`),
  });
  return { queue, metrics, warnings, health, settlement, admission, dropped, listener };
}

describe('admission', () => {
  it('queues a write with its deadline and cost, counted matched and queuing once', () => {
    const { queue, metrics, admission } = setup();
    admission.admit(put('a'), 1, 100, undefined, 50, 10);
    const w = queue.first()!;
    assert.deepEqual([w.seq, w.enqueuedAt, w.deadline, w.units, w.attempts], [1, 100, 1100, 1, 0]);
    assert.ok(w.bytes > 50 + 10, 'retained bytes and bookkeeping count against maxBufferBytes');
    admission.admit(put('b'), 2, 100, undefined, 0, 10, { ...w, seq: 2, attempts: 3 }, true);
    assert.deepEqual([queue.length, metrics.matched, metrics.queuing], [2, 1, 1], 'a write taken over counted is not counted again');
    assert.equal(queue.first()!.next!.attempts, 3);
  });

  it('drops the oldest past maxBufferBytes and logs the burst once, at close', () => {
    const { queue, metrics, admission, warnings, dropped, listener } = setup(2000);
    for (let i = 0; i < 20; i++) admission.admit(put(`k${i}`), i + 1, 0, listener(`k${i}`), 0, 10);
    assert.ok(queue.bytes <= 2000);
    const n = metrics.dropsFor('queue_full');
    assert.ok(n > 0 && n === 20 - queue.length);
    assert.deepEqual(dropped.slice(0, 2), ['k0:queue_full', 'k1:queue_full'], 'oldest first');
    assert.equal(warnings.length, 0, 'not logged per message');
    admission.endDropBurst();
    admission.endDropBurst();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`dropped the ${n} oldest`));
    assert.ok(countersAddUp(metrics.snapshot()));
  });

  it('a write larger than the whole buffer is dropped itself', () => {
    const { queue, admission, dropped, listener } = setup(100);
    admission.admit(put('huge'), 1, 0, listener('huge'), 0, 5000);
    assert.deepEqual([queue.length, dropped], [0, ['huge:queue_full']]);
    admission.endDropBurst();
  });

  it('expires what waited past requestTtl, oldest first, and no more', () => {
    const { queue, metrics, admission, dropped, listener } = setup();
    admission.admit(put('a'), 1, 0, listener('a'), 0, 10);
    admission.admit(put('b'), 2, 500, listener('b'), 0, 10);
    admission.expire(999);
    assert.equal(queue.length, 2);
    admission.expire(1000);
    assert.deepEqual([queue.length, dropped, metrics.dropsFor('expired')], [1, ['a:expired'], 1]);
  });

  it('backlogged once the queue holds the given calls of min(batchSize, 25) writes', () => {
    const { admission } = setup(1e9, 4);
    for (let i = 0; i < 7; i++) admission.admit(put(`k${i}`), i + 1, 0, undefined, 0, 10);
    assert.equal(admission.backlogged(2), false);
    admission.admit(put('k7'), 8, 0, undefined, 0, 10);
    assert.equal(admission.backlogged(2), true);
  });
});
