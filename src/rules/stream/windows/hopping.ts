// HOPPINGWINDOW(unit, size, hop): windows of `size` starting every `hop`, so an event is in
// size / hop of them (hop = size is tumbling, see registry.ts).

import type { Win } from '../groups';
import type { StreamRow } from '../types';
import { mod, TimedWindows } from './timed';

export class HoppingWindows extends TimedWindows {
  add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const { size, hop } = this.spec;
    const watermark = this.clock.watermark;
    const lastStart = t - mod(t, hop);
    // Late: every window the event belongs to has closed (event time only; processing time never is).
    if (lastStart + size <= watermark) {
      this.counters.late++;
      return;
    }
    const g = this.groups.touch(key);
    for (let start = lastStart; start > t - size; start -= hop) {
      const end = start + size;
      if (end <= watermark) break;
      let win: Win | undefined;
      for (let i = 0; i < g.wins.length; i++) if (g.wins[i].start === start) { win = g.wins[i]; break; }
      win ??= this.newWin(g, start, end, out);
      this.fold(win, vals, this.rows.keptFor(null));
    }
  }
}
