// Output rows of windowed statements: what a window keeps of its group's last event (Kept), and
// the row SELECT makes when the window closes, over the aggregates' results and
// window_start()/window_end() as hidden columns, filtered by HAVING (WHERE filters events before
// they enter a window, eKuiper's FILTER clause; HAVING filters rows).

import { RuleEvaluationError } from '../errors';
import { inClause, Scope } from '../scope';
import { triggerTopicOf } from '../topic';
import type { Entry, Kept } from './groups';
import { WINDOW_END, WINDOW_START } from './plan';
import type { StreamProgram } from './program';
import type { StreamCounters, StreamRow } from './types';

const hasOwn = Object.prototype.hasOwnProperty;

/** Writes a hidden column (an aggregate's or analytic function's value) that `*` does not copy. */
export function hide(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: false, writable: true, configurable: true });
}

/** The trigger topic (section 3.1) without building triggerTopicOf's answer object: the common publish case inline. */
function triggerTopic(columns: Record<string, unknown>): string | undefined {
  const event = columns.event;
  if ((event === undefined || event === 'message.publish') && typeof columns.event_topic !== 'string') {
    return typeof columns.topic === 'string' ? columns.topic : undefined;
  }
  return triggerTopicOf(columns)?.topic;
}

/** Builds the Kept of the event being pushed and the rows of closing windows. */
export class RowBuilder {
  /** Rows that failed when their window closed, until taken. */
  errors: RuleEvaluationError[] = [];
  // The event being pushed, for keptFor.
  private curCols: Record<string, unknown> | null = null;
  private curColumns: Record<string, unknown> | null = null;
  private curAnalytic: unknown[] | null = null;
  private curKept: Kept | null = null;

  constructor(private readonly p: StreamProgram, private readonly counters: StreamCounters) {}

  /** The event about to enter windows: `cols` with analytic values, `columns` as given. */
  begin(cols: Record<string, unknown>, columns: Record<string, unknown>, analyticValues: unknown[] | null): void {
    this.curCols = cols;
    this.curColumns = columns;
    this.curAnalytic = analyticValues;
    this.curKept = null;
  }

  /** The current event's Kept: `reuse` refilled in place (a window no one else shares), else one per event. */
  keptFor(reuse: Kept | null): Kept {
    if (reuse !== null) {
      const roots = this.p.rowRoots;
      const cols = this.curCols as Record<string, unknown>;
      const columns = this.curColumns as Record<string, unknown>;
      if (roots === undefined) {
        reuse.c = Object.assign({}, columns);
      } else {
        const c = reuse.c;
        for (let i = 0; i < roots.length; i++) {
          const r = roots[i];
          if (hasOwn.call(cols, r)) c[r] = cols[r];
          else if (hasOwn.call(c, r)) c[r] = undefined;
        }
      }
      reuse.a = this.curAnalytic;
      reuse.topic = triggerTopic(columns);
      reuse.event = typeof columns.event === 'string' ? columns.event : undefined;
      return reuse;
    }
    this.curKept ??= this.keep(this.curCols as Record<string, unknown>, this.curColumns as Record<string, unknown>, this.curAnalytic);
    return this.curKept;
  }

  private keep(cols: Record<string, unknown>, columns: Record<string, unknown>, analyticValues: unknown[] | null): Kept {
    const roots = this.p.rowRoots;
    let c: Record<string, unknown>;
    if (roots === undefined) {
      c = Object.assign({}, columns);
    } else {
      c = {};
      for (let i = 0; i < roots.length; i++) {
        const r = roots[i];
        if (hasOwn.call(cols, r)) c[r] = cols[r];
      }
    }
    return { c, a: analyticValues, topic: triggerTopic(columns), event: typeof columns.event === 'string' ? columns.event : undefined };
  }

  /** The row of buffered events (sliding windows, count windows with a hop), folded now. */
  rowOfEntries(entries: Entry[], start: number, end: number, kept: Kept, out: StreamRow[]): void {
    const fns = this.p.aggFns;
    const extra = this.p.aggExtra;
    const accs = fns.map((f) => f.init());
    for (const e of entries) for (let i = 0; i < fns.length; i++) accs[i] = fns[i].add(accs[i], e.vals[i], extra[i]);
    this.rowOf(accs, start, end, kept, out);
  }

  /** SELECT and HAVING over a closing window; a row that fails is counted and kept in `errors`. */
  rowOf(accs: unknown[], start: number, end: number, kept: Kept, out: StreamRow[]): void {
    const p = this.p;
    const cols: Record<string, unknown> = Object.assign({}, kept.c);
    if (kept.a !== null) for (let i = 0; i < p.analytics.length; i++) hide(cols, p.analytics[i].slot.name, kept.a[i]);
    const aggs = p.plan.aggregates;
    try {
      for (let i = 0; i < aggs.length; i++) hide(cols, aggs[i].name, aggs[i].fn.result(accs[i], aggs[i].extra));
      hide(cols, WINDOW_START, start);
      hide(cols, WINDOW_END, end);
      const s = new Scope(cols, p.id);
      const row: Record<string, unknown> = {};
      s.out = row;
      try {
        for (let i = 0; i < p.fields.length; i++) p.fields[i](s, row);
      } catch (err) {
        throw inClause(err, 'select_and_transform_error');
      }
      s.out = null;
      if (p.having !== undefined) {
        s.over = row;
        s.inSelect = false;
        let pass: boolean;
        try {
          pass = p.having(s);
        } catch (err) {
          throw inClause(err, 'match_conditions_error');
        }
        if (!pass) return;
      }
      out.push({ row, window: { start, end }, topic: kept.topic, event: kept.event });
    } catch (err) {
      this.counters.failed++;
      this.errors.push(err instanceof RuleEvaluationError ? err : inClause(err, 'select_and_transform_error'));
    }
  }
}
