// The windows of time-closed kinds (tumbling, hopping, session) ordered by end, so that
// `advance` closes the due ones without looking at the others.

import type { Win } from '../groups';

/** A min-heap of windows by (end, creation); entries go stale when a session grows or a window closes. */
export class WindowHeap {
  private keys: number[] = [];
  private wins: Win[] = [];

  get size(): number { return this.keys.length; }

  push(key: number, w: Win): void {
    const keys = this.keys;
    const wins = this.wins;
    let i = keys.length;
    keys.push(key);
    wins.push(w);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(key, w, keys[p], wins[p])) break;
      keys[i] = keys[p];
      wins[i] = wins[p];
      i = p;
    }
    keys[i] = key;
    wins[i] = w;
  }

  private less(ka: number, wa: Win, kb: number, wb: Win): boolean {
    return ka < kb || (ka === kb && wa.seq < wb.seq);
  }

  /** The earliest open window, its stale entries fixed on the way. */
  peek(): Win | undefined {
    for (;;) {
      if (this.keys.length === 0) return undefined;
      const key = this.keys[0];
      const w = this.wins[0];
      if (w.closed) { this.pop(); continue; }
      if (w.end !== key) { this.pop(); this.push(w.end, w); continue; }
      return w;
    }
  }

  /** The top entry as it is, stale or not (timed.ts checks it itself); see topKey. */
  peekRaw(): Win | undefined {
    return this.wins[0];
  }

  topKey(): number {
    return this.keys[0];
  }

  pop(): void {
    const keys = this.keys;
    const wins = this.wins;
    const lastKey = keys.pop() as number;
    const lastWin = wins.pop() as Win;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(keys[r], wins[r], keys[l], wins[l]) ? r : l;
      if (!this.less(keys[c], wins[c], lastKey, lastWin)) break;
      keys[i] = keys[c];
      wins[i] = wins[c];
      i = c;
    }
    keys[i] = lastKey;
    wins[i] = lastWin;
  }

  clear(): void {
    this.keys = [];
    this.wins = [];
  }
}
