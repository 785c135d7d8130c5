// What a stream is to its caller (DESIGN.md section 2: `rule.stream(...)` gives a RuleStream),
// and the few shapes its parts pass between them. No code: the evaluator (rule.ts) names these
// types without importing the stream that implements them.

import type { RuleEvaluationError } from '../errors';

export interface StreamOptions {
  /** An expression giving each event's time in epoch ms (`payload.ts`, `timestamp`); empty: processing time. */
  eventTime?: string;
  /** ms an event-time window stays open after its end for late events (default 0). */
  lateness?: number;
  /** Most open (window, group) pairs, and partitions per analytic function (default 10000). */
  maxGroups?: number;
  /**
   * With eventTime: the statement's event time closes every group's windows ('rule', eKuiper's,
   * the default), or each GROUP BY group's own ('group'), so that a group behind the others
   * keeps its windows open and its readings are aggregated, not dropped as late.
   */
  watermark?: 'rule' | 'group';
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
  /**
   * The same state a step at a time (at most `perPart` groups or partition states per part),
   * events may be pushed between parts; `joinSnapshotParts(parts)` gives the snapshot.
   */
  snapshotParts(perPart: number): Generator<unknown, void, void>;
  /** Every open window, now (count windows however full); the stream is empty after it. */
  flush(): Row[];
  /** The window, trigger topic and event of a row this stream gave (undefined for any other object). */
  origin(row: Row): RowOrigin | undefined;
  readonly stats: StreamStats;
  /**
   * A counter bumped by every change of state (an event FROM matched, a window closed, a sweep,
   * a flush): the node saves a checkpoint only when it moved since the last one. Starts at 0
   * for every stream, restored or not.
   */
  readonly version: number;
  /** `stats.passed` alone, without building the stats (read once per event by the node). */
  readonly passed: number;
  /** Errors of rows that failed when their window closed (the other rows still came out); taken and cleared. */
  takeErrors(): RuleEvaluationError[];
}

/** A row with its origin, as the stream's parts build them (the facade hands out `row`). */
export interface StreamRow extends RowOrigin {
  row: Row;
}

/** The counters a snapshot keeps (the rest of StreamStats is measured when asked). */
export interface StreamCounters {
  late: number;
  evicted: number;
  failed: number;
  passed: number;
}
