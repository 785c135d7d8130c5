// Stateful statements (DESIGN.md sections 2 and 7): windows, aggregates and analytic functions,
// run by `rule.stream()`. Pure and synchronous: the caller passes the clock (`now`) and calls
// `advance` at `nextDeadline()`; nothing here starts a timer.
//
// Semantics follow eKuiper (docs/en_US/sqls/windows.md, internal/topo/node/window_op.go,
// internal/binder/function/funcs_analytic.go) except where DESIGN.md or the issue says
// otherwise, each marked "Deviation" below:
// - Windows are kept per group (keyed windows): a session or count window belongs to one
//   group, so each device's session closes on its own. eKuiper cuts one window over the whole
//   stream and groups inside it; for tumbling and hopping windows the rows are the same.
// - WHERE filters events before they enter a window (eKuiper's FILTER clause); HAVING filters rows.
// - Windows align to multiples of their size (hop) from epoch 0 in UTC (eKuiper: local time).
// - A session window ends at most maxDuration after its first event (eKuiper checks at
//   multiples of maxDuration, so a session may last up to twice as long).
// - Analytic functions run first for every event FROM matched, before WHERE (as eKuiper).

import { AggregateFunction, checkAggregateValue } from './aggregates';
import { PartitionStates } from './analytic';
import { Statement } from '../ast';
import { CompileEnv, compileCondition, compileExpr, Condition, Evaluator } from '../compile-expr';
import { RuleEvaluationError } from '../errors';
import { SourceMap } from '../lexer';
import { parseExpression } from '../parser';
import { compileFields, CompiledRule, FieldRun, Rule } from '../rule';
import { inClause, Scope } from '../scope';
import { AnalyticSlot, planStream, StreamPlan, WINDOW_END, WINDOW_START, WindowSpec } from './plan';
import { triggerTopicOf } from '../topic';
import { typeName } from '../values';

export interface StreamOptions {
  /** An expression giving each event's time in epoch ms (`payload.ts`, `timestamp`); empty: processing time. */
  eventTime?: string;
  /** ms an event-time window stays open after its end for late events (default 0). */
  lateness?: number;
  /** Most open (window, group) pairs, and partitions per analytic function (default 10000). */
  maxGroups?: number;
  /** A `snapshot()` to resume from. Throws if it was taken from another statement or eventTime. */
  state?: unknown;
}

/** One output row: the map SELECT made (DESIGN.md section 2: push/advance/flush give `Row[]`). */
export type Row = Record<string, unknown>;

/** Where a row came from (`stream.origin(row)`): the window it closes, the trigger topic and event. */
export interface RowOrigin {
  /** Epoch ms, start inclusive, end exclusive (sliding: end is the triggering event's time, inclusive). */
  window?: { start: number; end: number };
  /** The trigger topic and event of the (last) event the row came from. */
  topic: string | undefined;
  event: string | undefined;
}

/** A row with its origin, as the stream builds them internally. */
interface StreamRow extends RowOrigin {
  row: Row;
}

/** Counters of a stream (EMQX-style names): what was dropped or cut short, and what is open. */
export interface StreamStats {
  /** Events dropped because every window they belong to had closed (event time). */
  late: number;
  /** Windows emitted early, or sliding buffers dropped, because maxGroups was reached. */
  evicted: number;
  /** Partition states forgotten because maxGroups was reached. */
  forgotten: number;
  /** Rows that failed in SELECT or HAVING when their window closed (see `errors`). */
  failed: number;
  /**
   * Events that passed WHERE and were taken into the stream (EMQX: passed); late ones are
   * counted here and in `late`. An event WHERE rejects, or that fails, is not.
   */
  passed: number;
  openWindows: number;
  groups: number;
  partitions: number;
}

