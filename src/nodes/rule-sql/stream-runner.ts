// The stateful side of the rule-sql node (DESIGN.md section 7): one RuleStream per node, fed
// by the node's input, its windows closed by one timer set at `nextDeadline()`. On close the
// state goes into the node's context and comes back on start, so a redeploy loses nothing
// (and a restart neither, with a persistent context store); windows that ended meanwhile come
// out at once.

import type { Node, NodeMessageInFlow } from 'node-red';
import type { Row, Rule, RuleStream, StreamOptions } from '../../index';

/** The node's context key for the stream state. */
export const STREAM_STATE_KEY = 'rule-sql-stream';

/**
 * States handed over from a closing node to its successor in this process. Node-RED deletes a
 * node's context when the node closes unless a context store is configured (contextStorage in
 * settings.js), so across a redeploy the state also travels here; the context keeps it across a
 * restart when a persistent store is configured.
 */
const handover = new Map<string, Saved>();

/** Longest setTimeout delay Node.js honours (2^31 − 1 ms); later deadlines re-arm. */
const MAX_DELAY = 2_147_483_647;

export interface StreamCounters {
  matched: number;
  passed: number;
  failed: number;
  noResult: number;
}

interface Saved {
  sql: string;
  eventTime: string;
  state: unknown;
}

type Send = (msgs: NodeMessageInFlow[]) => void;
type Columns = Record<string, unknown>;

export interface StreamNodeProperties {
  eventTime: string;
  lateness: number;
  maxGroups: number;
}

/** `eventTime`, `lateness`, `maxGroups` from a saved flow (numbers may be numeric strings, DESIGN.md section 1). */
export function streamProperties(config: { eventTime?: unknown; lateness?: unknown; maxGroups?: unknown }): StreamNodeProperties {
  const eventTime = typeof config.eventTime === 'string' ? config.eventTime.trim() : '';
  const num = (v: unknown, dflt: number): number => {
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return dflt;
    return Number(v);
  };
  const lateness = num(config.lateness, 0);
  const maxGroups = num(config.maxGroups, 10000);
  if (!Number.isFinite(lateness) || lateness < 0) throw new Error(`lateness must be a number of ms, 0 or more (got ${String(config.lateness)})`);
  if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new Error(`maxGroups must be a positive integer (got ${String(config.maxGroups)})`);
  return { eventTime, lateness, maxGroups };
}

export class RuleStreamRunner {
  private stream: RuleStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private waiting: (() => void)[] | null = [];
  private closed = false;
  /** The stream's late and evicted counts when this node took it over (restored from its saved state). */
  private baseline = { late: 0, evicted: 0 };

  constructor(
    private readonly node: Node,
    private readonly rule: Rule,
    private readonly sql: string,
    private readonly options: StreamNodeProperties,
    private readonly about: { id: string; name: string },
    private readonly counters: StreamCounters,
    private readonly changed: () => void,
  ) {}

  /** Restores the state from the node's context (asynchronous for persistent stores), then runs. */
  start(): void {
    const context = this.node.context();
    context.get(STREAM_STATE_KEY, (err: Error | undefined, value: unknown) => {
      if (this.closed) return;
      let state: unknown;
      const handed = handover.get(this.node.id);
      handover.delete(this.node.id);
      const saved = handed ?? value as Saved | undefined;
      if (handed !== undefined) err = undefined;
      if (err) {
        this.node.warn(`rule-sql: could not read the saved window state, starting empty: ${err.message}`);
      } else if (saved && typeof saved === 'object') {
        if (saved.sql === this.sql && saved.eventTime === this.options.eventTime) state = saved.state;
        else this.node.warn('rule-sql: the statement or eventTime changed since the window state was saved; its open windows are dropped');
      }
      const options: StreamOptions = { ...this.options, state };
      try {
        this.stream = this.rule.stream(options);
      } catch (e) {
        this.node.warn(`rule-sql: the saved window state could not be restored (${(e as Error).message}); starting empty`);
        this.stream = this.rule.stream({ ...this.options });
      }
      // The restored state carries the stream's counters; this node's start from zero, as its
      // matched and passed do, so that late <= passed <= matched holds after a redeploy too.
      const { late, evicted } = this.stream.stats;
      this.baseline = { late, evicted };
      // Windows that ended while the flow was stopped come out now.
      this.fire();
      const waiting = this.waiting ?? [];
      this.waiting = null;
      for (const run of waiting) run();
    });
  }

