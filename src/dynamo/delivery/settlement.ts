// How a write ends (DESIGN.md 6): written, its condition failed, failed, or dropped (expired,
// queue_full, resource_stopped). Each end is counted once (metrics.ts: matched = success + failed
// + dropped + queuing + inflight at every moment), settled in a disk store so it is never
// replayed, and told to the write's listener; the last error is kept for the node status.
import type { Availability } from './availability';
import type { DropReason, SinkMetrics } from './metrics';
import type { QueuedWrite, WriteListener } from './queue';
import type { WriteStore } from './write-store';
import { words } from '../../words';
import type { ErrorCause } from '../connection/errors';

export interface SettlementOptions {
  requestTtl: number;
  /** e.g. `http://127.0.0.1:8000 (region us-west-2)`, for error messages. */
  describeEndpoint?: () => string;
  log?: { warn(text: string): void };
  onChange?: () => void;
  onWrittenWhilePaused?: () => void;
  onConditionFailed?: 'skip' | 'error';
}

/** A buffered record that did not read back: where it was, and why. */
export interface UnreadableWrite {
  file: string;
  offset: number;
  seq?: number;
  why: string;
}

export class Settlement {
  /** The last error in words, for the node status; cleared by nothing (it is history). */
  lastError?: string;
  /** lastError's one-word cause (in any language); undefined where none is known. */
  lastCause?: ErrorCause;
  /** The store keeps records (disk): what ends is settled in it. */
  readonly persistent: boolean;

  constructor(
    private readonly metrics: SinkMetrics,
    private readonly store: WriteStore,
    private readonly health: Availability,
    private readonly options: SettlementOptions,
  ) {
    this.persistent = store.kind !== 'memory';
  }

  written(writes: QueuedWrite[]): void {
    if (writes.length === 0) return;
    // Still one probe per interval: the connector's health check decides when all may flow.
    if (this.health.pause) this.options.onWrittenWhilePaused?.();
    this.metrics.inflight -= writes.length;
    this.metrics.success += writes.length;
    if (this.persistent) this.store.settle(writes.map((w) => w.seq));
    for (const w of writes) w.listener?.written(w.attempts);
  }

