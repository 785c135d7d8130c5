// Event time per GROUP BY group (`watermark: "group"`, DESIGN.md section 7): each group has its
// own latest event time, watermark and last arrival, so a group hours behind the others is not
// closed by their time and its readings are aggregated, not dropped as late. A group that
// receives nothing closes its windows by the clock measured from its own last event: its
// event time is taken to move on with the wall clock from there (see `deadline`).
// The clocks outlive their groups (a group is dropped when its last window closes; its
// watermark must still make a later event of a closed window late), bounded by maxGroups
// beyond the groups that are open.

/** One group's time. */
export interface GroupClock {
  /** The latest event time seen in the group. */
  maxT: number;
  /** The group's windows close when its event time reaches this. */
  watermark: number;
  /** `now` of the group's last event. */
  lastArrival: number;
}

export class GroupClocks {
  readonly map = new Map<string, GroupClock>();

  constructor(readonly lateness: number, private readonly maxGroups: number) {}

  /** An event of group `key` at event time `t`, arriving at `now`: its clock, moved on. */
  enter(key: string, t: number, now: number, open: ReadonlyMap<string, unknown>): GroupClock {
    let gc = this.map.get(key);
    if (gc === undefined) {
      gc = { maxT: -Infinity, watermark: -Infinity, lastArrival: -Infinity };
      if (this.map.size >= 2 * this.maxGroups) this.forget(open);
      this.map.set(key, gc);
    }
    if (t > gc.maxT) {
      gc.maxT = t;
      const wm = t - this.lateness;
      if (wm > gc.watermark) gc.watermark = wm;
    }
    gc.lastArrival = now;
    return gc;
  }

  /**
   * When a window of the group ending at `end` closes (wall-clock ms): at once once the group's
   * watermark passed it; else when the group has been silent for lateness + `span` and its
   * event time, moved on by the wall clock since its last event, is that far past `end`.
   */
  deadline(gc: GroupClock, end: number, span: number): number {
    if (end <= gc.watermark) return gc.lastArrival;
    const idle = this.lateness + span;
    return gc.lastArrival + idle + Math.max(0, end - gc.maxT);
  }

  /** Forgets the clocks of groups that hold nothing, down to maxGroups of them. */
  private forget(open: ReadonlyMap<string, unknown>): void {
    for (const key of this.map.keys()) {
      if (this.map.size < this.maxGroups) return;
      if (!open.has(key)) this.map.delete(key);
    }
  }

  /** [key, maxT, watermark, lastArrival] per group, for a snapshot. */
  save(): unknown[] {
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return [...this.map].map(([k, gc]) => [k, num(gc.maxT), num(gc.watermark), num(gc.lastArrival)]);
  }

  restore(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    const num = (x: unknown): number => (typeof x === 'number' ? x : -Infinity);
    for (const [k, maxT, watermark, lastArrival] of saved as [string, unknown, unknown, unknown][]) {
      this.map.set(k, { maxT: num(maxT), watermark: num(watermark), lastArrival: num(lastArrival) });
    }
  }
}
