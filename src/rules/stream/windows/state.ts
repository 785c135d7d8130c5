// STATEWINDOW(begin, emit) [OVER (PARTITION BY expr, ...)] (eKuiper 2.3/2.4, docs/en_US/sqls/
// windows.md "Conditional state window", internal/topo/node/window_v2_op.go StateWindowOp
// handleTupleWithBeginEmitCondition): a state machine per partition (one for the statement
// without OVER). Waiting, an event for which `begin` holds opens the window and is in it; open,
// every event is in it, and the first for which `emit` holds is in it too and closes it. As in
// eKuiper, `emit` is not asked of the event that opened the window (an event for which both
// hold only opens it), an `emit` while waiting is ignored, and a `begin` while open is just an
// event of the window. window_start() and window_end() are the begin and emit events' times.
//
// The window's events are grouped by the other GROUP BY expressions, one (window, group) pair
// each, emitted together. Over maxGroups a pair is evicted (emitted early, counted) as any
// window; its partition stays open, so its later events until `emit` make another row with
// the same window_start().

import { inClause, type Scope } from '../../scope';
import type { Win } from '../groups';
import { keyOf, keyPart } from '../keys';
import type { WindowSpec } from '../plan';
import type { StreamProgram } from '../program';
import type { StreamRow } from '../types';
import { OperatorParts, WindowOperator } from './operator';

/** An open state window of one partition: the begin event's time and its (window, group) pairs. */
interface Run {
  start: number;
  wins: Win[];
}

export class StateWindows extends WindowOperator {
  override readonly watermarked = false;
  /** Open windows by partition key; a partition waiting for `begin` has none. */
  private readonly runs = new Map<string, Run>();
  private readonly state: NonNullable<StreamProgram['state']>;

  constructor(spec: WindowSpec, parts: OperatorParts) {
    super(spec, parts);
    this.state = parts.program.state as NonNullable<StreamProgram['state']>;
  }

  add(key: string, t: number, vals: unknown[], s: Scope, out: StreamRow[]): void {
    const { begin, emit, partition } = this.state;
    let part: string;
    let run: Run | undefined;
    let emits = false;
    // Both conditions and the partition are read before anything changes: an error leaves the state alone.
    try {
      part = partition.length === 0 ? '' : partition.length === 1 ? keyPart(partition[0](s)) : keyOf(partition.map((p) => p(s)));
      run = this.runs.get(part);
      if (run === undefined) {
        if (!begin(s)) return;
      } else {
        emits = emit(s);
      }
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    if (run === undefined) {
      run = { start: t, wins: [] };
      if (this.runs.size >= 2 * this.groups.maxGroups) this.forgetEvicted();
      this.runs.set(part, run);
    }
    const g = this.groups.touch(partition.length === 0 ? key : `${part.length}:${part}${key}`);
    let win = g.wins[0];
    if (win === undefined) {
      win = this.newWin(g, run.start, t, out);
      run.wins.push(win);
    }
    this.fold(win, vals, this.rows.keptFor(win.kept));
    if (t > win.end) win.end = t;
    if (!emits) return;
    this.runs.delete(part);
    for (const w of run.wins) {
      w.end = t;
      this.close(w, out);
    }
  }

  /** Drops the runs whose every window was evicted (they would wait for `emit` forever). */
  private forgetEvicted(): void {
    for (const [part, run] of this.runs) if (run.wins.every((w) => w.closed)) this.runs.delete(part);
  }

  protected override untrackAll(): void {
    this.runs.clear();
  }

  /** [partition key, begin time, group keys of its open windows] per open window. */
  override saveState(): unknown {
    const runs: unknown[] = [];
    for (const [part, run] of this.runs) runs.push([part, run.start, run.wins.filter((w) => !w.closed).map((w) => w.group.key)]);
    return { runs };
  }

  override restoreState(state: unknown): void {
    const runs = (state as { runs?: unknown } | undefined)?.runs;
    if (!Array.isArray(runs)) return;
    for (const [part, start, keys] of runs as [string, number, string[]][]) {
      const wins: Win[] = [];
      for (const k of keys) {
        const w = this.groups.map.get(k)?.wins[0];
        if (w !== undefined) wins.push(w);
      }
      this.runs.set(part, { start, wins });
    }
  }
}
