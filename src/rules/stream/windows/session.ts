// SESSIONWINDOW(unit, timeout, maxDuration): a group's window opens with an event and stays open
// while events follow within `timeout`; it ends `timeout` after its latest event, or at most
// `maxDuration` after its first (a deviation from eKuiper, which checks at multiples of
// maxDuration, so a session may last up to twice as long).

import type { Kept, Win } from '../groups';
import type { StreamRow } from '../types';
import { TimedWindows } from './timed';

export class SessionWindows extends TimedWindows {
  add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const timeout = this.spec.size;
    const maxDuration = this.spec.hop;
    const g = this.groups.touch(key);
    let win: Win | undefined;
    for (const w of g.wins) {
      if (t >= w.start && t < w.end) { win = w; break; }
      // An earlier event (event time, out of order) that still fits before the session's start.
      if (t < w.start && w.start - t < timeout && w.last - t < maxDuration) {
        w.start = t;
        win = w;
        break;
      }
    }
    if (win === undefined) {
      if (t + timeout <= this.clock.watermark) {
        this.counters.late++;
        this.groups.dropIfEmpty(g);
        return;
      }
      win = this.newWin(g, t, t + timeout, out);
    }
    if (t > win.last) win.last = t;
    const before = win.end;
    win.end = Math.min(win.last + timeout, win.start + maxDuration);
    // An earlier start can bring the end forward: the heap must see it (a later end is fixed lazily).
    if (win.end < before) this.heap.push(win.end, win);
    this.foldSession(win, t, vals, this.rows.keptFor(null));
  }

  private foldSession(w: Win, t: number, vals: unknown[], kept: Kept): void {
    // The row's non-aggregated columns come from the latest event in time, not in arrival.
    const keepIt = w.kept === null || t >= w.last;
    const before = w.kept;
    this.fold(w, vals, kept);
    if (!keepIt) w.kept = before;
  }
}
