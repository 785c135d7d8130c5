// Checkpoints of a rule-sql node's stream (DESIGN.md section 7, "Nothing is lost silently"): the
// open windows and partition states go into the node's context (`contextStore`) every
// `checkpointInterval` ms while they change, and at close; they come back on start.
//
// A checkpoint must not pause Node-RED: 100,000 open groups take about half a second to encode
// and as long again to turn into JSON. So the state is taken a part at a time
// (`stream.snapshotParts`), each part turned into JSON text at once, in steps of at most
// STEP_BUDGET_MS between which the event loop runs (input goes on meanwhile). What goes into the
// context is a list of JSON texts, not the objects: the localfilesystem store writes a whole scope
// with an indenting, cycle-safe stringify at each flush (its `flushInterval`, 30 s by default),
// which costs seconds for 100,000 groups as objects and little for a few hundred strings.
import type { Node, NodeAPI } from 'node-red';
import type { RuleStream } from '../../index';
import { eventsInPart, eventsInSnapshot, joinSnapshotParts } from '../../rules/stream/snapshot-parts';
import { englishText, type RuleSqlText } from './text';

/** The node's context key for the stream state. */
export const STREAM_STATE_KEY = 'rule-sql-stream';

/** Groups or partition states per part, and the longest a checkpoint step runs before yielding. */
const PER_PART = 250;
const STEP_BUDGET_MS = 8;

/** What the context holds (and what a closing node hands its successor in this process). */
export interface SavedState {
  sql: string;
  eventTime: string;
  /** When the state was taken (epoch ms): the time a restart names. */
  at: number;
  openWindows: number;
  partitions: number;
  /** Events held in the open windows (an event in two hopping windows counts twice). */
  events: number;
  /** `snapshotParts` as JSON texts (context) or as they came (a handover in this process). */
  parts: unknown[];
  /** Before issue 20: the whole snapshot in one object, saved at close only. */
  state?: unknown;
}

/** The store a node's state goes to, and whether it keeps it across a restart. */
export interface StateStore {
  /** The store name passed to context get/set; undefined = the default store. */
  name: string | undefined;
  /** As a log line names it. */
  label: string;
  /** false for Node-RED's memory store (also the default one when none is configured). */
  persistent: boolean;
}

type StoreConfig = { module?: unknown } | string;

/**
 * Which store `contextStore` names, resolved as Node-RED's context/index.js does: "" is
 * `default` (an alias or a store of its own), else the first store configured, else memory; an
 * unknown name falls back to the default store (Node-RED logs that itself).
 */
export function stateStore(RED: NodeAPI, contextStore: string): StateStore {
  const stores = ((RED.settings as unknown as { contextStorage?: Record<string, StoreConfig> }).contextStorage) ?? {};
  const names = Object.keys(stores).filter((n) => n !== '_');
  const configOf = (n: string): StoreConfig | undefined => {
    const c = stores[n];
    return typeof c === 'string' ? stores[c] : c;
  };
  const defaultName = names.includes('default') ? 'default' : names[0];
  const own = contextStore !== '' && names.includes(contextStore) ? contextStore : undefined;
  const resolved = own ?? defaultName;
  const config = resolved === undefined ? undefined : configOf(resolved);
  const module = config && typeof config === 'object' ? config.module : undefined;
  const persistent = module !== undefined && module !== 'memory';
  const shown = resolved === undefined ? 'default' : typeof stores[resolved] === 'string' ? `${resolved} (${stores[resolved] as string})` : resolved;
  return { name: contextStore === '' ? undefined : contextStore, label: `"${shown}" (${typeof module === 'string' ? module : module ? 'custom' : 'memory'})`, persistent };
}

/** The snapshot a saved state holds (throws for one that does not parse), and its events. */
export function snapshotOf(saved: SavedState): { state: unknown; events: number } {
  const state = Array.isArray(saved.parts)
    ? joinSnapshotParts(saved.parts.map((p) => (typeof p === 'string' ? JSON.parse(p) : p)))
    : saved.state;
  return { state, events: eventsInSnapshot(state) };
}

/**
 * Saves one stream's state while its node runs: a timer every `interval` ms that checkpoints only
 * when `mark()` moved since the last save (the stream's version, or the node's own count of
 * changes), in steps; and `takeNow()` for the close, at once.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: { cancelled: boolean } | undefined;
  private savedMark: number;
  private stopped = false;
  /** The longest step and the last checkpoint's length, ms (for the bench). */
  readonly measured = { longestStepMs: 0, lastMs: 0, checkpoints: 0 };

  constructor(
    private readonly node: Node,
    private readonly stream: RuleStream,
    private readonly about: { sql: string; eventTime: string },
    private readonly store: StateStore,
    private readonly interval: number,
    private readonly mark: () => number,
    private readonly text: RuleSqlText = englishText,
  ) {
    this.savedMark = mark();
  }

  /** Arms the timer (not for a store that keeps nothing across a restart: a redeploy hands over anyway). */
  start(): void {
    if (this.interval > 0 && this.store.persistent && !this.stopped) this.arm();
  }

  /** No more checkpoints; one in progress is abandoned (the close saves the state at once). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) this.running.cancelled = true;
    this.running = undefined;
  }

  /** The whole state now (the close), as what the context keeps. */
  takeNow(): SavedState {
    const parts: string[] = [];
    let events = 0;
    for (const part of this.stream.snapshotParts(PER_PART)) {
      events += eventsInPart(part);
      parts.push(JSON.stringify(part));
    }
    return this.record(parts, events, Date.now());
  }

  /** Puts `saved` into the node's context; `done` once the store has it (errors logged). */
  write(saved: SavedState, done: (err?: Error) => void): void {
    const failed = (err: Error) => {
      this.node.error(this.text('log.saveFailed', { store: this.store.label, reason: err.message }));
      done(err);
    };
    try {
      const context = this.node.context() as unknown as { set(k: string, v: unknown, store: string | undefined, cb: (err?: Error) => void): void };
      context.set(STREAM_STATE_KEY, saved, this.store.name, (err?: Error) => (err ? failed(err) : done()));
    } catch (err) {
      failed(err as Error);
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => this.due(), this.interval);
    this.timer.unref?.();
  }

  private due(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const mark = this.mark();
    if (mark === this.savedMark) {
      this.arm();
      return;
    }
    const run = { cancelled: false };
    this.running = run;
    // What came in before this moment is in the checkpoint; what comes in during it may not be.
    const started = Date.now();
    const parts: string[] = [];
    let events = 0;
    const steps = this.stream.snapshotParts(PER_PART);
    const step = () => {
      if (run.cancelled) return;
      const t0 = performance.now();
      let finished = false;
      while (performance.now() - t0 < STEP_BUDGET_MS) {
        const next = steps.next();
        if (next.done) {
          finished = true;
          break;
        }
        events += eventsInPart(next.value);
        parts.push(JSON.stringify(next.value));
      }
      this.measured.longestStepMs = Math.max(this.measured.longestStepMs, performance.now() - t0);
      if (!finished) {
        setImmediate(step);
        return;
      }
      this.write(this.record(parts, events, started), (err) => {
        if (run.cancelled) return;
        this.running = undefined;
        if (!err) this.savedMark = mark;
        this.measured.lastMs = Date.now() - started;
        this.measured.checkpoints++;
        this.arm();
      });
    };
    step();
  }

  private record(parts: string[], events: number, at: number): SavedState {
    const stats = this.stream.stats;
    return { sql: this.about.sql, eventTime: this.about.eventTime, at, openWindows: stats.openWindows, partitions: stats.partitions, events, parts };
  }
}
