// BatchWriter: the sink's delivery engine (DESIGN.md 6). Queues writes (bounded by bytes),
// sends them in BatchWriteItem calls of at most 25 puts and deletes (batch-write.ts) or as
// single-item calls: updates and conditional writes (single-write.ts); it
// keeps at most `inflightWindow` calls in flight (1 and strict order in sync mode), re-sends
// only UnprocessedItems, retries what may succeed later with backoff inside requestTtl, splits
// a batch rejected as a whole, and waits while the connector reports DynamoDB down. Write
// capacity is paced for the whole sink (write-rate.ts): maxWriteUnits and the adaptive rate
// DynamoDB's throttling sets; throttled writes go back in order and out again in full batches.
// A hot partition key (DynamoDB's reason TableWriteKeyRangeThroughputExceeded) slows only the
// writes to that key (hot-keys.ts). With createTable, a missing table is made on demand and its
// writes wait for it (table-creation.ts).
//
// This file is the orchestration only: what happens when a write arrives, a call returns, the
// node closes. Each job has a module of its own: admission.ts (what the queue holds), batching.ts
// (the next call), inflight.ts (calls in flight, the AIMD window), sender.ts (one call and its
// answer), retrier.ts (writes a call did not write), settlement.ts (how a write ends),
// availability.ts (DynamoDB down, probes), handover.ts (closing), wakeup.ts (the one timer).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSize } from '../item/encoding';
import { Admission } from './admission';
import { Availability, type PauseState } from './availability';
import { CallPicker } from './batching';
import { MemoryStore, type WriteStore } from './disk-buffer';
import { HandOver } from './handover';
import { HotKeys } from './hot-keys';
import { InFlight } from './inflight';
import { SinkMetrics } from './metrics';
import { WriteQueue, parseWrite, serializeWrite, type QueuedWrite, type WriteListener, type WriteRequest } from './queue';
import { Retrier } from './retrier';
import type { BackoffPolicy } from './retry';
import { CallSender } from './sender';
import { Settlement, type UnreadableWrite } from './settlement';
import { TableCreation, type CreateTableSettings } from './table-creation';
import { WriteRate, unitsOf, type WriteRateState } from './write-rate';
import { Wakeup } from './wakeup';
import { words } from '../../words';
import type { ErrorCause } from '../connection/errors';

export { MAX_BATCH_WRITES } from './batching';
export type { PauseState } from './availability';

export type QueryMode = 'sync' | 'async';

export interface WriterLog {
  info(text: string): void;
  warn(text: string): void;
}

export interface BatchWriterOptions {
  client: DynamoDBClient;
  queryMode: QueryMode;
  batchSize: number;
  batchTime: number;
  inflightWindow: number;
  requestTtl: number;
  maxBufferBytes: number;
  /** Most write capacity units per second to spend; 0 or absent = only the adaptive rate. */
  maxWriteUnits?: number;
  store?: WriteStore;
  metrics?: SinkMetrics;
  backoff?: BackoffPolicy;
  /** e.g. `http://127.0.0.1:8000 (region us-west-2)`, for error messages. */
  describeEndpoint?: () => string;
  /** The client's ms per HTTP attempt, to word timeouts. */
  requestTimeout?: number;
  log?: WriterLog;
  /** A call failed for lack of a connection: the connector may want to check health now. */
  onConnectionError?: () => void;
  /** Counters, pause state or last error changed (the node throttles its status). */
  onChange?: () => void;
  /** A write went through while the connector said DynamoDB was down: worth a health check. */
  onWrittenWhilePaused?: () => void;
  /**
   * A write whose condition failed (DESIGN.md 1.3): `skip` (default) acknowledges it as
   * dropped.condition, `error` fails it.
   */
  onConditionFailed?: 'skip' | 'error';
  /** ms after its first attempt that a write with a ClientRequestToken may be retried (tests shorten it). */
  clientTokenWindowMs?: number;
  /**
   * Make a missing table on a put or update to it (DESIGN.md 1.3 createTable; table-creation.ts):
   * the sink's keys and TTL attribute. Absent: a missing table fails the write.
   */
  createTable?: CreateTableSettings;
  /**
   * A write in flight when close() stopped waiting needs another attempt (DESIGN.md 6: a writer
   * that has closed takes nothing back). It stays counted as queuing; the receiver (the sink,
   * for the node's successor) must adopt it with `counted: true` or drop it. Without this
   * option, or after close(..., drop), it ends as dropped.resource_stopped.
   */
  onHandOff?: (w: QueuedWrite) => void;
}

