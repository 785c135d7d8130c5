// The stateful side of the rule-sql node (DESIGN.md section 7): one RuleStream per node, fed
// by the node's input, its windows closed by one timer set at `nextDeadline()`. Its state goes
// into the node's context every `checkpointInterval` while it changes (checkpoint.ts) and at
// close, and comes back on start, so a redeploy loses nothing, and a restart or a crash neither
// with a persistent context store (a crash: the events since the last checkpoint); windows that
// ended meanwhile come out at once. Disabling keeps the state; deleting ends it, logged; a
// shutdown that loses it warns (shutdown-loss.ts).

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { Row, Rule, RuleStream, StreamOptions } from '../../index';
import { deployedState } from '../deployed-state';
import { Checkpointer, snapshotOf, stateStore, STREAM_STATE_KEY, type SavedState, type StateStore } from './checkpoint';
import { lostAtShutdown, takenOver } from './shutdown-loss';
import { englishText, ruleSqlText, type RuleSqlText } from './text';

export { STREAM_STATE_KEY } from './checkpoint';

/**
 * States handed over from a closing node to its successor in this process. Node-RED deletes a
 * node's context when the node closes unless a context store is configured (contextStorage in
 * settings.js), so across a redeploy the state also travels here; the context keeps it across a
 * restart when a persistent store is configured.
 */
const handover = new Map<string, SavedState>();

/** Longest setTimeout delay Node.js honours (2^31 − 1 ms); later deadlines re-arm. */
const MAX_DELAY = 2_147_483_647;

export interface StreamCounters {
  matched: number;
  passed: number;
  failed: number;
  noResult: number;
}

type Send = (msgs: NodeMessageInFlow[]) => void;
type Columns = Record<string, unknown>;

export interface StreamNodeProperties {
  eventTime: string;
  lateness: number;
  maxGroups: number;
}

/** Issue 20's properties (DESIGN.md 1.2): the event-time clock, and where and how often the state is saved. */
export interface CheckpointProperties {
  watermark: 'rule' | 'group';
  checkpointInterval: number;
  contextStore: string;
}

type StreamConfig = { eventTime?: unknown; lateness?: unknown; maxGroups?: unknown; watermark?: unknown; checkpointInterval?: unknown; contextStore?: unknown };

/** A number of a saved flow: numbers may be numeric strings, an absent or empty one is the default (DESIGN.md 1). */
function num(v: unknown, dflt: number): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return dflt;
  return Number(v);
}

/** `eventTime`, `lateness`, `maxGroups` from a saved flow (numbers may be numeric strings, DESIGN.md section 1). */
export function streamProperties(config: StreamConfig, text: RuleSqlText = englishText): StreamNodeProperties {
  const eventTime = typeof config.eventTime === 'string' ? config.eventTime.trim() : '';
  const lateness = num(config.lateness, 0);
  const maxGroups = num(config.maxGroups, 10000);
  if (!Number.isFinite(lateness) || lateness < 0) throw new Error(text('errors.lateness', { got: String(config.lateness) }));
  if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new Error(text('errors.maxGroups', { got: String(config.maxGroups) }));
  return { eventTime, lateness, maxGroups };
}

/**
 * `watermark`, `checkpointInterval`, `contextStore` from a saved flow (DESIGN.md 1.2): a property
 * missing from a flow saved before it existed is its default; numbers may be numeric strings.
 */
export function checkpointProperties(config: StreamConfig, text: RuleSqlText = englishText): CheckpointProperties {
  const watermark = config.watermark === undefined || config.watermark === null || config.watermark === '' ? 'rule' : config.watermark;
  if (watermark !== 'rule' && watermark !== 'group') throw new Error(text('errors.watermark', { got: String(config.watermark) }));
  const checkpointInterval = num(config.checkpointInterval, 5000);
  if (!Number.isFinite(checkpointInterval) || checkpointInterval < 0) {
    throw new Error(text('errors.checkpointInterval', { got: String(config.checkpointInterval) }));
  }
  const contextStore = typeof config.contextStore === 'string' ? config.contextStore.trim() : '';
  // Node-RED's own rule for store names (context/index.js).
  if (!/^[a-zA-Z0-9_]*$/.test(contextStore)) throw new Error(text('errors.contextStore', { got: String(config.contextStore) }));
  return { watermark, checkpointInterval, contextStore };
}

/** Everything a stateful rule-sql node reads from its config. */
export function runnerProperties(config: StreamConfig, text: RuleSqlText = englishText): StreamNodeProperties & CheckpointProperties {
  return { ...streamProperties(config, text), ...checkpointProperties(config, text) };
}

export class RuleStreamRunner {
  private stream: RuleStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private waiting: (() => void)[] | null = [];
  private closed = false;
  /** The stream's late, evicted and forgotten counts when this node took it over (restored from its saved state). */
  private baseline = { late: 0, evicted: 0, forgotten: 0 };
  /** Events and timer runs that may have changed the state: what a checkpoint compares when the stream has no version. */
  private changes = 0;
  private checkpoints: Checkpointer | undefined;
  private readonly store: StateStore;
  private readonly text: RuleSqlText;

  constructor(
    private readonly node: Node,
    private readonly rule: Rule,
    private readonly sql: string,
    private readonly options: StreamNodeProperties & CheckpointProperties,
    private readonly about: { id: string; name: string },
    private readonly counters: StreamCounters,
    private readonly changed: () => void,
    private readonly RED: NodeAPI,
  ) {
    this.store = stateStore(RED, options.contextStore);
    this.text = ruleSqlText(RED);
  }

