// Group state of windowed statements: each GROUP BY key's open windows and buffered events, in
// one table that also counts what is open (for maxGroups) and stamps use (for eviction).
// Windows are kept per group (keyed windows), a deviation from eKuiper, which cuts one window
// over the whole stream and groups inside it: a session or count window belongs to one group,
// so each device's session closes on its own. For tumbling and hopping windows the rows are the same.

/** What a row needs from its group's last event: the columns it reads, analytic values, topic. */
export interface Kept {
  c: Record<string, unknown>;
  a: unknown[] | null;
  topic: string | undefined;
  event: string | undefined;
}

export interface Win {
  start: number;
  end: number;
  /** Session: time of the latest event; others: unused. */
  last: number;
  /** Count windows: time of the first event. */
  first: number;
  n: number;
  accs: unknown[];
  kept: Kept | null;
  group: Group;
  closed: boolean;
  seq: number;
  /** `watermark: "group"`: the deadline the heap holds the window under (timed.ts). */
  due: number;
}

export interface Entry { t: number; vals: unknown[]; kept: Kept }

export interface Group {
  key: string;
  wins: Win[];
  /** Sliding windows and count windows with a hop: the events still needed. */
  entries: Entry[] | null;
  /** Count windows: events since the last trigger. */
  count: number;
  /** When the group was last used (a stream-wide counter), for least-recently-used eviction. */
  used: number;
}

/** The groups of one stream, by key, and what they hold open. */
export class GroupTable {
  readonly map = new Map<string, Group>();
  /** The last use stamp given (see `touch`). */
  stamp = 0;
  /** Windows made so far: orders windows that end together by creation. */
  seq = 0;
  /** Open (window, group) pairs, a group's event buffer counting as one: bounded by maxGroups. */
  openWindows = 0;

  constructor(readonly maxGroups: number) {}

  /**
   * The group of a key, marked as used. The Map's order is the groups' use order, kept loosely:
   * a group moves to the end only once it has fallen behind half of the others (a delete and a
   * set per event would cost more than the rest of the event); eviction picks the least recently
   * used among the oldest by their `used` stamp.
   */
  touch(key: string): Group {
    const groups = this.map;
    const stamp = ++this.stamp;
    let g = groups.get(key);
    if (g !== undefined) {
      if (stamp - g.used > groups.size >> 1) {
        groups.delete(key);
        groups.set(key, g);
      }
      g.used = stamp;
      return g;
    }
    g = { key, wins: [], entries: null, count: 0, used: stamp };
    groups.set(key, g);
    return g;
  }

  /** Forgets a group that holds nothing any more. */
  dropIfEmpty(g: Group): void {
    if (g.wins.length === 0 && g.entries === null) this.map.delete(g.key);
  }

  clear(): void {
    this.map.clear();
    this.openWindows = 0;
  }
}