export interface RuleStream {
  /** Rows due now (count and sliding windows, analytic-only statements). Throws RuleEvaluationError for a bad event. */
  push(columns: Record<string, unknown>, now: number): Row[];
  /** Rows of the windows that the clock or event time closed. */
  advance(now: number): Row[];
  /** When `advance` next has something to do (epoch ms; at or before `now`: at once), or undefined. */
  nextDeadline(): number | undefined;
  /** JSON-serialisable state, to resume with `options.state`. */
  snapshot(): unknown;
  /** Every open window, now (count windows however full); the stream is empty after it. */
  flush(): Row[];
  /** The window, trigger topic and event of a row this stream gave (undefined for any other object). */
  origin(row: Row): RowOrigin | undefined;
  readonly stats: StreamStats;
  /** `stats.passed` alone, without building the stats (read once per event by the node). */
  readonly passed: number;
  /** Errors of rows that failed when their window closed (the other rows still came out); taken and cleared. */
  takeErrors(): RuleEvaluationError[];
}

/** What a row needs from its group's last event: the columns it reads, analytic values, topic. */
interface Kept {
  c: Record<string, unknown>;
  a: unknown[] | null;
  topic: string | undefined;
  event: string | undefined;
}

interface Win {
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
}

interface Entry { t: number; vals: unknown[]; kept: Kept }

interface Group {
  key: string;
  wins: Win[];
  /** Sliding windows and count windows with a hop: the events still needed. */
  entries: Entry[] | null;
  /** Count windows: events since the last trigger. */
  count: number;
  /** When the group was last used (a stream-wide counter), for least-recently-used eviction. */
  used: number;
}

// 2: group keys are the text itself for a single text value.
const SNAPSHOT_VERSION = 2;
const hasOwn = Object.prototype.hasOwnProperty;

function hide(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: false, writable: true, configurable: true });
}

/** A group or partition key: the values, typed, so that 1 and "1" stay apart. */
function keyOf(values: unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return JSON.stringify(values.map(keyPart));
}

function keyPart(v: unknown): string {
  switch (typeof v) {
    // Text is its own key (no new string to hash per event); every other type starts with \u0001.
    case 'string': return v.charCodeAt(0) === 1 ? `\u0001s${v}` : v;
    case 'number': case 'bigint': return `\u0001n${String(v)}`;
    case 'boolean': return v ? '\u0001t' : '\u0001f';
    case 'undefined': return '\u0001u';
    default:
      if (v === null) return '\u0001z';
      if (v instanceof Uint8Array) return `\u0001b${Buffer.from(v).toString('latin1')}`;
      return `\u0001j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x))}`;
  }
}

/** Snapshot values: JSON plus markers for what JSON cannot hold (bigint, bytes, undefined). */
function encode(v: unknown): unknown {
  if (v === undefined) return { '$rule-sql:undefined': 1 };
  if (typeof v === 'bigint') return { '$rule-sql:bigint': v.toString() };
  if (v instanceof Uint8Array) return { '$rule-sql:bytes': Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = encode((v as Record<string, unknown>)[k]);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return { '$rule-sql:number': String(v) };
  return v;
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (hasOwn.call(o, '$rule-sql:undefined')) return undefined;
    if (typeof o['$rule-sql:bigint'] === 'string') return BigInt(o['$rule-sql:bigint']);
    if (typeof o['$rule-sql:bytes'] === 'string') return Buffer.from(o['$rule-sql:bytes'], 'base64');
    if (typeof o['$rule-sql:number'] === 'string') return Number(o['$rule-sql:number']);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
      const d = decode(o[k]);
      if (k === '__proto__') Object.defineProperty(out, k, { value: d, enumerable: true, writable: true, configurable: true });
      else out[k] = d;
    }
    return out;
  }
  return v;
}

