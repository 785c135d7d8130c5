// TUMBLINGWINDOW(unit, size) (also HOPPINGWINDOW with hop = size): back-to-back windows of `size`,
// each event in exactly one, emitted when time passes its end.

import type { Win } from '../groups';
import type { StreamRow } from '../types';
import { mod, TimedWindows } from './timed';

export class TumblingWindows extends TimedWindows {
  add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const size = this.spec.size;
    const start = t - mod(t, size);
    // Late: the event's window has closed (event time only; processing time never is).
    if (start + size <= this.clock.watermark) {
      this.counters.late++;
      return;
    }
    const g = this.groups.touch(key);
    // One window, nearly always the group's newest; it alone holds its Kept, refilled in place.
    const wins = g.wins;
    let win: Win | undefined = wins.length > 0 && wins[wins.length - 1].start === start ? wins[wins.length - 1] : undefined;
    if (win === undefined) for (let i = 0; i < wins.length; i++) if (wins[i].start === start) { win = wins[i]; break; }
    win ??= this.newWin(g, start, start + size, out);
    this.fold(win, vals, this.rows.keptFor(win.kept));
  }
}
