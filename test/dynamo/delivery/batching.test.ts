// Which writes go out together (src/dynamo/delivery/batching.ts), on a queue built by hand: at
// most min(batchSize, 25) distinct keys, single-item writes alone, busy keys held back, the
// write rate's per-call limit, and sync mode's strict order.
import { strict as assert } from 'node:assert';
import { CallPicker, MAX_BATCH_WRITES } from '../../../src/dynamo/delivery/batching';
import { WriteQueue, keyIdentity, type QueuedWrite } from '../../../src/dynamo/delivery/queue';
import { WriteRate } from '../../../src/dynamo/delivery/write-rate';

let seq = 0;
function write(id: string, extra: Partial<QueuedWrite> = {}): QueuedWrite {
  const key = { id: { S: id } };
  return {
    seq: ++seq, enqueuedAt: 0, deadline: 1e12, table: 't', operation: 'put', key, item: key,
    keyId: keyIdentity('t', key), bytes: 100, units: 1, attempts: 0, notBefore: 0, solo: false, queued: false,
    ...extra,
  };
}

function setup(ids: (string | QueuedWrite)[], batchSize = 25, sync = false, maxWriteUnits = 0) {
  const queue = new WriteQueue();
  for (const id of ids) {
    const w = typeof id === 'string' ? write(id) : id;
    w.seq = ++seq; // in the order given
    queue.insert(w);
  }
  const inflight = new Set<string>();
  const picker = new CallPicker(queue, inflight, new WriteRate(maxWriteUnits, 0), batchSize, sync);
  const ids_ = (call: QueuedWrite[]) => call.map((w) => w.key.id.S);
  return { queue, inflight, picker, ids: ids_ };
}

describe('call batching', () => {
  it('takes at most min(batchSize, 25) writes, oldest first', () => {
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const { picker } = setup(many, 100);
    assert.equal(picker.pick(0).length, MAX_BATCH_WRITES);
    const { picker: small, ids } = setup(many, 3);
    assert.deepEqual(ids(small.pick(0)), ['k0', 'k1', 'k2']);
  });

  it('never puts two writes to one key in a call, and holds back keys in flight', () => {
    const { picker, inflight, ids } = setup(['a', 'b', 'a', 'c']);
    assert.deepEqual(ids(picker.pick(0)), ['a', 'b', 'c']);
    inflight.add(keyIdentity('t', { id: { S: 'a' } }));
    assert.deepEqual(ids(picker.pick(0)), ['b', 'c'], 'both writes to a wait while a is in flight');
  });

  it('sends an update alone, and a write waiting for its backoff reports when it may go', () => {
    const { picker, ids } = setup([write('u', { operation: 'update' }), 'a', write('w', { notBefore: 500 }), 'b']);
    assert.deepEqual(ids(picker.pick(0)), ['u']);
    assert.equal(picker.waitUntil, Infinity, 'nothing scanned before the update waits');
    const rest = setup(['a', write('w', { notBefore: 500 }), 'b']);
    assert.deepEqual(rest.ids(rest.picker.pick(0)), ['a', 'b']);
    assert.equal(rest.picker.waitUntil, 500);
    assert.deepEqual(rest.ids(rest.picker.pick(500)), ['a', 'w', 'b']);
  });

  it('sync mode stops at the first write that cannot go', () => {
    const { picker, ids } = setup(['a', write('w', { notBefore: 500 }), 'b'], 25, true);
    assert.deepEqual(ids(picker.pick(0)), ['a']);
    const solo = setup(['a', write('u', { operation: 'update' }), 'b'], 25, true);
    assert.deepEqual(solo.ids(solo.picker.pick(0)), ['a']);
  });

  it('a call costs no more than the write rate gives a call, but one write always goes', () => {
    const { picker, ids } = setup([write('a', { units: 4 }), write('b', { units: 4 }), write('c', { units: 4 })], 25, false, 10);
    assert.deepEqual(ids(picker.pick(0)), ['a', 'b']);
    const big = setup([write('a', { units: 40 }), 'b'], 25, false, 10);
    assert.deepEqual(big.ids(big.picker.pick(0)), ['a']);
  });
});
