// Which queued writes go out together in the next call (DESIGN.md 6): one single-item write (an
// update or a conditional write), or up to min(batchSize, 25) puts and deletes with distinct
// keys, of one or more tables, costing no more than the write rate gives a call.
import type { QueuedWrite, WriteQueue } from './queue';
import { needsSingleCall } from './single-write';
import type { WriteRate } from './write-rate';

/** DynamoDB's limit on writes per BatchWriteItem call. */
export const MAX_BATCH_WRITES = 25;
/** How far down the queue one call looks for writes whose key is not busy. */
const SCAN_LIMIT = 2000;

/** Writes per BatchWriteItem call: batchSize, within DynamoDB's limit. */
export function writesPerCall(batchSize: number): number {
  return Math.max(1, Math.min(batchSize, MAX_BATCH_WRITES));
}

export class CallPicker {
  /** After pick(): when the first write held back by a retry backoff may go (Infinity: none). */
  waitUntil = Infinity;
  /** Keys passed over in one scan: one set, cleared per pick, not one per call. */
  private readonly busy = new Set<string>();
  private readonly cap: number;

  constructor(
    private readonly queue: WriteQueue,
    /** Keys in flight, looked up in place, not copied per call. */
    private readonly inflight: ReadonlySet<string>,
    private readonly rate: WriteRate,
    batchSize: number,
    /** Sync mode: writes strictly in order, stopping at the first that cannot go. */
    private readonly sync: boolean,
  ) {
    this.cap = writesPerCall(batchSize);
  }

  /**
   * The writes of the next call, oldest first; empty when none may go now. A write whose key is
   * in flight, or waits for a retry, holds back later writes to that key.
   */
  pick(now: number): QueuedWrite[] {
    const sync = this.sync;
    // A call costs at most what the write-capacity limit gives in a second.
    const unitCap = this.rate.callLimit(now);
    let units = 0;
    const busy = this.busy;
    busy.clear();
    const inflight = this.inflight;
    const call: QueuedWrite[] = [];
    this.waitUntil = Infinity;
    let scanned = 0;
    // The list itself, not its generator: nothing is removed while this scans.
    for (let w = this.queue.first(); w; w = w.next) {
      if (++scanned > SCAN_LIMIT) break;
      const waiting = w.notBefore > now;
      if (waiting) this.waitUntil = Math.min(this.waitUntil, w.notBefore);
      if (waiting || inflight.has(w.keyId) || busy.has(w.keyId)) {
        if (sync) break;
        busy.add(w.keyId);
        continue;
      }
      const alone = w.solo || needsSingleCall(w);
      if (alone) {
        if (call.length === 0) return [w];
        if (sync) break;
        busy.add(w.keyId);
        continue;
      }
      if (units + w.units > unitCap && call.length > 0) break;
      call.push(w);
      units += w.units;
      busy.add(w.keyId);
      if (call.length >= this.cap) break;
    }
    return call;
  }
}
