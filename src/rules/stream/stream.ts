// Stateful statements (DESIGN.md sections 2 and 7): windows, aggregates and analytic functions,
// run by `rule.stream()`. Pure and synchronous: the caller passes the clock (`now`) and calls
// `advance` at `nextDeadline()`; nothing here starts a timer.
//
// Semantics follow eKuiper (docs/en_US/sqls/windows.md, internal/topo/node/window_op.go,
// internal/binder/function/funcs_analytic.go) except where DESIGN.md or the issue says
// otherwise, each marked "Deviation" where the code is (groups.ts, windows/timed.ts,
// windows/session.ts). This file is the pipeline of one event; around it, as eKuiper splits its
// planner from its operators:
// - plan.ts plans a statement, program.ts compiles the plan once per rule;
// - windows/ holds one operator per window kind (windows/registry.ts says which);
// - groups.ts, partitions.ts, keys.ts hold group and partition state; eviction.ts bounds it;
// - event-time.ts keeps time and the watermark; rows.ts builds rows; snapshot.ts saves state.
// Per event: analytic functions run first for every event FROM matched, before WHERE (as
// eKuiper); WHERE filters events before they enter a window (eKuiper's FILTER clause).

import { checkAggregateValue } from './aggregates';
import { Statement } from '../ast';
import { RuleEvaluationError } from '../errors';
import { NO_VALUE } from '../no-value';
import { EventClock } from './event-time';
import { GroupTable } from './groups';
import { keyOf, keyPart } from './keys';
import { SourceMap } from '../lexer';
import { PartitionStates, runAnalytics } from './partitions';
import { planStream, WindowSpec } from './plan';
import { StreamProgram } from './program';
import { CompiledRule, Rule } from '../rule';
import { RowBuilder } from './rows';
import { inClause, Scope } from '../scope';
import { restoreSnapshot, StreamState, takeSnapshot } from './snapshot';
import { snapshotParts } from './snapshot-parts';
import { triggerTopicOf } from '../topic';
import type { Row, RowOrigin, RuleStream, StreamCounters, StreamOptions, StreamRow, StreamStats } from './types';
import type { WindowOperator } from './windows/operator';
import { windowOperator } from './windows/registry';
import { words } from '../../words';

export type { Row, RowOrigin, RuleStream, StreamOptions, StreamStats } from './types';

export class StreamRule implements Rule {
  readonly stateful = true;
  readonly kind: 'select' | 'foreach';
  readonly sources: string[];
  readonly events: string[];
  private readonly program: StreamProgram;
  private readonly from: CompiledRule;

  constructor(readonly id: string, readonly sql: string, statement: Statement, map: SourceMap) {
    const plan = planStream(statement, map);
    this.kind = statement.kind;
    // FROM matching is the ordinary rule's (a plain SELECT * keeps its matcher).
    this.from = new CompiledRule(id, sql, { kind: 'select', fields: [], sources: statement.sources }, { map });
    this.sources = this.from.sources;
    this.events = this.from.events;
    this.program = new StreamProgram(id, sql, plan, { map });
  }

  /** The window as written (`TUMBLINGWINDOW(ss, 60)`), or undefined for analytic-only statements. */
  get window(): WindowSpec | undefined {
    return this.program.plan.window;
  }

  matches(columns: Record<string, unknown>): boolean {
    return this.from.matches(columns);
  }

  evaluate(): never {
    throw new RuleEvaluationError(
      words('rules.stream.stateful', 'this statement is stateful (windows, aggregates or analytic functions): run it with rule.stream(), which keeps the state between events'),
      'stateful_statement',
    );
  }

  evaluateMatched(): never {
    return this.evaluate();
  }

  stream(options: StreamOptions = {}): RuleStream {
    return new WindowStream(this.program, (c) => this.from.matches(c), options);
  }
}

