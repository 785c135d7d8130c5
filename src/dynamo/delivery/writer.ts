// BatchWriter: the sink's delivery engine (DESIGN.md 6). Queues writes (bounded by bytes),
// sends them in BatchWriteItem calls of at most 25 puts and deletes (batch-write.ts) or as
// single-item calls: updates and conditional writes (single-write.ts); it
// keeps at most `inflightWindow` calls in flight (1 and strict order in sync mode), re-sends
// only UnprocessedItems, retries what may succeed later with backoff inside requestTtl, splits
// a batch rejected as a whole, and waits while the connector reports DynamoDB down. Write
// capacity is paced for the whole sink (write-rate.ts): maxWriteUnits and the adaptive rate
// DynamoDB's throttling sets; throttled writes go back in order and out again in full batches.
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { batchItems, unprocessedKeys } from './batch-write';
import { itemSize } from '../item/encoding';
import { classifyError } from '../connection/errors';
import { MemoryStore, type WriteStore } from './disk-buffer';
import { SinkMetrics, type DropReason } from './metrics';
import {
  ENTRY_OVERHEAD_BYTES,
  WriteQueue,
  keyIdentity,
  parseWrite,
  requestBytes,
  serializeWrite,
  type QueuedWrite,
  type WriteListener,
  type WriteRequest,
} from './queue';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './retry';
import { CLIENT_TOKEN_WINDOW_MS, needsSingleCall, sendSingle, type ServerSupport } from './single-write';
import { WriteRate, writeUnits, type WriteRateState } from './write-rate';

/** DynamoDB's limit on writes per BatchWriteItem call. */
export const MAX_BATCH_WRITES = 25;
/** How far down the queue one call looks for writes whose key is not busy. */
const SCAN_LIMIT = 2000;
/**
 * While the connector says DynamoDB is down, one call at most this often tests whether writes
 * get through anyway: a refusal that no wait can cure (credentials, missing table) then fails
 * the messages at once instead of holding them until requestTtl.
 */
const PROBE_INTERVAL_MS = 1000;
/** A queue_full burst ends after this long without a drop; then it is logged once. */
const DROP_BURST_QUIET_MS = 1000;

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

/** Why the writer is not sending: DynamoDB down (from the connector's health check). */
export interface PauseState {
  reason: string;
  since: number;
}

export class BatchWriter {
  readonly metrics: SinkMetrics;
  /** The last error in words, for the node status; cleared by nothing (it is history). */
  lastError?: string;
  private readonly queue = new WriteQueue();
  private readonly store: WriteStore;
  /** The store keeps records (disk): writes are serialized once for it, and settled in it. */
  private readonly persistent: boolean;
  private readonly inflightKeys = new Set<string>();
  private inflightCalls = 0;
  private nextSeq = 1;
  private pause?: PauseState;
  private closing = false;
  private closed = false;
  /** After close(..., drop): writes that come back from a late call are dropped, not handed off. */
  private dropLate = false;
  /** Disk store, closed without drop: calls still in flight were released to the disk (see close). */
  private released = false;
  private readonly inflightWrites = new Set<QueuedWrite>();
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private dropBurst?: { count: number; bytes: number; timer: NodeJS.Timeout };
  private settledWaiters: (() => void)[] = [];
  private probeAt = 0;
  private readonly support: ServerSupport = { transactions: true };
  /**
   * Calls allowed in flight now: halved when DynamoDB throttles, fails or times out, grown by
   * one per call that goes through (AIMD), so a struggling server is not buried in retries.
   */
  private window: number;
  private readonly rate: WriteRate;

