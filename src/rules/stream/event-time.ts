// Time of a stream (DESIGN.md section 7): processing time by default (the `now` the caller
// passes); with `eventTime`, each event's own time, and a watermark (the latest event time seen
// less `lateness`) that closes windows. When nothing arrives for lateness + the window's size,
// the clock stands in for the events' time. The statement has one watermark (eKuiper's), or
// with `watermark: "group"` each GROUP BY group has its own (group-time.ts, `groups`).

import { Evaluator, compileExpr } from '../compile-expr';
import { RuleEvaluationError } from '../errors';
import { parseExpression } from '../parser';
import { inClause, Scope } from '../scope';
import { typeName } from '../values';
import { GroupClocks } from './group-time';
import { words } from '../../words';

export class EventClock {
  /** The eventTime expression, compiled; undefined: processing time. */
  readonly eventTime: Evaluator | undefined;
  /** The eventTime expression as written (part of a snapshot's signature). */
  readonly text: string;
  /** Windows close when event time reaches this (event time only; -Infinity until an event). */
  watermark = -Infinity;
  /** The latest event time seen. */
  maxT = -Infinity;
  /** `now` of the last event taken into a window. */
  lastArrival = -Infinity;
  /** `now` of the last event FROM matched. */
  lastNow = -Infinity;
  /** Whether the last `closingTime` let the clock stand in for the events' time. */
  byClock = false;

  /** `watermark: "group"` with eventTime: each group's time; undefined: the statement's alone. */
  readonly groups: GroupClocks | undefined;

  constructor(eventTime: string | undefined, readonly lateness: number, watermark: 'rule' | 'group' = 'rule', maxGroups = 10000) {
    this.text = (eventTime ?? '').trim();
    if (this.text !== '') {
      const { expr, map } = parseExpression(this.text);
      this.eventTime = compileExpr(expr, { map });
    }
    this.groups = watermark === 'group' && this.eventTime !== undefined ? new GroupClocks(lateness, maxGroups) : undefined;
  }

  /** An event's time in epoch ms (eventTime set). Throws RuleEvaluationError for a value that is no time. */
  timeOf(s: Scope): number {
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
        words('rules.stream.badEventTime', 'eventTime __expression__ gave __got__; it must be epoch milliseconds or an RFC 3339 date', {
          expression: this.text, got: `${typeName(v)}${typeof v === 'string' ? ` "${v.slice(0, 40)}"` : ''}`,
        }),
        'bad_event_time', 'select_and_transform_error',
      );
    }
    return Math.floor(t);
  }

  /** An event at `t`, later than any before: the watermark follows it, `lateness` behind, never back. */
  observe(t: number): void {
    this.maxT = t;
    const wm = t - this.lateness;
    if (wm > this.watermark) this.watermark = wm;
  }

  /**
   * Windows ending at or before this close at `now`: the clock (processing time) or the
   * watermark. Nothing arrived for lateness + `span`: the clock stands in (`byClock` set).
   */
  closingTime(now: number, span: number): number {
    this.byClock = false;
    if (this.eventTime === undefined) return now;
    const idle = this.lateness + span;
    if (now - this.lastArrival >= idle && now - idle > this.watermark) {
      this.byClock = true;
      return now - idle;
    }
    return this.watermark;
  }

  /** When a window ending at `end` can close (see closingTime). */
  deadlineOf(end: number, span: number): number {
    if (this.eventTime === undefined) return end;
    if (end <= this.watermark) return this.lastNow;
    return Math.max(end, this.lastArrival) + this.lateness + span;
  }
}
