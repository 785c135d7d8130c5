// SLIDINGWINDOW(unit, size): a window per event, over the `size` before it (the event's time
// inclusive), emitted at once. A group buffers the events a later window can still need; a
// sweep at `nextDeadline` drops the rest and empty groups.

import type { Entry } from '../groups';
import type { StreamRow } from '../types';
import { WindowOperator } from './operator';

export class SlidingWindows extends WindowOperator {
  override readonly countsOpenWindows = false;
  private lastSweep = -Infinity;

  add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const size = this.spec.size;
    const clock = this.clock;
    if (clock.eventTime !== undefined && t < clock.watermark) {
      this.counters.late++;
      return;
    }
    const g = this.groups.touch(key);
    const entries = this.entriesOf(g, out);
    // Keep what a later window can still need: events after (the oldest possible trigger − size).
    const horizon = (clock.eventTime === undefined ? t : Math.min(t, clock.watermark)) - size;
    let drop = 0;
    while (drop < entries.length && entries[drop].t <= horizon) drop++;
    if (drop > 0) entries.splice(0, drop);
    const kept = this.rows.keptFor(null);
    const entry: Entry = { t, vals: vals.slice(), kept };
    // Entries stay in time order (event time may bring them out of order).
    let i = entries.length;
    while (i > 0 && entries[i - 1].t > t) i--;
    entries.splice(i, 0, entry);
    const inWindow = entries.filter((e) => e.t > t - size && e.t <= t);
    this.rows.rowOfEntries(inWindow, t - size, t, kept, out);
  }

  /** Drops buffered events no later window can need, and empty groups. */
  override advance(now: number, out: StreamRow[]): void {
    void out;
    const size = this.spec.size;
    const groups = this.groups;
    this.lastSweep = now;
    const clock = this.clock;
    const ruleHorizon = (clock.eventTime === undefined ? now : clock.watermark) - size;
    for (const g of [...groups.map.values()]) {
      const entries = g.entries;
      if (entries === null) continue;
      // `watermark: "group"`: the group's own watermark (group-time.ts).
      const gc = clock.groups?.map.get(g.key);
      const horizon = gc === undefined ? ruleHorizon : gc.watermark - size;
      let drop = 0;
      while (drop < entries.length && entries[drop].t <= horizon) drop++;
      if (drop > 0) entries.splice(0, drop);
      if (entries.length === 0) {
        g.entries = null;
        groups.openWindows--;
        groups.map.delete(g.key);
      }
    }
  }

  override nextDeadline(): number | undefined {
    return this.groups.map.size > 0 ? Math.max(this.lastSweep, this.clock.lastNow) + this.spec.size : undefined;
  }
}
