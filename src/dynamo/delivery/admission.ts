// What the queue holds (DESIGN.md 6): a write taken in with its bookkeeping and counted; the oldest
// dropped when maxBufferBytes would be passed, logged once per burst; writes past requestTtl taken
// out; and whether it holds enough that the sink may hold new messages back (back-pressure).
import type { Availability } from './availability';
import { writesPerCall } from './batching';
import type { SinkMetrics } from './metrics';
import { ENTRY_OVERHEAD_BYTES, keyIdentity, requestBytes, type QueuedWrite, type WriteListener, type WriteQueue, type WriteRequest } from './queue';
import type { Settlement } from './settlement';
import { writeUnits } from './write-rate';
import { words } from '../../words';

/** A queue_full burst ends after this long without a drop; then it is logged once. */
const DROP_BURST_QUIET_MS = 1000;

export interface AdmissionOptions {
  requestTtl: number;
  maxBufferBytes: number;
  batchSize: number;
  log?: { warn(text: string): void };
}

export class Admission {
  private dropBurst?: { count: number; bytes: number; timer: NodeJS.Timeout };
  private readonly perCall: number;

  constructor(
    private readonly queue: WriteQueue,
    private readonly metrics: SinkMetrics,
    private readonly settlement: Settlement,
    private readonly health: Availability,
    private readonly options: AdmissionOptions,
  ) {
    this.perCall = writesPerCall(options.batchSize);
  }

  /** Queues a write (seq: its place) and counts it matched and queuing, unless `counted`. */
  admit(
    req: WriteRequest,
    seq: number,
    now: number,
    listener: WriteListener | undefined,
    retainedBytes: number,
    itemBytes: number,
    /** The same write as another writer held it: keeps its life (enqueuedAt, deadline, attempts). */
    before?: QueuedWrite,
    counted = false,
  ): void {
    const w: QueuedWrite = {
      seq,
      enqueuedAt: before?.enqueuedAt ?? now,
      deadline: before?.deadline ?? now + this.options.requestTtl,
      table: req.table,
      operation: req.operation,
      key: req.key,
      item: req.item,
      // Taken over: the earlier object keeps when its token's window began (firstSentAt).
      expression: before?.expression ?? req.expression,
      keyId: keyIdentity(req.table, req.key),
      bytes: requestBytes(req, itemBytes) + ENTRY_OVERHEAD_BYTES + retainedBytes,
      // A write with a ClientRequestToken goes as TransactWriteItems: DynamoDB charges it twice.
      units: writeUnits(itemBytes, (before?.expression ?? req.expression)?.token !== undefined),
      attempts: before?.attempts ?? 0,
      notBefore: 0,
      solo: before?.solo ?? false,
      listener: listener ?? before?.listener,
      queued: false,
    };
    if (before?.lastError) w.lastError = before.lastError;
    if (!counted) {
      this.metrics.matched += 1;
      this.metrics.queuing += 1;
    }
    // Over the limit: the oldest go first (EMQX drops from the head of a full buffer).
    while (this.queue.length > 0 && this.queue.bytes + w.bytes > this.options.maxBufferBytes) {
      this.dropOldest();
    }
    this.queue.insert(w);
    if (this.queue.bytes > this.options.maxBufferBytes) {
      // A single write larger than the whole buffer cannot be kept.
      this.queue.remove(w);
      this.dropOldest(w);
    }
  }

  /** Drops what waited past requestTtl; the queue is in deadline order. */
  expire(now: number): void {
    for (let w = this.queue.first(); w && w.deadline <= now; w = this.queue.first()) {
      this.queue.remove(w);
      this.settlement.expire(w);
    }
  }

  /**
   * The queue holds `calls` calls' worth of writes (a full window): a new write adds nothing the
   * next calls need, so the sink may take it a little later.
   */
  backlogged(calls: number): boolean {
    return this.queue.length >= calls * this.perCall;
  }

  /** Logs the queue_full burst in progress, if any, once. */
  endDropBurst(): void {
    const burst = this.dropBurst;
    if (!burst) return;
    clearTimeout(burst.timer);
    this.dropBurst = undefined;
    const pause = this.health.pause;
    const vars = { max: this.options.maxBufferBytes, n: burst.count, bytes: burst.bytes };
    this.options.log?.warn(
      pause
        ? words('delivery.queueFull.logPaused', 'queue full (maxBufferBytes __max__): dropped the __n__ oldest queued writes (__bytes__ bytes), counted as dropped.queue_full. Raise maxBufferBytes or check why DynamoDB is not keeping up (now: __reason__).', { ...vars, reason: pause.reason })
        : words('delivery.queueFull.log', 'queue full (maxBufferBytes __max__): dropped the __n__ oldest queued writes (__bytes__ bytes), counted as dropped.queue_full. Raise maxBufferBytes or check why DynamoDB is not keeping up.', vars),
    );
  }

  private dropOldest(w = this.queue.shift()): void {
    if (!w) return;
    this.queue.remove(w);
    const why = words('delivery.queueFull.dropped', 'the queue held more than maxBufferBytes (__max__ bytes); the oldest writes go first', { max: this.options.maxBufferBytes });
    this.settlement.drop(w, 'queue_full', why);
    if (!this.dropBurst) {
      this.dropBurst = { count: 0, bytes: 0, timer: setTimeout(() => this.endDropBurst(), DROP_BURST_QUIET_MS) };
    }
    this.dropBurst.count += 1;
    this.dropBurst.bytes += w.bytes;
    this.dropBurst.timer.refresh();
  }
}