  get stats(): RuleStream['stats'] | undefined {
    const stats = this.stream?.stats;
    if (stats === undefined) return undefined;
    return { ...stats, late: stats.late - this.baseline.late, evicted: stats.evicted - this.baseline.evicted };
  }

  /**
   * Late and evicted events since this node started (its status, the Prometheus text), for a
   * statement with a window; undefined for an analytic-only one, which has neither.
   */
  windowCounts(): { late: number; evicted: number } | undefined {
    if ((this.rule as { window?: unknown }).window === undefined) return undefined;
    const stats = this.stats;
    return { late: stats?.late ?? 0, evicted: stats?.evicted ?? 0 };
  }

  input(msg: NodeMessageInFlow, events: Columns[], send: Send, done: (err?: Error) => void): void {
    if (this.waiting !== null) {
      this.waiting.push(() => this.input(msg, events, send, done));
      return;
    }
    const stream = this.stream as RuleStream;
    const out: NodeMessageInFlow[] = [];
    let failure: unknown;
    const now = Date.now();
    for (const columns of events) {
      if (!this.rule.matches(columns)) continue;
      this.counters.matched++;
      try {
        const passedBefore = stream.passed;
        const rows = stream.push(columns, now);
        // EMQX: passed when WHERE holds; an event WHERE rejects is no_result, as without a window.
        if (stream.passed > passedBefore) this.counters.passed++;
        else this.counters.noResult++;
        for (const r of rows) out.push(this.message(r, msg._msgid));
      } catch (err) {
        this.counters.failed++;
        failure ??= err;
      }
    }
    // A watermark moved by this event, or a window the timer has not reached yet.
    const deadline = stream.nextDeadline();
    if (deadline !== undefined && deadline <= now) for (const r of this.advance(now)) out.push(this.message(r, msg._msgid));
    this.schedule();
    this.changed();
    if (out.length > 0) send([out] as unknown as NodeMessageInFlow[]);
    if (failure !== undefined) done(failure instanceof Error ? failure : new Error(String(failure)));
    else done();
  }

  private advance(now: number): Row[] {
    const stream = this.stream as RuleStream;
    const rows = stream.advance(now);
    this.reportRowErrors();
    return rows;
  }

  /** A row that failed in SELECT or HAVING when its window closed: to Catch nodes, counted. */
  private reportRowErrors(): void {
    for (const err of (this.stream as RuleStream).takeErrors()) {
      this.counters.failed++;
      this.node.error(err, { payload: undefined, rule: { ...this.about }, error: { message: err.message } } as never);
    }
  }

  private message(row: Row, msgid?: string): NodeMessageInFlow {
    const r = (this.stream as RuleStream).origin(row);
    const rule: Record<string, unknown> = { id: this.about.id, name: this.about.name, event: r?.event };
    if (r?.window !== undefined) rule.window = { start: r.window.start, end: r.window.end };
    const m: Record<string, unknown> = { payload: row, topic: r?.topic, rule };
    if (msgid !== undefined) m._msgid = msgid;
    return m as unknown as NodeMessageInFlow;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed || this.stream === undefined) return;
    const rows = this.advance(Date.now());
    if (rows.length > 0) this.node.send([rows.map((r) => this.message(r))] as unknown as NodeMessageInFlow[]);
    this.schedule();
    this.changed();
  }

  /** One timer, at the stream's next deadline. */
  private schedule(): void {
    const deadline = this.stream?.nextDeadline();
    if (deadline === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer !== undefined && this.timerAt === deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_DELAY, Math.max(0, deadline - Date.now())));
  }

  /** Saves the state into the node's context; `done` when it is stored. `removed`: the node was deleted. */
  close(removed: boolean, done: () => void): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stream = this.stream;
    if (stream === undefined) {
      done();
      return;
    }
    const saved: Saved = { sql: this.sql, eventTime: this.options.eventTime, state: stream.snapshot() };
    if (removed) {
      const open = stream.stats.openWindows;
      if (open > 0) this.node.warn(`rule-sql: deleted with ${open} open windows; their rows are dropped`);
      handover.delete(this.node.id);
      done();
      return;
    }
    handover.set(this.node.id, saved);
    try {
      this.node.context().set(STREAM_STATE_KEY, saved, (err?: Error) => {
        if (err) this.node.error(`rule-sql: the window state could not be saved: ${err.message}`);
        done();
      });
    } catch (err) {
      this.node.error(`rule-sql: the window state could not be saved: ${(err as Error).message}`);
      done();
    }
  }
}