export interface AdoptOptions {
  /** The writes are already counted in this writer's metrics (a SinkMetrics shared across instances). */
  counted?: boolean;
}

export interface EnqueueOptions {
  /** Memory the caller keeps alive until the listener is called (the message), in bytes. */
  retainedBytes?: number;
  /** The item's size (`itemSize`), when the caller has it already (encodeItem measures it). */
  itemBytes?: number;
}

export class BatchWriter {
  readonly metrics: SinkMetrics;
  private readonly queue = new WriteQueue();
  private readonly store: WriteStore;
  /** The store keeps records (disk): writes are serialized once for it, and settled in it. */
  private readonly persistent: boolean;
  private nextSeq = 1;
  private readonly health = new Availability();
  private readonly rate: WriteRate;
  private readonly hot = new HotKeys();
  private readonly inflight: InFlight;
  private readonly settlement: Settlement;
  private readonly admission: Admission;
  private readonly picker: CallPicker;
  private readonly handOver: HandOver;
  private readonly retrier: Retrier;
  private readonly sender: CallSender;
  private readonly wakeup = new Wakeup(() => this.pump());

  constructor(private readonly options: BatchWriterOptions) {
    const sync = options.queryMode === 'sync';
    this.rate = new WriteRate(options.maxWriteUnits ?? 0);
    this.metrics = options.metrics ?? new SinkMetrics();
    this.store = options.store ?? new MemoryStore();
    this.persistent = this.store.kind !== 'memory';
    this.inflight = new InFlight(this.queue, this.metrics, options.inflightWindow, sync);
    this.settlement = new Settlement(this.metrics, this.store, this.health, options);
    this.admission = new Admission(this.queue, this.metrics, this.settlement, this.health, options);
    this.picker = new CallPicker(this.queue, this.inflight.keys, this.rate, options.batchSize, sync, this.hot);
    this.handOver = new HandOver(this.queue, this.settlement, options);
    this.retrier = new Retrier(this.metrics, this.settlement, this.inflight, this.rate, this.health, this.handOver, this.hot, options);
    const returned = (call: QueuedWrite[]): void => this.returned(call);
    if (options.createTable) {
      const changed = (): void => {
        this.options.onChange?.();
        this.wake(0);
      };
      this.retrier.tables = new TableCreation(this.queue, this.metrics, this.settlement, this.handOver, options.createTable, options, changed);
    }
    this.sender = new CallSender(this.metrics, this.inflight, this.rate, this.settlement, this.retrier, this.handOver, this.hot, options, returned);
  }

  /** The last error in words, for the node status; cleared by nothing (it is history). */
  get lastError(): string | undefined {
    return this.settlement.lastError;
  }

  /** Set by the node (a message it refused): its cause is read from the words (causeOf). */
  set lastError(message: string | undefined) {
    this.settlement.lastError = message;
    this.settlement.lastCause = undefined;
  }

  /** lastError's one-word cause in any language, where the writer knows it. */
  get lastCause(): ErrorCause | undefined {
    return this.settlement.lastCause;
  }

  /**
   * Takes back the writes a disk store kept from the last run; returns how many are queued
   * again (what will be written or fail, each counted). A record that does not read back is
   * counted as failed (no message to fail: the warning names its file and byte offset) and
   * settled, so it is reported once. `handedOver` (by seq): the same writes as the node's
   * previous instance in this process held them, so they keep their message's listener and
   * their requestTtl deadline, and are not counted again (the instances share their metrics);
   * the entries found on disk are removed from the map. `listener`: for the other restored
   * writes, whose messages did not survive the restart.
   */
  restore(handedOver?: Map<number, QueuedWrite>, listener?: WriteListener): number {
    const now = Date.now();
    const { writes, unreadable, maxSeq } = this.store.restore();
    this.nextSeq = Math.max(this.nextSeq, maxSeq + 1);
    const bad: UnreadableWrite[] = unreadable.map((u) => ({ ...u, why: u.reason }));
    let restored = 0;
    // A backlog bigger than maxBufferBytes loses its oldest as queue_full (counted, logged once):
    // those are not "restored", so the number logged is what will be written or fail.
    const fullBefore = this.metrics.dropsFor('queue_full');
    for (const s of writes) {
      let req: WriteRequest;
      try {
        req = parseWrite(s.record);
      } catch (err) {
        bad.push({ file: s.file ?? '', offset: s.offset ?? 0, seq: s.seq, why: (err as Error).message });
        this.store.settle([s.seq]);
        continue;
      }
      // The time Node-RED was stopped does not count against requestTtl: surviving the restart
      // is the point of the disk buffer.
      const before = handedOver?.get(s.seq);
      if (before) handedOver!.delete(s.seq);
      // A handed-over write is counted (queuing) already, in the metrics the instances share.
      this.admission.admit(req, s.seq, now, before ? undefined : listener, 0, itemSize(req.item), before, before !== undefined);
      restored += 1;
    }
    this.settlement.unreadable(bad);
    if (restored > 0) this.wake(0);
    return restored - (this.metrics.dropsFor('queue_full') - fullBefore);
  }

