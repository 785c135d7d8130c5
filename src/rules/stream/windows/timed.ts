// What the windows that time closes share (tumbling, hopping, session): a heap of open windows by
// end, closed by `advance` when the clock (processing time) or the watermark (event time)
// passes their end. Windows align to multiples of their size (hop) from epoch 0 in UTC, a
// deviation from eKuiper, which aligns them to local time.

import type { Win } from '../groups';
import type { StreamRow } from '../types';
import { WindowHeap } from './heap';
import { WindowOperator } from './operator';

/** `t mod size`, never negative (times before 1970 align too). */
export function mod(t: number, size: number): number {
  return ((t % size) + size) % size;
}

export abstract class TimedWindows extends WindowOperator {
  protected readonly heap = new WindowHeap();

  override track(w: Win): void {
    this.heap.push(w.end, w);
  }

  protected override untrackAll(): void {
    this.heap.clear();
  }

  override advance(now: number, out: StreamRow[]): void {
    const clock = this.clock;
    const threshold = clock.closingTime(now, this.spec.size);
    const byClock = clock.byClock;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.end > threshold) break;
      this.heap.pop();
      // Closed by the clock: later events of this window are late, as if its end had been seen.
      if (byClock && top.end > clock.watermark) clock.watermark = top.end;
      this.close(top, out);
    }
  }

  override nextDeadline(): number | undefined {
    const top = this.heap.peek();
    return top === undefined ? undefined : this.clock.deadlineOf(top.end, this.spec.size);
  }
}