  /** The condition failed: a stale message, skipped (dropped.condition) or failed as the sink says. */
  condition(w: QueuedWrite): void {
    this.metrics.inflight -= 1;
    if (this.persistent) this.store.settle([w.seq]);
    // Only a condition of the sink's own makes a stale message: DynamoDB answering
    // ConditionalCheckFailedException to a write that carried none is an error, never a skip.
    const condition = w.expression?.condition;
    const skip = condition !== undefined && this.options.onConditionFailed !== 'error';
    if (skip && (w.listener?.skipped || !w.listener)) {
      this.metrics.drop('condition');
      w.listener?.skipped?.('condition', w.attempts);
      return;
    }
    this.metrics.failed += 1;
    // The condition as the user wrote its names (the :values stay placeholders).
    const names = w.expression?.names ?? {};
    const message =
      condition === undefined
        ? words('delivery.condition.noCondition', '__write__: DynamoDB refused it with ConditionalCheckFailedException although the sink set no condition', { write: this.describe(w) })
        : words('delivery.condition.failed', '__write__: the condition failed (ConditionalCheckFailedException): __condition__', {
            write: this.describe(w),
            condition: condition.replace(/#c\d+/g, (alias) => names[alias] ?? alias),
          });
    this.lastError = message;
    this.lastCause = 'condition';
    w.listener?.failed(new Error(message), w.attempts);
  }

  /** A call's writes failed for good (no wait can cure the error). */
  failed(call: QueuedWrite[], message: string, cause?: ErrorCause): void {
    this.metrics.inflight -= call.length;
    this.metrics.failed += call.length;
    if (this.persistent) this.store.settle(call.map((w) => w.seq));
    this.lastError = message;
    this.lastCause = cause;
    for (const w of call) w.listener?.failed(new Error(message), w.attempts);
  }

  /**
   * Queued writes that fail without another call: held for a table the sink could not create
   * (DESIGN.md 1.3 createTable, table-creation.ts), taken out of the queue by the caller.
   */
  failedQueued(writes: QueuedWrite[], message: string, cause?: ErrorCause): void {
    if (writes.length === 0) return;
    this.metrics.queuing -= writes.length;
    this.metrics.failed += writes.length;
    if (this.persistent) this.store.settle(writes.map((w) => w.seq));
    this.lastError = message;
    this.lastCause = cause;
    for (const w of writes) w.listener?.failed(new Error(message), w.attempts);
  }

  /**
   * The disk buffer could not keep a new write (full, read-only, short write): that message
   * fails at once, counted; what is already on disk and queued goes on (DESIGN.md 6).
   */
  refused(err: Error, listener?: WriteListener): void {
    this.metrics.matched += 1;
    this.metrics.failed += 1;
    this.lastError = err.message;
    this.lastCause = 'error';
    this.options.onChange?.();
    listener?.failed(err, 0);
  }

  /**
   * Records from the last run that did not read back: counted as failed (no message to fail:
   * the warning names each file and byte offset).
   */
  unreadable(bad: UnreadableWrite[]): void {
    if (bad.length === 0) return;
    this.metrics.matched += bad.length;
    this.metrics.failed += bad.length;
    const shown = bad.slice(0, 5).map((b) =>
      b.seq
        ? words('delivery.unreadable.recordSeq', '__file__ at byte __offset__ (seq __seq__): __why__', { file: b.file, offset: b.offset, seq: b.seq, why: b.why })
        : words('delivery.unreadable.record', '__file__ at byte __offset__: __why__', { file: b.file, offset: b.offset, why: b.why }),
    );
    this.lastCause = 'error';
    this.lastError =
      bad.length === 1
        ? words('delivery.unreadable.one', '1 buffered record could not be read back')
        : words('delivery.unreadable.many', '__n__ buffered records could not be read back', { n: bad.length });
    const records = shown.join('; ');
    this.options.log?.warn(
      bad.length > shown.length
        ? words('delivery.unreadable.logMore', '__summary__ and will not be written (counted as failed): __records__; and __more__ more', { summary: this.lastError, records, more: bad.length - shown.length })
        : words('delivery.unreadable.log', '__summary__ and will not be written (counted as failed): __records__', { summary: this.lastError, records }),
    );
  }

  /** Counts and reports a write that leaves the queue without being written. */
  drop(w: QueuedWrite, reason: Exclude<DropReason, 'condition'>, why?: string): void {
    this.metrics.queuing -= 1;
    this.metrics.drop(reason);
    if (this.persistent) this.store.settle([w.seq]);
    const err = new Error(words('delivery.dropped.message', '__write__ was dropped (__reason__): __why__', { write: this.describe(w), reason, why: why ?? reason }));
    // queue_full is logged once per burst (admission.ts), not once per message.
    if (reason !== 'queue_full') {
      this.lastError = err.message;
      this.lastCause = reason === 'expired' ? 'expired' : 'stopped';
    }
    w.listener?.dropped(reason, err, w.attempts);
    this.options.onChange?.();
  }

  /** A queued write past its requestTtl deadline: dropped.expired. */
  expire(w: QueuedWrite): void {
    const pause = this.health.pause;
    const last = w.lastError
      ? words('delivery.expired.lastError', '; last error: __error__', { error: w.lastError })
      : pause
        ? words('delivery.expired.pause', '; __reason__', { reason: pause.reason })
        : '';
    const tries = w.attempts === 1 ? words('delivery.expired.oneAttempt', '1 attempt') : words('delivery.expired.attempts', '__n__ attempts', { n: w.attempts });
    const ttl = this.options.requestTtl;
    this.drop(
      w,
      'expired',
      words('delivery.expired.why', 'not written within requestTtl __ms__ ms (__tries__). Raise requestTtl or find out why DynamoDB does not accept the writes.', {
        ms: ttl,
        tries: `${tries}${last}`,
      }),
    );
    // With a listener the node reports it (done(err) logs and reaches Catch nodes); writes
    // restored from disk have none, so the writer logs them itself.
    if (!w.listener) this.options.log?.warn(words('delivery.expired.log', '__write__ expired after __ms__ ms (dropped.expired)__last__', { write: this.describe(w), ms: ttl, last }));
  }

  describe(w: QueuedWrite): string {
    const endpoint = this.options.describeEndpoint?.();
    const vars = { operation: w.operation, table: w.table };
    return endpoint
      ? words('delivery.write.describeAt', '__operation__ to table "__table__" at __endpoint__', { ...vars, endpoint })
      : words('delivery.write.describe', '__operation__ to table "__table__"', vars);
  }
}