  /**
   * Takes over writes another writer (the same node before a redeploy, or a backlog moved in)
   * could not finish, with their listeners, attempts and requestTtl deadlines when they have
   * them (a message's whole life, DESIGN.md 6). Returns how many a disk store could not keep
   * (they are queued in memory).
   */
  adopt(writes: QueuedWrite[], options: AdoptOptions = {}): number {
    const now = Date.now();
    let unstored = 0;
    for (const w of writes) {
      const seq = this.nextSeq++;
      try {
        if (this.persistent) this.store.append({ seq, enqueuedAt: w.enqueuedAt, record: serializeWrite(w) });
      } catch (err) {
        // Still queued in memory: written in this process, only not kept across a restart.
        if (unstored++ === 0) this.options.log?.warn(words('delivery.adopt.memoryOnly', '__error__ Writes taken over from before the redeploy stay in memory only.', { error: (err as Error).message }));
      }
      this.admission.admit(w, seq, now, w.listener, 0, itemSize(w.item), w, options.counted);
    }
    if (writes.length > 0) this.wake(0);
    return unstored;
  }

  enqueue(req: WriteRequest, listener?: WriteListener, options: EnqueueOptions = {}): void {
    if (this.handOver.closed) throw new Error(words('delivery.writer.closed', 'the DynamoDB writer is closed'));
    const seq = this.nextSeq++;
    const now = Date.now();
    if (this.persistent) {
      try {
        this.store.append({ seq, enqueuedAt: now, record: serializeWrite(req) });
      } catch (err) {
        this.settlement.refused(err as Error, listener);
        return;
      }
    }
    this.admission.admit(req, seq, now, listener, options.retainedBytes ?? 0, options.itemBytes ?? itemSize(req.item));
    const first = this.queue.first();
    if (!first) return;
    // A full batch and room in the window: send it now. Node-RED hands a burst over in one
    // run of immediates, before any timer fires; sending from here lets DynamoDB work on the
    // first calls while the rest of the burst is still being queued (issue 14: burst rate).
    if (this.queue.length >= this.options.batchSize && !this.health.pause && this.inflight.calls < this.inflight.allowed()) {
      this.pump();
      return;
    }
    // Most enqueues find the pump already due sooner: no timer work for them.
    const at = this.flushDue(now) ? now : first.enqueuedAt + this.options.batchTime;
    if (this.wakeup.dueBy(at)) return;
    this.wake(at - now);
  }

  /**
   * The queue holds a full window of calls' worth of writes (or DynamoDB is down): a new write
   * adds nothing the next calls need, so the sink may take it a little later (dynamodb-sink-intake.ts).
   */
  backlogged(): boolean {
    return this.health.pause !== undefined || this.admission.backlogged(this.inflight.allowed());
  }

  /** close() has finished taking writes: enqueue would throw. */
  get isClosed(): boolean {
    return this.handOver.closed;
  }

  /** The connector's health: while DynamoDB is down nothing is sent and writes wait. */
  setAvailable(available: boolean, reason = available ? '' : words('delivery.writer.unreachable', 'DynamoDB unreachable')): void {
    if (!this.health.set(available, reason)) return;
    this.options.onChange?.();
    if (available) this.wake(0);
  }

  paused(): PauseState | undefined {
    return this.health.pause;
  }

  queuedBytes(): number {
    return this.queue.bytes;
  }

  /** The write-capacity limits in force (maxWriteUnits, the adaptive rate while throttled). */
  writeRate(): WriteRateState {
    return this.rate.state();
  }

  /** Partition keys DynamoDB throttles now for their key range (hot keys, hot-keys.ts). */
  hotKeys(now = Date.now()): number {
    this.hot.sweep(now);
    return this.hot.size;
  }