class WindowStream implements RuleStream {
  // The rows' origins, for the node's msg.rule.window and msg.topic; weak, so rows a caller drops
  // are not kept.
  private readonly origins = new WeakMap<Row, RowOrigin>();
  private readonly clock: EventClock;
  private readonly groups: GroupTable;
  private readonly rows: RowBuilder;
  private readonly partitions: PartitionStates[];
  private readonly counters: StreamCounters = { late: 0, evicted: 0, failed: 0, passed: 0 };
  /** The window's operator; undefined for analytic-only statements. */
  private readonly op: WindowOperator | undefined;
  /** Whether event times move the watermark (eventTime set, and a window that time closes). */
  private readonly watermarked: boolean;
  private readonly scratch: unknown[];
  /** See RuleStream.version. */
  version = 0;

  constructor(private readonly p: StreamProgram, private readonly matches: (c: Record<string, unknown>) => boolean, options: StreamOptions) {
    const lateness = Number(options.lateness ?? 0);
    if (!Number.isFinite(lateness) || lateness < 0) throw new RangeError(words('rules.stream.lateness', 'lateness must be a number of ms, 0 or more; got __got__', { got: String(options.lateness) }));
    const maxGroups = Number(options.maxGroups ?? 10000);
    if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new RangeError(words('rules.stream.maxGroups', 'maxGroups must be a positive integer; got __got__', { got: String(options.maxGroups) }));
    const watermark = options.watermark ?? 'rule';
    if (watermark !== 'rule' && watermark !== 'group') throw new RangeError(words('rules.stream.watermark', 'watermark must be "rule" or "group"; got __got__', { got: String(options.watermark) }));
    this.clock = new EventClock(options.eventTime, lateness, watermark, maxGroups);
    this.groups = new GroupTable(maxGroups);
    this.rows = new RowBuilder(p, this.counters);
    this.partitions = p.analytics.map(() => new PartitionStates(maxGroups));
    const window = p.plan.window;
    this.op = window && windowOperator(window, { program: p, groups: this.groups, clock: this.clock, rows: this.rows, counters: this.counters });
    this.watermarked = this.clock.eventTime !== undefined && this.op !== undefined && this.op.watermarked;
    this.scratch = new Array<unknown>(p.aggFns.length);
    if (options.state !== undefined && options.state !== null) restoreSnapshot(this.state(), options.state);
  }

  push(columns: Record<string, unknown>, now: number): Row[] {
    return this.rowsOf(this.pushRows(columns, now));
  }

  advance(now: number): Row[] {
    const out: StreamRow[] = [];
    const op = this.op;
    if (op === undefined) return [];
    const { openWindows, map } = this.groups;
    const before = map.size;
    const watermark = this.clock.watermark;
    op.advance(now, out);
    if (out.length > 0 || this.groups.openWindows !== openWindows || map.size !== before || this.clock.watermark !== watermark) this.version++;
    return this.rowsOf(out);
  }

  nextDeadline(): number | undefined {
    return this.op?.nextDeadline();
  }

  flush(): Row[] {
    this.version++;
    const out: StreamRow[] = [];
    this.op?.flush(out);
    return this.rowsOf(out);
  }

  snapshot(): unknown {
    return takeSnapshot(this.state());
  }

  snapshotParts(perPart: number): Generator<unknown, void, void> {
    return snapshotParts(this.state(), perPart);
  }

  origin(row: Row): RowOrigin | undefined {
    return this.origins.get(row);
  }

  get stats(): StreamStats {
    let partitions = 0;
    let forgotten = 0;
    for (const ps of this.partitions) {
      partitions += ps.states.size;
      forgotten += ps.forgotten;
    }
    return {
      ...this.counters, forgotten, partitions,
      openWindows: this.op === undefined || this.op.countsOpenWindows ? this.groups.openWindows : 0,
      groups: this.groups.map.size,
    };
  }

  get passed(): number {
    return this.counters.passed;
  }

