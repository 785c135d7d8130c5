// What the windows that time closes share (tumbling, hopping, session): a heap of open windows by
// end, closed by `advance` when the clock (processing time) or the watermark (event time)
// passes their end. Windows align to multiples of their size (hop) from epoch 0 in UTC, a
// deviation from eKuiper, which aligns them to local time. With `watermark: "group"` the heap
// holds each window under its wall-clock deadline instead, which its group's time decides
// (group-time.ts): a group's event can bring its windows' deadlines forward (`retime`), and a
// deadline that moved later is found when it reaches the top.

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
    if (this.clock.groups === undefined) {
      this.heap.push(w.end, w);
      return;
    }
    w.due = this.dueOf(w);
    this.heap.push(w.due, w);
  }

  /** `watermark: "group"`: the wall-clock time window `w` closes at. */
  private dueOf(w: Win): number {
    const groups = this.clock.groups;
    const gc = groups?.map.get(w.group.key);
    return gc === undefined || groups === undefined ? this.clock.deadlineOf(w.end, this.spec.size) : groups.deadline(gc, w.end, this.spec.size);
  }

  /** `watermark: "group"`: after an event of group `key`, its windows whose deadline came forward. */
  override retime(key: string): void {
    const g = this.groups.map.get(key);
    if (g === undefined) return;
    for (const w of g.wins) {
      const due = this.dueOf(w);
      if (due < w.due) {
        w.due = due;
        this.heap.push(due, w);
      }
    }
  }

  /** `watermark: "group"`: the open window due first, and when; stale heap entries fixed on the way. */
  private nextDue(): Win | undefined {
    const heap = this.heap;
    for (;;) {
      const w = heap.peekRaw();
      if (w === undefined) return undefined;
      const key = heap.topKey();
      if (w.closed || key !== w.due) {
        heap.pop();
        continue;
      }
      const due = this.dueOf(w);
      if (due > key) {
        heap.pop();
        w.due = due;
        heap.push(due, w);
        continue;
      }
      return w;
    }
  }

  protected override untrackAll(): void {
    this.heap.clear();
  }

  override advance(now: number, out: StreamRow[]): void {
    const clock = this.clock;
    const groups = clock.groups;
    if (groups !== undefined) {
      for (;;) {
        const w = this.nextDue();
        if (w === undefined || w.due > now) break;
        this.heap.pop();
        // Closed by its group's clock: later events of this window are late in that group.
        const gc = groups.map.get(w.group.key);
        if (gc !== undefined && w.end > gc.watermark) gc.watermark = w.end;
        this.close(w, out);
      }
      return;
    }
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
    if (this.clock.groups !== undefined) return this.nextDue()?.due;
    const top = this.heap.peek();
    return top === undefined ? undefined : this.clock.deadlineOf(top.end, this.spec.size);
  }
}