  constructor(private readonly options: BatchWriterOptions) {
    this.rate = new WriteRate(options.maxWriteUnits ?? 0);
    this.metrics = options.metrics ?? new SinkMetrics();
    this.store = options.store ?? new MemoryStore();
    this.persistent = this.store.kind !== 'memory';
    this.window = Math.max(1, options.inflightWindow);
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
    const bad = unreadable.map((u) => ({ ...u, why: u.reason }));
    let restored = 0;
    // A backlog bigger than maxBufferBytes loses its oldest as queue_full (counted, logged once):
    // those are not "restored", so the number logged is what will be written or fail.
    const fullBefore = this.metrics.dropsFor('queue_full');
    for (const s of writes) {
      let req: WriteRequest;
      try {
        req = parseWrite(s.record);
      } catch (err) {
        bad.push({ file: s.file ?? '', offset: s.offset ?? 0, seq: s.seq, reason: '', why: (err as Error).message });
        this.store.settle([s.seq]);
        continue;
      }
      // The time Node-RED was stopped does not count against requestTtl: surviving the restart
      // is the point of the disk buffer.
      const before = handedOver?.get(s.seq);
      if (before) handedOver!.delete(s.seq);
      // A handed-over write is counted (queuing) already, in the metrics the instances share.
      this.admit(req, s.seq, now, before ? undefined : listener, 0, itemSize(req.item), before, before !== undefined);
      restored += 1;
    }
    if (bad.length > 0) {
      this.metrics.matched += bad.length;
      this.metrics.failed += bad.length;
      const shown = bad.slice(0, 5).map((b) => `${b.file} at byte ${b.offset}${b.seq ? ` (seq ${b.seq})` : ''}: ${b.why}`);
      this.lastError = `${bad.length} buffered record${bad.length === 1 ? '' : 's'} could not be read back`;
      this.options.log?.warn(
        `${this.lastError} and will not be written (counted as failed): ${shown.join('; ')}` +
          `${bad.length > shown.length ? `; and ${bad.length - shown.length} more` : ''}`,
      );
    }
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
        if (unstored++ === 0) this.options.log?.warn(`${(err as Error).message} Writes taken over from before the redeploy stay in memory only.`);
      }
      this.admit(w, seq, now, w.listener, 0, itemSize(w.item), w, options.counted);
    }
    if (writes.length > 0) this.wake(0);
    return unstored;
  }

  enqueue(req: WriteRequest, listener?: WriteListener, options: EnqueueOptions = {}): void {
    if (this.closed) throw new Error('the DynamoDB writer is closed');
    const seq = this.nextSeq++;
    const now = Date.now();
    if (this.persistent) {
      try {
        this.store.append({ seq, enqueuedAt: now, record: serializeWrite(req) });
      } catch (err) {
        // The disk buffer cannot keep it (full, read-only, short write): fail this message at
        // once, counted; what is already on disk and queued goes on (DESIGN.md 6).
        this.metrics.matched += 1;
        this.metrics.failed += 1;
        this.lastError = (err as Error).message;
        this.options.onChange?.();
        listener?.failed(err as Error, 0);
        return;
      }
    }
    this.admit(req, seq, now, listener, options.retainedBytes ?? 0, options.itemBytes ?? itemSize(req.item));
    const first = this.queue.first();
    if (!first) return;
    // A full batch and room in the window: send it now. Node-RED hands a burst over in one
    // run of immediates, before any timer fires; sending from here lets DynamoDB work on the
    // first calls while the rest of the burst is still being queued (issue 14: burst rate).
    if (this.queue.length >= this.options.batchSize && !this.pause && this.inflightCalls < this.currentWindow()) {
      this.pump();
      return;
    }
    // Most enqueues find the pump already due sooner: no timer work for them.
    const at = this.flushDue(now) ? now : first.enqueuedAt + this.options.batchTime;
    if (this.wakeTimer && this.wakeAt <= at) return;
    this.wake(at - now);
  }

  /**
   * The queue holds a full window of calls' worth of writes (or DynamoDB is down): a new write
   * adds nothing the next calls need, so the sink may take it a little later (dynamodb-sink-intake.ts).
   */
  backlogged(): boolean {
    const perCall = Math.max(1, Math.min(this.options.batchSize, MAX_BATCH_WRITES));
    return this.pause !== undefined || this.queue.length >= this.currentWindow() * perCall;
  }

  /** close() has finished taking writes: enqueue would throw. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The connector's health: while DynamoDB is down nothing is sent and writes wait. */
  setAvailable(available: boolean, reason = 'DynamoDB unreachable'): void {
    if (available) {
      if (!this.pause) return;
      this.pause = undefined;
      this.options.onChange?.();
      this.wake(0);
    } else {
      if (this.pause?.reason === reason) return;
      this.pause = { reason, since: this.pause?.since ?? Date.now() };
      this.options.onChange?.();
    }
  }

  paused(): PauseState | undefined {
    return this.pause;
  }

  queuedBytes(): number {
    return this.queue.bytes;
  }

  /** The write-capacity limits in force (maxWriteUnits, the adaptive rate while throttled). */
  writeRate(): WriteRateState {
    return this.rate.state();
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
    this.closing = true;
    this.wake(0);
    const flushDeadline = Date.now() + timeoutMs;
    // While DynamoDB is down there is nothing to flush into: only wait for calls in flight.
    while ((this.queue.length > 0 || this.inflightCalls > 0) && !this.pause && Date.now() < flushDeadline) {
      await this.nextSettle(flushDeadline - Date.now());
    }
    this.closed = true;
    this.dropLate = drop;
    this.clearWake();
    const settleDeadline = Date.now() + settleTimeoutMs;
    while (this.inflightCalls > 0 && Date.now() < settleDeadline) {
      await this.nextSettle(settleDeadline - Date.now());
    }
    const left = [...this.queue];
    for (const w of left) this.queue.remove(w);
    if (this.persistent && !drop && this.inflightWrites.size > 0) {
      this.released = true;
      const inflight = [...this.inflightWrites].sort((a, b) => a.seq - b.seq);
      this.inflightWrites.clear();
      this.metrics.inflight -= inflight.length;
      this.metrics.queuing += inflight.length;
      left.push(...inflight);
      left.sort((a, b) => a.seq - b.seq);
    }
    // Kept writes stay counted as queuing: they are, on disk or in the next instance.
    if (drop) {
      for (const w of left) this.drop(w, 'resource_stopped', 'the sink node was removed before it could write it');
    }
    this.endDropBurst();
    this.store.close();
    return drop ? [] : left;
  }

  private admit(
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

  private dropOldest(w = this.queue.shift()): void {
    if (!w) return;
    this.queue.remove(w);
    this.drop(w, 'queue_full', `the queue held more than maxBufferBytes (${this.options.maxBufferBytes} bytes); the oldest writes go first`);
    if (!this.dropBurst) {
      this.dropBurst = { count: 0, bytes: 0, timer: setTimeout(() => this.endDropBurst(), DROP_BURST_QUIET_MS) };
    }
    this.dropBurst.count += 1;
    this.dropBurst.bytes += w.bytes;
    this.dropBurst.timer.refresh();
  }

  private endDropBurst(): void {
    const burst = this.dropBurst;
    if (!burst) return;
    clearTimeout(burst.timer);
    this.dropBurst = undefined;
    this.options.log?.warn(
      `queue full (maxBufferBytes ${this.options.maxBufferBytes}): dropped the ${burst.count} oldest queued ` +
        `writes (${burst.bytes} bytes), counted as dropped.queue_full. Raise maxBufferBytes or check why DynamoDB ` +
        `is not keeping up${this.pause ? ` (now: ${this.pause.reason})` : ''}.`,
    );
  }

  /** Counts and reports a write that leaves the queue without being written. */
  private drop(w: QueuedWrite, reason: Exclude<DropReason, 'condition'>, why?: string): void {
    this.metrics.queuing -= 1;
    this.metrics.drop(reason);
    if (this.persistent) this.store.settle([w.seq]);
    const err = new Error(`${this.describeWrite(w)} was dropped (${reason}): ${why ?? reason}`);
    // queue_full is logged once per burst (endDropBurst), not once per message.
    if (reason !== 'queue_full') this.lastError = err.message;
    w.listener?.dropped(reason, err, w.attempts);
    this.options.onChange?.();
  }

  private describeWrite(w: QueuedWrite): string {
    const endpoint = this.options.describeEndpoint?.();
    return `${w.operation} to table "${w.table}"${endpoint ? ` at ${endpoint}` : ''}`;
  }

  private flushDue(now: number): boolean {
    const first = this.queue.first();
    if (!first) return false;
    return this.closing || this.queue.length >= this.options.batchSize || now - first.enqueuedAt >= this.options.batchTime;
  }

  private wake(delayMs: number): void {
    if (this.closed) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.wakeTimer && at >= this.wakeAt) return;
    this.clearWake();
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, Math.max(0, delayMs));
  }

  private clearWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    this.expire(now);
    const first = this.queue.first();
    if (!first) return;
    if (this.pause) {
      // Writes wait while DynamoDB is down; one probe call at a time tests that it still is.
      if (this.inflightCalls === 0 && now >= this.probeAt) {
        const { call } = this.selectCall(now);
        if (call.length > 0) {
          this.probeAt = now + PROBE_INTERVAL_MS;
          void this.send(call);
        }
      }
      const head = this.queue.first();
      if (head) this.wake(Math.min(Math.max(this.probeAt, head.notBefore), head.deadline) - now);
      return;
    }
    if (!this.flushDue(now)) {
      this.wake(first.enqueuedAt + this.options.batchTime - now);
      return;
    }
    const window = this.currentWindow();
    let nextReady = Infinity;
    while (this.inflightCalls < window) {
      const { call, waitUntil } = this.selectCall(now);
      nextReady = Math.min(nextReady, waitUntil);
      if (call.length === 0) break;
      // Write capacity is spent before the call; short of it, the whole sink waits.
      const wait = this.rate.reserve(unitsOf(call), now);
      if (wait > 0) {
        nextReady = Math.min(nextReady, now + wait);
        break;
      }
      void this.send(call);
    }
    const head = this.queue.first();
    if (head) this.wake(Math.min(nextReady, head.deadline) - now);
  }

  /** Drops what waited past requestTtl; the queue is in deadline order. */
  private expire(now: number): void {
    for (let w = this.queue.first(); w && w.deadline <= now; w = this.queue.first()) {
      this.queue.remove(w);
      this.expireWrite(w);
    }
  }

  private expireWrite(w: QueuedWrite): void {
    const last = w.lastError ? `; last error: ${w.lastError}` : this.pause ? `; ${this.pause.reason}` : '';
    this.drop(
      w,
      'expired',
      `not written within requestTtl ${this.options.requestTtl} ms (${w.attempts} attempt${w.attempts === 1 ? '' : 's'}${last}). ` +
        'Raise requestTtl or find out why DynamoDB does not accept the writes.',
    );
    // With a listener the node reports it (done(err) logs and reaches Catch nodes); writes
    // restored from disk have none, so the writer logs them itself.
    if (!w.listener) this.options.log?.warn(`${this.describeWrite(w)} expired after ${this.options.requestTtl} ms (dropped.expired)${last}`);
  }

  /**
   * The next call: one single-item write (an update or a conditional write), or up to
   * min(batchSize, 25) puts/deletes with distinct keys, of one or more tables.
   * A write whose key is in flight, or waits for a retry, holds back later writes to that key;
   * sync mode takes writes strictly in order and stops at the first that cannot go.
   */
  private selectCall(now: number): { call: QueuedWrite[]; waitUntil: number } {
    const sync = this.options.queryMode === 'sync';
    const cap = Math.max(1, Math.min(this.options.batchSize, MAX_BATCH_WRITES));
    // A call costs at most what the write-capacity limit gives in a second.
    const unitCap = this.rate.callLimit(now);
    let units = 0;
    // Keys passed over in this scan; keys in flight are looked up in place, not copied per call.
    const busy = new Set<string>();
    const inflight = this.inflightKeys;
    const call: QueuedWrite[] = [];
    let waitUntil = Infinity;
    let scanned = 0;
    // The list itself, not its generator: nothing is removed while this scans.
    for (let w = this.queue.first(); w; w = w.next) {
      if (++scanned > SCAN_LIMIT) break;
      const waiting = w.notBefore > now;
      if (waiting) waitUntil = Math.min(waitUntil, w.notBefore);
      if (waiting || inflight.has(w.keyId) || busy.has(w.keyId)) {
        if (sync) break;
        busy.add(w.keyId);
        continue;
      }
      const alone = w.solo || needsSingleCall(w);
      if (alone) {
        if (call.length === 0) return { call: [w], waitUntil };
        if (sync) break;
        busy.add(w.keyId);
        continue;
      }
      if (units + w.units > unitCap && call.length > 0) break;
      call.push(w);
      units += w.units;
      busy.add(w.keyId);
      if (call.length >= cap) break;
    }
    return { call, waitUntil };
  }

  private async send(call: QueuedWrite[]): Promise<void> {
    this.inflightCalls += 1;
    for (const w of call) {
      this.queue.remove(w);
      this.inflightKeys.add(w.keyId);
      this.inflightWrites.add(w);
      w.attempts += 1;
      if (w.expression?.token !== undefined) w.expression.firstSentAt ??= Date.now();
    }
    this.metrics.queuing -= call.length;
    this.metrics.inflight += call.length;
    const requests: WriteRequest[] = call;
    // requestTtl bounds a message's whole life, attempts in flight included (DESIGN.md 6): the
    // call is aborted when the first of its writes runs out of time.
    const ttl = new AbortController();
    let deadline = Infinity;
    for (const w of call) deadline = Math.min(deadline, w.deadline);
    const ttlTimer = setTimeout(() => ttl.abort(), Math.max(0, deadline - Date.now()));
    const sendOptions = { abortSignal: ttl.signal };
    const sentAt = Date.now();
    try {
      if (needsSingleCall(call[0])) {
        const outcome = await sendSingle(this.options.client, call[0], call[0].attempts, this.support, () =>
          this.options.log?.warn(
            `${this.options.describeEndpoint?.() ?? 'this DynamoDB server'} has no TransactWriteItems: non-idempotent updates ` +
              '(ADD, list_append, + / -) go as UpdateItem and may be applied twice when an answer is lost and the write is retried',
          ),
          { ...sendOptions, onConsumed: (reported) => this.consumed(reported, call, sentAt) },
        );
        if (this.released) return;
        this.widenWindow();
        if (outcome === 'written') this.settleWritten(call);
        else this.settleCondition(call[0]);
      } else {
        const out = await this.options.client.send(
          new BatchWriteItemCommand({ RequestItems: batchItems(requests), ReturnConsumedCapacity: 'TOTAL' }),
          sendOptions,
        );
        if (this.released) return;
        const unprocessed = unprocessedKeys(out.UnprocessedItems, call, requests);
        const written = unprocessed.size > 0 ? call.filter((w) => !unprocessed.has(w.keyId)) : call;
        this.consumed(out.ConsumedCapacity, written, sentAt, unprocessed.size === 0);
        // UnprocessedItems is DynamoDB's way of throttling part of a batch: the whole sink slows
        // down, and these go back in their place to go out again in full batches.
        if (unprocessed.size > 0) {
          this.narrowWindow();
          this.rate.throttled(sentAt, Date.now(), unitsOf(call) - unitsOf(written));
        } else this.widenWindow();
        this.settleWritten(written);
        if (unprocessed.size > 0) {
          const now = Date.now();
          for (const w of call) if (unprocessed.has(w.keyId)) this.retry(w, 'UnprocessedItems (DynamoDB did not take every write of the batch)', now);
        }
      }
    } catch (err) {
      if (this.released) return;
      if (ttl.signal.aborted) {
        // Past its deadline a write expires (retry() finds no time left); the others try again.
        this.narrowWindow();
        // The last error is still the best reason to give (the abort itself says nothing new).
        const now = Date.now();
        for (const w of call) this.retry(w, w.lastError ?? 'requestTtl ran out while a call was in flight', now);
      } else {
        this.settleError(call, err, sentAt);
      }
    } finally {
      clearTimeout(ttlTimer);
      for (const w of call) {
        this.inflightKeys.delete(w.keyId);
        this.inflightWrites.delete(w);
      }
      this.inflightCalls -= 1;
      this.options.onChange?.();
      this.notifySettled();
      this.pump();
    }
  }

  private settleWritten(writes: QueuedWrite[]): void {
    if (writes.length === 0) return;
    // Still one probe per interval: the connector's health check decides when all may flow.
    if (this.pause) this.options.onWrittenWhilePaused?.();
    this.metrics.inflight -= writes.length;
    this.metrics.success += writes.length;
    if (this.persistent) this.store.settle(writes.map((w) => w.seq));
    for (const w of writes) w.listener?.written(w.attempts);
  }

  /** The condition failed: a stale message, skipped (dropped.condition) or failed as the sink says. */
  private settleCondition(w: QueuedWrite): void {
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
        ? `${this.describeWrite(w)}: DynamoDB refused it with ConditionalCheckFailedException although the sink set no condition`
        : `${this.describeWrite(w)}: the condition failed (ConditionalCheckFailedException): ${condition.replace(/#c\d+/g, (alias) => names[alias] ?? alias)}`;
    this.lastError = message;
    w.listener?.failed(new Error(message), w.attempts);
  }

  /** Counts the capacity DynamoDB reports (ReturnConsumedCapacity TOTAL) and tells the rate. */
  private consumed(reported: { CapacityUnits?: number }[] | undefined, written: QueuedWrite[], sentAt: number, whole = true): void {
    let units = 0;
    for (const c of reported ?? []) units += c.CapacityUnits ?? 0;
    this.metrics.consumedWcu += units;
    // A server that does not report capacity (some local ones): the writes' own count.
    this.rate.granted(reported ? units : unitsOf(written), sentAt, Date.now(), whole);
  }

  private settleError(call: QueuedWrite[], err: unknown, sentAt = Date.now()): void {
    const c = classifyError(err, {
      table: call[0].table,
      endpoint: this.options.describeEndpoint?.(),
      requestTimeout: this.options.requestTimeout,
    });
    if (c.retryable) {
      if (c.kind === 'network' || c.kind === 'timeout') this.options.onConnectionError?.();
      this.narrowWindow();
      const now = Date.now();
      let at: number;
      if (c.kind === 'throttle') {
        // Throttled: the shared rate decides when the sink sends again, not a timer per write.
        this.rate.throttled(sentAt, now, unitsOf(call));
        at = now;
      } else {
        // One backoff for the whole call, so its writes go out again together.
        at = now + backoffDelay(Math.max(...call.map((w) => w.attempts)), this.options.backoff ?? DEFAULT_BACKOFF);
      }
      for (const w of call) this.retry(w, c.message, at);
      return;
    }
    if ((c.kind === 'validation' || (c.kind === 'not_found' && call.some((w) => w.table !== call[0].table))) && call.length > 1) {
      // One bad write (or one missing table of several) makes DynamoDB refuse the whole batch:
      // send each alone, so the good ones are written and only the bad one fails.
      for (const w of call) {
        w.solo = true;
        w.notBefore = 0;
        this.metrics.inflight -= 1;
        this.metrics.queuing += 1;
        this.metrics.retried += 1;
        this.requeue(w);
      }
      return;
    }
    // A definite answer: the next probe need not wait.
    this.probeAt = 0;
    this.metrics.inflight -= call.length;
    this.metrics.failed += call.length;
    if (this.persistent) this.store.settle(call.map((w) => w.seq));
    const message = `${call[0].operation} failed: ${c.message}`;
    this.lastError = message;
    for (const w of call) w.listener?.failed(new Error(message), w.attempts);
  }

  /** Calls allowed in flight now: 1 in sync mode, else the AIMD window. */
  private currentWindow(): number {
    return this.options.queryMode === 'sync' ? 1 : Math.max(1, Math.floor(this.window));
  }

  private narrowWindow(): void {
    this.window = Math.max(1, this.window / 2);
  }

  private widenWindow(): void {
    this.window = Math.min(Math.max(1, this.options.inflightWindow), this.window + 1);
  }

  /** Queues `w` again, not to be sent before `at`; past its requestTtl deadline it expires instead. */
  private retry(w: QueuedWrite, why: string, at: number): void {
    w.lastError = why;
    this.lastError = why;
    this.metrics.inflight -= 1;
    const tokenWindow = this.options.clientTokenWindowMs ?? CLIENT_TOKEN_WINDOW_MS;
    const firstSentAt = w.expression?.token !== undefined ? w.expression.firstSentAt : undefined;
    if (at < w.deadline && firstSentAt !== undefined && at >= firstSentAt + tokenWindow) {
      // Past the token's window DynamoDB would apply the update again if an earlier attempt went
      // through: not retrying is the only way to never apply it twice.
      this.metrics.queuing += 1; // drop() takes it off the queuing count
      this.drop(
        w,
        'expired',
        `not written within ${Math.round(tokenWindow / 1000)} s of its first attempt, after which DynamoDB forgets its ClientRequestToken ` +
          `and a retry could apply the update twice (${w.attempts} attempts; last error: ${why})`,
      );
      return;
    }
    if (at >= w.deadline) {
      this.metrics.queuing += 1; // drop() takes it off the queuing count
      this.expireWrite(w);
      return;
    }
    w.notBefore = at;
    this.metrics.queuing += 1;
    this.metrics.retried += 1;
    this.requeue(w);
  }

  /** A write back from a call, counted queuing: into the queue, or, once closed, to the successor. */
  private requeue(w: QueuedWrite): void {
    // A disk store closing without drop keeps what is unwritten: close() returns the queue (the
    // records stay on disk for the successor or the next start), so back into it until then.
    if (!this.closed || (this.persistent && !this.dropLate && !this.released)) {
      this.queue.insert(w);
      return;
    }
    if (!this.dropLate && this.options.onHandOff) {
      this.options.onHandOff(w);
      return;
    }
    this.drop(w, 'resource_stopped', 'the sink closed while this write was in flight, and it was not written');
  }

  private nextSettle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs));
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function unitsOf(writes: QueuedWrite[]): number {
  let units = 0;
  for (const w of writes) units += w.units;
  return units;
}
