// Which queued writes go out together in the next call (DESIGN.md 6): one single-item write (an
// update or a conditional write), or up to min(batchSize, 25) puts and deletes with distinct
// keys, of one or more tables, costing no more than the write rate gives a call.
import { HotKeys } from './hot-keys';
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
    /** Hot partition keys: their writes go alone, at their own pace. */
    private readonly hot: HotKeys = new HotKeys(),
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
    // Nothing throttled for its key range: no lookup per write.
    const hot = this.hot.size > 0 ? this.hot : undefined;
    hot?.sweep(now);
    let probe: number | undefined;
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
      let alone = w.solo || needsSingleCall(w);
      if (hot !== undefined && hot.size > 0) {
        const at = hot.hold(w);
        if (at > now) {
          // A hot key waits for its own pace; the other keys go on (DESIGN.md 6).
          this.waitUntil = Math.min(this.waitUntil, at);
          if (sync) break;
          busy.add(w.keyId);
          continue;
        }
        // In a call of its own: its throttle holds back no other key's writes.
        if (at >= 0) alone = true;
      }
      // Writes looking for a hot key (retrier.ts) go only with the writes of their probe.
      if (!alone && w.probe !== probe) {
        if (call.length > 0) {
          if (sync) break;
          busy.add(w.keyId);
          continue;
        }
        probe = w.probe;
      }
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
