// COUNTWINDOW(n[, hop]): windows of events, not time; no clock closes them. Without a hop
// (hop = n) a group's window folds as it goes and is emitted at its n-th event; with a hop the
// group buffers the last n events (see HoppingCountWindows).

import type { Group, Win } from '../groups';
import type { StreamRow } from '../types';
import { WindowOperator } from './operator';

export class CountWindows extends WindowOperator {
  override readonly watermarked = false;

  add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const g = this.groups.touch(key);
    // A tumbling count window folds as it goes: memory per group, not per event.
    let win = g.wins[0];
    if (win === undefined) {
      win = this.newWin(g, t, t, out);
      win.first = t;
    }
    this.fold(win, vals, this.rows.keptFor(win.kept));
    win.end = t;
    if (win.n >= this.spec.size) this.close(win, out);
  }

  /** window_start() is the first event's time, window_end() the last one's. */
  protected override startOf(w: Win): number {
    return w.first;
  }
}

/** eKuiper's COUNTWINDOW(n, hop): every hop events, the last n once there are n. */
export class HoppingCountWindows extends CountWindows {
  override add(key: string, t: number, vals: unknown[], _s: unknown, out: StreamRow[]): void {
    const { size: n, hop } = this.spec;
    const g = this.groups.touch(key);
    const entries = this.entriesOf(g, out);
    entries.push({ t, vals: vals.slice(), kept: this.rows.keptFor(null) });
    if (entries.length > n) entries.shift();
    g.count++;
    if (g.count % hop !== 0) return;
    g.count = 0;
    if (entries.length >= n) this.emitEntries(entries, out);
  }

  /** Only events since the last trigger make a new window (the earlier ones were emitted). */
  protected override emitPending(g: Group, out: StreamRow[]): void {
    if (g.entries !== null && g.count > 0) this.emitEntries(g.entries, out);
  }
}