  /**
   * Stops taking writes and sends what it can within `timeoutMs`, then waits up to
   * `settleTimeoutMs` for calls in flight. Returns the writes still queued; a disk store keeps
   * them for the next start, and they are not counted dropped. With `drop`, they are dropped as
   * resource_stopped (the node was deleted).
   *
   * Calls still in flight after that settle later: a write they leave unwritten is never taken
   * back into this closed queue (nothing would read it). In memory mode it goes to `onHandOff`
   * (else, or with `drop`, it is dropped as resource_stopped); with a disk store (no `drop`) the
   * calls are released at once: their writes stay unsettled on disk, are returned with the
   * queued ones (counted queuing again), and whatever the late call answers is ignored, so the
   * next instance sends them again (at least once, as after a crash).
   */
  async close(timeoutMs: number, settleTimeoutMs = 15000, drop = false): Promise<QueuedWrite[]> {
    this.handOver.closing = true;
    this.wake(0);
    const flushDeadline = Date.now() + timeoutMs;
    // While DynamoDB is down there is nothing to flush into: only wait for calls in flight.
    while ((this.queue.length > 0 || this.inflight.calls > 0) && !this.health.pause && Date.now() < flushDeadline) {
      await this.handOver.nextSettle(flushDeadline - Date.now());
    }
    this.handOver.closed = true;
    this.handOver.dropLate = drop;
    this.wakeup.clear();
    const settleDeadline = Date.now() + settleTimeoutMs;
    while (this.inflight.calls > 0 && Date.now() < settleDeadline) {
      await this.handOver.nextSettle(settleDeadline - Date.now());
    }
    const left = [...this.queue];
    for (const w of left) this.queue.remove(w);
    if (this.persistent && !drop && this.inflight.writes.size > 0) {
      this.handOver.released = true;
      left.push(...this.inflight.release());
      left.sort((a, b) => a.seq - b.seq);
    }
    // Kept writes stay counted as queuing: they are, on disk or in the next instance.
    if (drop) {
      for (const w of left) this.settlement.drop(w, 'resource_stopped', words('delivery.dropped.removed', 'the sink node was removed before it could write it'));
    }
    this.admission.endDropBurst();
    this.store.close();
    return drop ? [] : left;
  }

  private flushDue(now: number): boolean {
    const first = this.queue.first();
    if (!first) return false;
    return this.handOver.closing || this.queue.length >= this.options.batchSize || now - first.enqueuedAt >= this.options.batchTime;
  }

  private wake(delayMs: number): void {
    if (!this.handOver.closed) this.wakeup.set(delayMs);
  }

  private pump(): void {
    if (this.handOver.closed) return;
    const now = Date.now();
    this.admission.expire(now);
    const first = this.queue.first();
    if (!first) return;
    if (this.health.pause) {
      // Writes wait while DynamoDB is down; one probe call at a time tests that it still is.
      if (this.inflight.calls === 0 && now >= this.health.probeAt) {
        const call = this.picker.pick(now);
        if (call.length > 0) {
          this.health.probed(now);
          this.send(call);
        }
      }
      const head = this.queue.first();
      if (head) this.wake(Math.min(Math.max(this.health.probeAt, head.notBefore), head.deadline) - now);
      return;
    }
    if (!this.flushDue(now)) {
      this.wake(first.enqueuedAt + this.options.batchTime - now);
      return;
    }
    const window = this.inflight.allowed();
    let nextReady = Infinity;
    while (this.inflight.calls < window) {
      const call = this.picker.pick(now);
      nextReady = Math.min(nextReady, this.picker.waitUntil);
      if (call.length === 0) break;
      // Write capacity is spent before the call; short of it, the whole sink waits.
      const wait = this.rate.reserve(unitsOf(call), now);
      if (wait > 0) {
        nextReady = Math.min(nextReady, now + wait);
        break;
      }
      this.send(call);
    }
    const head = this.queue.first();
    if (head) this.wake(Math.min(nextReady, head.deadline) - now);
  }

  private send(call: QueuedWrite[]): void {
    this.inflight.begin(call);
    void this.sender.send(call);
  }

  /** A call has returned: its writes are settled or queued again; the next calls may go. */
  private returned(call: QueuedWrite[]): void {
    this.inflight.end(call);
    this.options.onChange?.();
    this.handOver.notifySettled();
    this.pump();
  }
}