/** A min-heap of windows by (end, creation); entries go stale when a session grows or a window closes. */
class WindowHeap {
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

/** The trigger topic (section 3.1) without building triggerTopicOf's answer object: the common publish case inline. */
function triggerTopic(columns: Record<string, unknown>): string | undefined {
  const event = columns.event;
  if ((event === undefined || event === 'message.publish') && typeof columns.event_topic !== 'string') {
    return typeof columns.topic === 'string' ? columns.topic : undefined;
  }
  return triggerTopicOf(columns)?.topic;
}

function mod(t: number, size: number): number {
  return ((t % size) + size) % size;
}

/** The compiled parts shared by every stream of one rule. */
class StreamProgram {
  readonly where: Condition | undefined;
  readonly groupBy: Evaluator[];
  readonly aggArgs: (Evaluator | undefined)[];
  readonly aggFns: AggregateFunction[];
  readonly aggExtra: unknown[][];
  /** count(*): every event counts 1. */
  readonly countStar: boolean[];
  /** Aggregates whose values are checked before any state changes (numbers, comparable values). */
  readonly checked: boolean[];
  /** The columns a row reads outside aggregates (undefined: all). */
  readonly rowRoots: string[] | undefined;
  readonly analytics: { slot: AnalyticSlot; args: Evaluator[]; partition: Evaluator[]; when: Condition | undefined }[];
  readonly fields: FieldRun[];
  readonly having: Condition | undefined;
  /** Analytic-only statements: the rewritten statement, run as an ordinary rule per event. */
  readonly inner: CompiledRule | undefined;

  constructor(readonly id: string, readonly sql: string, readonly plan: StreamPlan, readonly env: CompileEnv) {
    const st = plan.statement;
    this.analytics = plan.analytics.map((slot) => ({
      slot,
      args: slot.args.map((a) => compileExpr(a, env)),
      partition: slot.partitionBy.map((p) => compileExpr(p, env)),
      when: slot.when && compileCondition(slot.when, env),
    }));
    this.aggFns = plan.aggregates.map((a) => a.fn);
    this.aggArgs = plan.aggregates.map((a) => a.arg && compileExpr(a.arg, env));
    this.aggExtra = plan.aggregates.map((a) => a.extra);
    this.countStar = plan.aggregates.map((a) => a.arg === undefined && a.fn.name === 'count');
    this.checked = plan.aggregates.map((a) => !['count', 'collect', 'first_value', 'last_value', 'deduplicate'].includes(a.fn.name));
    this.rowRoots = plan.rowRoots && [...plan.rowRoots];
    this.groupBy = plan.groupBy.map((g) => compileExpr(g, env));
    if (plan.window === undefined) {
      this.where = undefined;
      this.fields = [];
      this.having = undefined;
      this.inner = new CompiledRule(id, sql, st, env);
      return;
    }
    this.inner = undefined;
    this.where = st.where && compileCondition(st.where, env);
    this.fields = compileFields(st.fields, env, false);
    this.having = plan.having && compileCondition(plan.having, env);
  }
}

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
      'this statement is stateful (windows, aggregates or analytic functions): run it with rule.stream(), which keeps the state between events',
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

  push(columns: Record<string, unknown>, now: number): Row[] {
    return this.rowsOf(this.pushRows(columns, now));
  }

  advance(now: number): Row[] {
    return this.rowsOf(this.advanceRows(now));
  }

  flush(): Row[] {
    return this.rowsOf(this.flushRows());
  }

  origin(row: Row): RowOrigin | undefined {
    return this.origins.get(row);
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

  private readonly window: WindowSpec | undefined;
  private readonly lateness: number;
  private readonly maxGroups: number;
  private readonly eventTime: Evaluator | undefined;
  private readonly eventTimeText: string;
  private groups = new Map<string, Group>();
  private readonly heap = new WindowHeap();
  private readonly partitions: PartitionStates[];
  private watermark = -Infinity;
  private maxT = -Infinity;
  private lastArrival = -Infinity;
  private lastNow = -Infinity;
  private lastSweep = -Infinity;
  private seq = 0;
  private stamp = 0;
  // The event being pushed, for keptFor.
  private curCols: Record<string, unknown> | null = null;
  private curColumns: Record<string, unknown> | null = null;
  private curAnalytic: unknown[] | null = null;
  private curKept: Kept | null = null;
  private openWindows = 0;
  private counters = { late: 0, evicted: 0, failed: 0, passed: 0 };
  private errors: RuleEvaluationError[] = [];
  private readonly scratch: unknown[];

  constructor(private readonly p: StreamProgram, private readonly matches: (c: Record<string, unknown>) => boolean, options: StreamOptions) {
    this.window = p.plan.window;
    const lateness = Number(options.lateness ?? 0);
    if (!Number.isFinite(lateness) || lateness < 0) throw new RangeError(`lateness must be a number of ms, 0 or more; got ${String(options.lateness)}`);
    const maxGroups = Number(options.maxGroups ?? 10000);
    if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new RangeError(`maxGroups must be a positive integer; got ${String(options.maxGroups)}`);
    this.lateness = lateness;
    this.maxGroups = maxGroups;
    this.eventTimeText = (options.eventTime ?? '').trim();
    if (this.eventTimeText !== '') {
      const { expr, map } = parseExpression(this.eventTimeText);
      this.eventTime = compileExpr(expr, { map });
    }
    this.partitions = p.analytics.map(() => new PartitionStates(maxGroups));
    this.scratch = new Array<unknown>(p.aggFns.length);
    if (options.state !== undefined && options.state !== null) this.restore(options.state);
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
      openWindows: this.kind() === 'sliding' ? 0 : this.openWindows,
      groups: this.groups.size,
    };
  }