  takeErrors(): RuleEvaluationError[] {
    const e = this.rows.errors;
    this.rows.errors = [];
    return e;
  }

  private state(): StreamState {
    return {
      signature: `${this.p.sql}\n${this.clock.text}`,
      clock: this.clock, groups: this.groups, counters: this.counters, partitions: this.partitions, op: this.op,
    };
  }

  private rowsOf(out: StreamRow[]): Row[] {
    const rows = new Array<Row>(out.length);
    for (let i = 0; i < out.length; i++) {
      const r = out[i];
      this.origins.set(r.row, r.window === undefined ? { topic: r.topic, event: r.event } : { window: r.window, topic: r.topic, event: r.event });
      rows[i] = r.row;
    }
    return rows;
  }

  // ---- per event -------------------------------------------------------------------------

  private pushRows(columns: Record<string, unknown>, now: number): StreamRow[] {
    if (!this.matches(columns)) return [];
    this.version++;
    const clock = this.clock;
    clock.lastNow = now;
    const p = this.p;
    let cols = columns;
    let analyticValues: unknown[] | null = null;
    if (p.analytics.length > 0) {
      cols = Object.assign({}, columns);
      analyticValues = runAnalytics(p, this.partitions, cols);
    }
    if (p.inner !== undefined) {
      const rows = p.inner.evaluateMatched(cols);
      if (rows === null) return [];
      this.counters.passed++;
      const trigger = triggerTopicOf(columns);
      const event = typeof columns.event === 'string' ? columns.event : undefined;
      return rows.map((row) => ({ row, topic: trigger?.topic, event }));
    }
    const s = new Scope(cols, p.id);
    s.inSelect = false;
    if (p.where !== undefined) {
      let pass: boolean;
      try {
        pass = p.where(s);
      } catch (err) {
        throw inClause(err, 'match_conditions_error');
      }
      if (!pass) return [];
    }
    const t = clock.eventTime === undefined ? now : clock.timeOf(s);
    clock.lastArrival = now;
    // Every argument first, so that an event with a bad value changes nothing.
    const vals = this.scratch;
    const fns = p.aggFns;
    s.inSelect = true;
    try {
      for (let i = 0; i < fns.length; i++) {
        const arg = p.aggArgs[i];
        let v = arg === undefined ? (p.countStar[i] ? 1 : this.wholeEvent(cols)) : arg(s);
        // Aggregates skip "no value" (no-value.ts) as they skip a missing value (eKuiper: nil).
        if (v === NO_VALUE) v = undefined;
        if (typeof v !== 'number' && p.checked[i]) checkAggregateValue(fns[i], v);
        vals[i] = v;
      }
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    let key: string;
    const groupBy = p.groupBy;
    try {
      if (groupBy.length === 0) key = '';
      else if (groupBy.length === 1) key = keyPart(groupBy[0](s));
      else key = keyOf(groupBy.map((g) => g(s)));
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    this.rows.begin(cols, columns, analyticValues);
    const out: StreamRow[] = [];
    const op = this.op as WindowOperator;
    const groupClocks = this.watermarked ? clock.groups : undefined;
    if (groupClocks !== undefined) {
      // `watermark: "group"`: the operator sees this group's watermark (group-time.ts).
      if (t > clock.maxT) clock.maxT = t;
      clock.watermark = groupClocks.enter(key, t, now, this.groups.map).watermark;
      op.add(key, t, vals, s, out);
      op.retime(key);
    } else {
      if (this.watermarked && t > clock.maxT) clock.observe(t);
      op.add(key, t, vals, s, out);
    }
    this.counters.passed++;
    return out;
  }

  private wholeEvent(cols: Record<string, unknown>): unknown {
    const scope = new Scope(cols, this.p.id);
    const row: Record<string, unknown> = Object.assign({}, cols);
    row.metadata = scope.metadata();
    return row;
  }
}