  /** Restores the state from the node's context (asynchronous for persistent stores), then runs. */
  start(): void {
    const context = this.node.context() as unknown as { get(k: string, store: string | undefined, cb: (err: Error | undefined, v: unknown) => void): void };
    context.get(STREAM_STATE_KEY, this.store.name, (err: Error | undefined, value: unknown) => {
      if (this.closed) return;
      const handed = handover.get(this.node.id);
      handover.delete(this.node.id);
      takenOver(this.node.id);
      if (handed !== undefined) err = undefined;
      if (err) this.node.warn(this.text('log.readFailed', { store: this.store.label, reason: err.message }));
      this.stream = this.restore(err ? undefined : handed ?? value as SavedState | undefined, handed !== undefined);
      // The restored state carries the stream's counters; this node's start from zero, as its
      // matched and passed do, so that late <= passed <= matched holds after a redeploy too.
      const { late, evicted, forgotten } = this.stream.stats;
      this.baseline = { late, evicted, forgotten };
      this.checkpoints = new Checkpointer(this.node, this.stream, { sql: this.sql, eventTime: this.options.eventTime }, this.store,
        this.options.checkpointInterval, () => this.mark(), this.text);
      this.checkpoints.start();
      // Windows that ended while the flow was stopped come out now.
      this.fire();
      const waiting = this.waiting ?? [];
      this.waiting = null;
      for (const run of waiting) run();
    });
  }

  /** A stream from the saved state (logged: what came back and from when), or a new one. */
  private restore(saved: SavedState | undefined, handed: boolean): RuleStream {
    const fresh = () => this.rule.stream(this.streamOptions(undefined));
    if (saved === undefined || saved === null || typeof saved !== 'object') return fresh();
    if (saved.sql !== this.sql || saved.eventTime !== this.options.eventTime) {
      this.node.warn(this.text('log.stateOutdated'));
      return fresh();
    }
    let stream: RuleStream;
    let events: number;
    try {
      const snap = snapshotOf(saved);
      events = snap.events;
      stream = this.rule.stream(this.streamOptions(snap.state));
    } catch (e) {
      this.node.warn(this.text('log.restoreFailed', { reason: (e as Error).message }));
      return fresh();
    }
    const { openWindows, partitions } = stream.stats;
    if (openWindows > 0 || partitions > 0) {
      const text = this.text;
      const when = typeof saved.at === 'number' ? text('log.fromCheckpoint', { at: new Date(saved.at).toISOString() }) : text('log.fromClose');
      const from = handed ? text('log.fromDeploy') : text('log.fromStore', { when, store: this.store.label });
      this.node.log(text('log.restored', { openWindows, events, partitions, from }));
    }
    return stream;
  }

  private streamOptions(state: unknown): StreamOptions {
    const { eventTime, lateness, maxGroups, watermark } = this.options;
    // `watermark` is read by an engine that has it (DESIGN.md 2) and ignored by one that has not.
    return { eventTime, lateness, maxGroups, watermark, state } as StreamOptions;
  }

  /** Moves whenever the state may have changed: the stream's own version where it has one. */
  private mark(): number {
    const version = (this.stream as { version?: unknown } | undefined)?.version;
    return typeof version === 'number' ? version : this.changes;
  }

  get stats(): RuleStream['stats'] | undefined {
    const stats = this.stream?.stats;
    if (stats === undefined) return undefined;
    const b = this.baseline;
    return { ...stats, late: stats.late - b.late, evicted: stats.evicted - b.evicted, forgotten: stats.forgotten - b.forgotten };
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

  /** Partitions forgotten since this node started, open windows and partitions now (DESIGN.md 5). */
  streamCounts(): { forgotten: number; openWindows: number; partitions: number } {
    const stats = this.stats;
    return { forgotten: stats?.forgotten ?? 0, openWindows: stats?.openWindows ?? 0, partitions: stats?.partitions ?? 0 };
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
      this.changes++;
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
    this.changes++;
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

  /**
   * Saves the state into the node's context; `done` when it is stored. `removed`: Node-RED closes a
   * disabled node (or every node of a disabled flow) as a deleted one; the deployed configuration
   * tells them apart, as for the sink (dynamodb-sink/backlog.ts): disabling keeps the state.
   */
  close(removed: boolean, done: () => void): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.checkpoints?.stop();
    const stream = this.stream;
    if (stream === undefined) {
      done();
      return;
    }
    const { openWindows, partitions } = stream.stats;
    const alias = (this.node as Node & { _alias?: string })._alias;
    const state = removed || alias ? deployedState(this.RED, this.node.id, alias).state : 'enabled';
    if (state === 'deleted') {
      if (openWindows > 0 || partitions > 0) {
        this.node.warn(this.text('log.deleted', { openWindows, partitions }));
      }
      handover.delete(this.node.id);
      done();
      return;
    }
    const saved = (this.checkpoints as Checkpointer).takeNow();
    handover.set(this.node.id, saved);
    if (state === 'disabled' && (openWindows > 0 || partitions > 0)) {
      this.node.log(this.text('log.disabled', { openWindows, partitions }));
    }
    // A shutdown ends what a memory store holds; a deploy hands it over (warned only at a shutdown).
    if (!this.store.persistent) lostAtShutdown(this.RED, { node: this.node, openWindows, partitions, store: this.store.label });
    (this.checkpoints as Checkpointer).write(saved, () => done());
  }
}