  get passed(): number {
    return this.counters.passed;
  }

  takeErrors(): RuleEvaluationError[] {
    const e = this.errors;
    this.errors = [];
    return e;
  }

  private kind(): string {
    return this.window?.kind ?? 'none';
  }

  private signature(): string {
    return `${this.p.sql}\n${this.eventTimeText}`;
  }

  // ---- per event -------------------------------------------------------------------------

  private pushRows(columns: Record<string, unknown>, now: number): StreamRow[] {
    if (!this.matches(columns)) return [];
    this.lastNow = now;
    const p = this.p;
    let cols = columns;
    let analyticValues: unknown[] | null = null;
    if (p.analytics.length > 0) {
      cols = Object.assign({}, columns);
      analyticValues = this.runAnalytics(cols);
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
    const t = this.eventTime === undefined ? now : this.timeOf(s);
    this.lastArrival = now;
    // Every argument first, so that an event with a bad value changes nothing.
    const vals = this.scratch;
    const fns = p.aggFns;
    s.inSelect = true;
    try {
      for (let i = 0; i < fns.length; i++) {
        const arg = p.aggArgs[i];
        const v = arg === undefined ? (p.countStar[i] ? 1 : this.wholeEvent(cols)) : arg(s);
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
    this.curCols = cols;
    this.curColumns = columns;
    this.curAnalytic = analyticValues;
    this.curKept = null;
    const kept = null;
    const out: StreamRow[] = [];
    const w = this.window as WindowSpec;
    if (this.eventTime !== undefined && w.kind !== 'count' && t > this.maxT) {
      this.maxT = t;
      const wm = t - this.lateness;
      if (wm > this.watermark) this.watermark = wm;
    }
    switch (w.kind) {
      case 'tumbling': case 'hopping': this.addTimed(key, t, vals, kept, out); break;
      case 'session': this.addSession(key, t, vals, kept, out); break;
      case 'sliding': this.addSliding(key, t, vals, kept, out); break;
      default: this.addCount(key, t, vals, kept, out); break;
    }
    this.counters.passed++;
    return out;
  }

  private timeOf(s: Scope): number {
    let v: unknown;
    try {
      v = (this.eventTime as Evaluator)(s);
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    let t: number = NaN;
    if (typeof v === 'number') t = v;
    else if (typeof v === 'bigint') t = Number(v);
    else if (typeof v === 'string' && v.trim() !== '') t = /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) {
      throw new RuleEvaluationError(
        `eventTime ${this.eventTimeText} gave ${typeName(v)}${typeof v === 'string' ? ` "${v.slice(0, 40)}"` : ''}; it must be epoch milliseconds or an RFC 3339 date`,
        'bad_event_time', 'select_and_transform_error',
      );
    }
    return Math.floor(t);
  }

  private wholeEvent(cols: Record<string, unknown>): unknown {
    const scope = new Scope(cols, this.p.id);
    const row: Record<string, unknown> = Object.assign({}, cols);
    row.metadata = scope.metadata();
    return row;
  }

  private runAnalytics(cols: Record<string, unknown>): unknown[] {
    const p = this.p;
    const values = new Array<unknown>(p.analytics.length);
    const s = new Scope(cols, p.id);
    for (let i = 0; i < p.analytics.length; i++) {
      const a = p.analytics[i];
      let value: unknown;
      try {
        const args = a.args.map((e) => e(s));
        const valid = a.when === undefined ? true : a.when(s);
        const key = a.partition.length === 0 ? '' : a.partition.length === 1 ? keyPart(a.partition[0](s)) : keyOf(a.partition.map((e) => e(s)));
        const states = this.partitions[i];
        const step = a.slot.fn.step(args, valid, states.get(key));
        states.set(key, step.state);
        value = step.value;
      } catch (err) {
        throw inClause(err, 'select_and_transform_error');
      }
      hide(cols, a.slot.name, value);
      values[i] = value;
    }
    return values;
  }

  /** The current event's Kept: `reuse` refilled in place (a window no one else shares), else one per event. */
  private keptFor(reuse: Kept | null): Kept {
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

  /**
   * The group of a key, marked as used. The Map's order is the groups' use order, kept loosely:
   * a group moves to the end only once it has fallen behind half of the others (a delete and a
   * set per event would cost more than the rest of the event); makeRoom picks the least recently
   * used among the oldest by their `used` stamp.
   */
  private touch(key: string, out: StreamRow[]): Group {
    void out;
    const groups = this.groups;
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

  /** Over maxGroups: the least recently used group's oldest window comes out now. */
  private makeRoom(out: StreamRow[], except: Group): void {
    while (this.openWindows >= this.maxGroups) {
      // The least recently used of the oldest few groups that hold something (see touch).
      let victim: Group | undefined;
      let seen = 0;
      for (const g of this.groups.values()) {
        if (g === except || (g.wins.length === 0 && g.entries === null)) continue;
        if (victim === undefined || g.used < victim.used) victim = g;
        if (++seen >= 16) break;
      }
      if (victim === undefined) return;
      this.counters.evicted++;
      if (victim.wins.length > 0) {
        let oldest = victim.wins[0];
        for (const w of victim.wins) if (w.end < oldest.end) oldest = w;
        this.close(oldest, out);
      } else {
        // Only events since the last trigger make a new window (the earlier ones were emitted).
        if (this.window?.kind === 'count' && victim.entries !== null && victim.count > 0) this.emitEntries(victim, victim.entries, out);
        victim.entries = null;
        victim.count = 0;
        this.openWindows--;
        this.groups.delete(victim.key);
      }
    }
  }

  private newWin(g: Group, start: number, end: number, out: StreamRow[]): Win {
    this.makeRoom(out, g);
    const w: Win = {
      start, end, last: start, first: start, n: 0, accs: this.p.aggFns.map((f) => f.init()),
      kept: null, group: g, closed: false, seq: this.seq++,
    };
    g.wins.push(w);
    this.openWindows++;
    if (this.window?.kind !== 'count') this.heap.push(end, w);
    return w;
  }

  private fold(w: Win, vals: unknown[], kept: Kept): void {
    const fns = this.p.aggFns;
    const extra = this.p.aggExtra;
    for (let i = 0; i < fns.length; i++) w.accs[i] = fns[i].add(w.accs[i], vals[i], extra[i]);
    w.n++;
    w.kept = kept;
  }

  private addTimed(key: string, t: number, vals: unknown[], _kept: null, out: StreamRow[]): void {
    const w = this.window as WindowSpec;
    const size = w.size;
    const hop = w.hop;
    const lastStart = t - mod(t, hop);
    // Late: every window the event belongs to has closed (event time only; processing time never is).
    if (lastStart + size <= this.watermark) {
      this.counters.late++;
      return;
    }
    const g = this.touch(key, out);
    if (hop === size) {
      // Tumbling: one window, nearly always the group's newest; it alone holds its Kept, refilled in place.
      const wins = g.wins;
      let win = wins.length > 0 && wins[wins.length - 1].start === lastStart ? wins[wins.length - 1] : undefined;
      if (win === undefined) for (let i = 0; i < wins.length; i++) if (wins[i].start === lastStart) { win = wins[i]; break; }
      win ??= this.newWin(g, lastStart, lastStart + size, out);
      this.fold(win, vals, this.keptFor(win.kept));
      return;
    }
    for (let start = lastStart; start > t - size; start -= hop) {
      const end = start + size;
      if (end <= this.watermark) break;
      let win: Win | undefined;
      for (let i = 0; i < g.wins.length; i++) if (g.wins[i].start === start) { win = g.wins[i]; break; }
      win ??= this.newWin(g, start, end, out);
      this.fold(win, vals, this.keptFor(null));
    }
  }

  private addSession(key: string, t: number, vals: unknown[], _kept: null, out: StreamRow[]): void {
    const timeout = (this.window as WindowSpec).size;
    const maxDuration = (this.window as WindowSpec).hop;
    const g = this.touch(key, out);
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
      if (t + timeout <= this.watermark) {
        this.counters.late++;
        if (g.wins.length === 0 && g.entries === null) this.groups.delete(key);
        return;
      }
      win = this.newWin(g, t, t + timeout, out);
    }
    if (t > win.last) win.last = t;
    const before = win.end;
    win.end = Math.min(win.last + timeout, win.start + maxDuration);
    // An earlier start can bring the end forward: the heap must see it (a later end is fixed lazily).
    if (win.end < before) this.heap.push(win.end, win);
    this.foldSession(win, t, vals, this.keptFor(null));
  }

  private foldSession(w: Win, t: number, vals: unknown[], kept: Kept): void {
    // The row's non-aggregated columns come from the latest event in time, not in arrival.
    const keepIt = w.kept === null || t >= w.last;
    const before = w.kept;
    this.fold(w, vals, kept);
    if (!keepIt) w.kept = before;
  }

  private addSliding(key: string, t: number, vals: unknown[], _kept: null, out: StreamRow[]): void {
    const size = (this.window as WindowSpec).size;
    if (this.eventTime !== undefined && t < this.watermark) {
      this.counters.late++;
      return;
    }
    const g = this.touch(key, out);
    if (g.entries === null) {
      this.makeRoom(out, g);
      g.entries = [];
      this.openWindows++;
    }
    const entries = g.entries;
    // Keep what a later window can still need: events after (the oldest possible trigger − size).
    const horizon = (this.eventTime === undefined ? t : Math.min(t, this.watermark)) - size;
    let drop = 0;
    while (drop < entries.length && entries[drop].t <= horizon) drop++;
    if (drop > 0) entries.splice(0, drop);
    const kept = this.keptFor(null);
    const entry: Entry = { t, vals: vals.slice(), kept };
    // Entries stay in time order (event time may bring them out of order).
    let i = entries.length;
    while (i > 0 && entries[i - 1].t > t) i--;
    entries.splice(i, 0, entry);
    const inWindow = entries.filter((e) => e.t > t - size && e.t <= t);
    this.emitRow(inWindow, t - size, t, kept, out);
  }

  private addCount(key: string, t: number, vals: unknown[], _kept: null, out: StreamRow[]): void {
    const { size: n, hop } = this.window as WindowSpec;
    const g = this.touch(key, out);
    if (hop === n) {
      // A tumbling count window folds as it goes: memory per group, not per event.
      let win = g.wins[0];
      if (win === undefined) {
        win = this.newWin(g, t, t, out);
        win.first = t;
      }
      this.fold(win, vals, this.keptFor(win.kept));
      win.end = t;
      if (win.n >= n) this.close(win, out);
      return;
    }
    if (g.entries === null) {
      this.makeRoom(out, g);
      g.entries = [];
      this.openWindows++;
    }
    g.entries.push({ t, vals: vals.slice(), kept: this.keptFor(null) });
    if (g.entries.length > n) g.entries.shift();
    g.count++;
    // eKuiper's COUNTWINDOW(n, hop): every hop events, the last n once there are n.
    if (g.count % hop !== 0) return;
    g.count = 0;
    if (g.entries.length >= n) this.emitEntries(g, g.entries, out);
  }

  private emitEntries(g: Group, entries: Entry[], out: StreamRow[]): void {
    void g;
    if (entries.length === 0) return;
    this.emitRow(entries, entries[0].t, entries[entries.length - 1].t, entries[entries.length - 1].kept, out);
  }

  private emitRow(entries: Entry[], start: number, end: number, kept: Kept, out: StreamRow[]): void {
    const fns = this.p.aggFns;
    const extra = this.p.aggExtra;
    const accs = fns.map((f) => f.init());
    for (const e of entries) for (let i = 0; i < fns.length; i++) accs[i] = fns[i].add(accs[i], e.vals[i], extra[i]);
    this.rowOf(accs, start, end, kept, out);
  }

  // ---- closing ---------------------------------------------------------------------------

  private close(w: Win, out: StreamRow[]): void {
    if (w.closed) return;
    w.closed = true;
    this.openWindows--;
    const g = w.group;
    const i = g.wins.indexOf(w);
    if (i >= 0) g.wins.splice(i, 1);
    if (g.wins.length === 0 && g.entries === null) this.groups.delete(g.key);
    if (w.n === 0 || w.kept === null) return;
    const start = this.window?.kind === 'count' ? w.first : w.start;
    this.rowOf(w.accs, start, w.end, w.kept, out);
  }

  private rowOf(accs: unknown[], start: number, end: number, kept: Kept, out: StreamRow[]): void {
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

  private span(): number {
    return (this.window as WindowSpec).size;
  }

  private advanceRows(now: number): StreamRow[] {
    const out: StreamRow[] = [];
    const w = this.window;
    if (w === undefined || w.kind === 'count') return out;
    if (w.kind === 'sliding') {
      this.sweep(now);
      return out;
    }
    let threshold: number;
    let byClock = false;
    if (this.eventTime === undefined) {
      threshold = now;
    } else {
      threshold = this.watermark;
      // Nothing arrived for lateness + size: the clock stands in for the events' time.
      const idle = this.lateness + this.span();
      if (now - this.lastArrival >= idle && now - idle > threshold) {
        threshold = now - idle;
        byClock = true;
      }
    }
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.end > threshold) break;
      this.heap.pop();
      // Closed by the clock: later events of this window are late, as if its end had been seen.
      if (byClock && top.end > this.watermark) this.watermark = top.end;
      this.close(top, out);
    }
    return out;
  }

  /** Sliding windows: drop buffered events no later window can need, and empty groups. */
  private sweep(now: number): void {
    const size = this.span();
    this.lastSweep = now;
    const horizon = (this.eventTime === undefined ? now : this.watermark) - size;
    for (const g of [...this.groups.values()]) {
      const entries = g.entries;
      if (entries === null) continue;
      let drop = 0;
      while (drop < entries.length && entries[drop].t <= horizon) drop++;
      if (drop > 0) entries.splice(0, drop);
      if (entries.length === 0) {
        g.entries = null;
        this.openWindows--;
        this.groups.delete(g.key);
      }
    }
  }

  nextDeadline(): number | undefined {
    const w = this.window;
    if (w === undefined || w.kind === 'count') return undefined;
    if (w.kind === 'sliding') return this.groups.size > 0 ? Math.max(this.lastSweep, this.lastNow) + w.size : undefined;
    const top = this.heap.peek();
    if (top === undefined) return undefined;
    if (this.eventTime === undefined) return top.end;
    if (top.end <= this.watermark) return this.lastNow;
    return Math.max(top.end, this.lastArrival) + this.lateness + this.span();
  }

  private flushRows(): StreamRow[] {
    const out: StreamRow[] = [];
    const all: Win[] = [];
    for (const g of this.groups.values()) {
      for (const w of g.wins) all.push(w);
      if (g.entries !== null && g.count > 0 && this.window?.kind === 'count') this.emitEntries(g, g.entries, out);
    }
    all.sort((a, b) => a.end - b.end || a.seq - b.seq);
    for (const w of all) this.close(w, out);
    this.groups.clear();
    this.heap.clear();
    this.openWindows = 0;
    return out;
  }

  // ---- snapshot --------------------------------------------------------------------------

  snapshot(): unknown {
    const keptIds = new Map<Kept, number>();
    const kept: unknown[] = [];
    const ref = (k: Kept | null): number => {
      if (k === null) return -1;
      let id = keptIds.get(k);
      if (id === undefined) {
        id = kept.length;
        keptIds.set(k, id);
        kept.push([encode(k.c), k.a === null ? null : encode(k.a), k.topic ?? null, k.event ?? null]);
      }
      return id;
    };
    const groups: unknown[] = [];
    for (const g of this.groups.values()) {
      groups.push([
        g.key,
        g.wins.map((w) => [w.start, w.end, w.last, w.first, w.n, encode(w.accs), ref(w.kept), w.seq]),
        g.entries === null ? null : g.entries.map((e) => [e.t, encode(e.vals), ref(e.kept)]),
        g.count,
        g.used,
      ]);
    }
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return {
      v: SNAPSHOT_VERSION,
      sig: this.signature(),
      watermark: num(this.watermark), maxT: num(this.maxT), lastArrival: num(this.lastArrival),
      lastNow: num(this.lastNow), seq: this.seq, stamp: this.stamp,
      counters: { ...this.counters },
      kept, groups,
      partitions: this.partitions.map((ps) => [ps.forgotten, [...ps.states].map(([k, v]) => [k, encode(v)])]),
    };
  }

  private restore(state: unknown): void {
    const s = state as Record<string, unknown>;
    if (typeof s !== 'object' || s.v !== SNAPSHOT_VERSION || !Array.isArray(s.groups) || !Array.isArray(s.kept) || !Array.isArray(s.partitions)) {
      throw new Error('the stream state is not a snapshot of this version');
    }
    if (s.sig !== this.signature()) throw new Error('the stream state was taken from another statement or eventTime');
    const num = (x: unknown): number => (typeof x === 'number' ? x : -Infinity);
    this.watermark = num(s.watermark);
    this.maxT = num(s.maxT);
    this.lastArrival = num(s.lastArrival);
    this.lastNow = num(s.lastNow);
    this.seq = typeof s.seq === 'number' ? s.seq : 0;
    Object.assign(this.counters, s.counters);
    const kept = (s.kept as unknown[][]).map(([c, a, topic, event]): Kept => ({
      c: decode(c) as Record<string, unknown>, a: a === null ? null : decode(a) as unknown[],
      topic: (topic as string | null) ?? undefined, event: (event as string | null) ?? undefined,
    }));
    const isCount = this.window?.kind === 'count';
    this.stamp = typeof s.stamp === 'number' ? s.stamp : 0;
    for (const [key, wins, entries, count, used] of s.groups as [string, unknown[][], unknown[][] | null, number, number?][]) {
      const g: Group = { key, wins: [], entries: null, count, used: used ?? 0 };
      for (const [start, end, last, first, n, accs, k, seq] of wins as [number, number, number, number, number, unknown, number, number][]) {
        const w: Win = { start, end, last, first, n, accs: decode(accs) as unknown[], kept: k < 0 ? null : kept[k], group: g, closed: false, seq };
        g.wins.push(w);
        this.openWindows++;
        if (!isCount) this.heap.push(end, w);
      }
      if (entries !== null) {
        g.entries = entries.map(([t, vals, k]) => ({ t: t as number, vals: decode(vals) as unknown[], kept: kept[k as number] }));
        this.openWindows++;
      }
      this.groups.set(key, g);
    }
    (s.partitions as [number, [string, unknown][]][]).forEach(([forgotten, states], i) => {
      const ps = this.partitions[i];
      if (ps === undefined) return;
      ps.forgotten = forgotten;
      for (const [k, v] of states) ps.states.set(k, decode(v));
    });
  }
}
