// The operator that runs one window kind (eKuiper: internal/topo/node/window_*_op.go, one file
// per kind): what every kind shares — opening a window (making room under maxGroups), folding an
// event into it, closing it into a row, flushing, and the hooks eviction and snapshots use. A
// kind subclasses this in its own file and is listed in registry.ts.

import { AggregateFunction } from '../aggregates';
import type { EventClock } from '../event-time';
import { Evictor, makeRoom } from '../eviction';
import type { Entry, Group, GroupTable, Kept, Win } from '../groups';
import type { WindowSpec } from '../plan';
import type { StreamProgram } from '../program';
import type { RowBuilder } from '../rows';
import type { Scope } from '../../scope';
import type { StreamCounters, StreamRow } from '../types';

/** The state of one stream that its window operator works on. */
export interface OperatorParts {
  program: StreamProgram;
  groups: GroupTable;
  clock: EventClock;
  rows: RowBuilder;
  counters: StreamCounters;
}

export abstract class WindowOperator implements Evictor {
  /** Whether event times move the watermark (count windows close by count, not by time). */
  readonly watermarked: boolean = true;
  /** Whether `stats.openWindows` counts open windows (sliding: buffers are not windows). */
  readonly countsOpenWindows: boolean = true;
  protected readonly groups: GroupTable;
  protected readonly clock: EventClock;
  protected readonly rows: RowBuilder;
  protected readonly counters: StreamCounters;
  private readonly aggFns: AggregateFunction[];
  private readonly aggExtra: unknown[][];

  constructor(readonly spec: WindowSpec, parts: OperatorParts) {
    this.groups = parts.groups;
    this.clock = parts.clock;
    this.rows = parts.rows;
    this.counters = parts.counters;
    this.aggFns = parts.program.aggFns;
    this.aggExtra = parts.program.aggExtra;
  }

  /**
   * Takes the event being pushed (RowBuilder.begin) into group `key`'s windows: time `t`, the
   * aggregates' arguments `vals` (a scratch array: copy to keep), its scope `s`. Rows due now go to `out`.
   */
  abstract add(key: string, t: number, vals: unknown[], s: Scope, out: StreamRow[]): void;

  /** Closes what the clock or event time closed by `now`. */
  advance(now: number, out: StreamRow[]): void {
    void now;
    void out;
  }

  /** When `advance` next has something to do, or undefined. */
  nextDeadline(): number | undefined {
    return undefined;
  }

  /** `watermark: "group"`: group `key` had an event; its windows may close sooner (timed.ts). */
  retime(key: string): void {
    void key;
  }

  /** A window, new or restored from a snapshot, joins whatever closes it (time windows: the heap). */
  track(w: Win): void {
    void w;
  }

  /** Every open window and buffer, now, in order of end; the stream is empty after it. */
  flush(out: StreamRow[]): void {
    const all: Win[] = [];
    for (const g of this.groups.map.values()) {
      for (const w of g.wins) all.push(w);
      this.emitPending(g, out);
    }
    all.sort((a, b) => a.end - b.end || a.seq - b.seq);
    for (const w of all) this.close(w, out);
    this.groups.clear();
    this.untrackAll();
  }

  /** Forgets every tracked window (flush). */
  protected untrackAll(): void {}

  /** The operator's own state beyond its groups' windows, JSON-serialisable (snapshot.ts); undefined: none. */
  saveState(): unknown {
    return undefined;
  }

  /** Puts back what `saveState` gave, after the groups and windows were restored. */
  restoreState(state: unknown): void {
    void state;
  }

  close(w: Win, out: StreamRow[]): void {
    if (w.closed) return;
    w.closed = true;
    const groups = this.groups;
    groups.openWindows--;
    const g = w.group;
    const i = g.wins.indexOf(w);
    if (i >= 0) g.wins.splice(i, 1);
    groups.dropIfEmpty(g);
    if (w.n === 0 || w.kept === null) return;
    this.rows.rowOf(w.accs, this.startOf(w), w.end, w.kept, out);
  }

  /** window_start() of a closing window. */
  protected startOf(w: Win): number {
    return w.start;
  }

  /** Eviction of a group that holds only buffered events: they go (see emitPending). */
  releaseEntries(g: Group, out: StreamRow[]): void {
    this.emitPending(g, out);
    g.entries = null;
    g.count = 0;
    this.groups.openWindows--;
    this.groups.map.delete(g.key);
  }

  /** Buffered events that make a row when their group is flushed or evicted (count windows). */
  protected emitPending(g: Group, out: StreamRow[]): void {
    void g;
    void out;
  }

  protected newWin(g: Group, start: number, end: number, out: StreamRow[]): Win {
    const groups = this.groups;
    makeRoom(groups, g, this, this.counters, out);
    const w: Win = {
      start, end, last: start, first: start, n: 0, accs: this.aggFns.map((f) => f.init()),
      kept: null, group: g, closed: false, seq: groups.seq++, due: 0,
    };
    g.wins.push(w);
    groups.openWindows++;
    this.track(w);
    return w;
  }

  /** A group's event buffer, opened (it counts as one open window under maxGroups). */
  protected entriesOf(g: Group, out: StreamRow[]): Entry[] {
    if (g.entries === null) {
      makeRoom(this.groups, g, this, this.counters, out);
      g.entries = [];
      this.groups.openWindows++;
    }
    return g.entries;
  }

  protected fold(w: Win, vals: unknown[], kept: Kept): void {
    const fns = this.aggFns;
    const extra = this.aggExtra;
    for (let i = 0; i < fns.length; i++) w.accs[i] = fns[i].add(w.accs[i], vals[i], extra[i]);
    w.n++;
    w.kept = kept;
  }

  /** The row of buffered events, from the first one's time to the last one's. */
  protected emitEntries(entries: Entry[], out: StreamRow[]): void {
    if (entries.length === 0) return;
    this.rows.rowOfEntries(entries, entries[0].t, entries[entries.length - 1].t, entries[entries.length - 1].kept, out);
  }
}
