// One call to DynamoDB (DESIGN.md 6): a BatchWriteItem of puts and deletes (batch-write.ts) or a
// single-item call (single-write.ts), aborted when the first of its writes runs out of
// requestTtl. The answer goes to the write rate (capacity consumed, or throttled), the window of
// calls in flight, and the writes' settlement or retry; then the writer takes its turn.
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { batchItems, unprocessedKeys } from './batch-write';
import type { HandOver } from './handover';
import { oneKeyUnprocessed, type HotKeys } from './hot-keys';
import type { InFlight } from './inflight';
import type { SinkMetrics } from './metrics';
import type { QueuedWrite, WriteRequest } from './queue';
import type { Retrier } from './retrier';
import type { Settlement } from './settlement';
import { needsSingleCall, sendSingle, type ServerSupport } from './single-write';
import { unitsOf, type WriteRate } from './write-rate';
import { words } from '../../words';

export interface SenderOptions {
  client: DynamoDBClient;
  /** e.g. `http://127.0.0.1:8000 (region us-west-2)`, for messages. */
  describeEndpoint?: () => string;
  log?: { warn(text: string): void };
}

export class CallSender {
  /** What this writer learned about its server: dynalite, for one, has no TransactWriteItems. */
  private readonly support: ServerSupport = { transactions: true };
  private readonly noTransactions = (): void =>
    this.options.log?.warn(
      words(
        'delivery.server.noTransactions',
        '__server__ has no TransactWriteItems: non-idempotent updates (ADD, list_append, + / -) go as UpdateItem and may be applied twice when an answer is lost and the write is retried',
        { server: this.options.describeEndpoint?.() ?? words('delivery.server.this', 'this DynamoDB server') },
      ),
    );

  constructor(
    private readonly metrics: SinkMetrics,
    private readonly inflight: InFlight,
    private readonly rate: WriteRate,
    private readonly settlement: Settlement,
    private readonly retrier: Retrier,
    private readonly handOver: HandOver,
    private readonly hot: HotKeys,
    private readonly options: SenderOptions,
    /** The call has returned, whatever its answer, and its writes are settled or queued again. */
    private readonly returned: (call: QueuedWrite[]) => void,
  ) {}

  /** Sends a call whose writes are in flight (InFlight.begin); never rejects. */
  async send(call: QueuedWrite[]): Promise<void> {
    const requests: WriteRequest[] = call;
    // requestTtl bounds a message's whole life, attempts in flight included (DESIGN.md 6): the
    // call is aborted when the first of its writes runs out of time.
    const ttl = new AbortController();
    let deadline = Infinity;
    for (const w of call) deadline = Math.min(deadline, w.deadline);
    const ttlTimer = setTimeout(() => ttl.abort(), Math.max(0, deadline - Date.now()));
    const sendOptions = { abortSignal: ttl.signal };
    const sentAt = Date.now();
    // A hot key's next write waits its interval (hot-keys.ts); nothing to do while none is hot.
    if (this.hot.size > 0) for (const w of call) this.hot.sent(w, sentAt);
    try {
      if (needsSingleCall(call[0])) {
        const outcome = await sendSingle(this.options.client, call[0], call[0].attempts, this.support, this.noTransactions, {
          ...sendOptions,
          onConsumed: (reported) => this.consumed(reported, call, sentAt),
        });
        if (this.handOver.released) return;
        this.retrier.proven(call, true);
        this.inflight.widen();
        if (this.hot.size > 0) this.hot.granted(call);
        if (outcome === 'written') this.settlement.written(call);
        else this.settlement.condition(call[0]);
      } else {
        const out = await this.options.client.send(
          new BatchWriteItemCommand({ RequestItems: batchItems(requests), ReturnConsumedCapacity: 'TOTAL' }),
          sendOptions,
        );
        if (this.handOver.released) return;
        this.retrier.proven(call, true);
        const unprocessed = unprocessedKeys(out.UnprocessedItems, call, requests);
        const written = unprocessed.size > 0 ? call.filter((w) => !unprocessed.has(w.keyId)) : call;
        const left = unprocessed.size > 0 ? call.filter((w) => unprocessed.has(w.keyId)) : [];
        // UnprocessedItems carry no reason. All of one partition key beside written writes of
        // other keys: most likely a hot key (DynamoDB writes the rest of a mixed batch), so they
        // go again alone now and that call's answer says why (Retrier.oneKeyLeft).
        const oneKey = oneKeyUnprocessed(call, left);
        this.consumed(out.ConsumedCapacity, written, sentAt, unprocessed.size === 0);
        // Otherwise UnprocessedItems is DynamoDB's way of throttling part of a batch: the whole
        // sink slows down, and these go back in their place to go out again in full batches.
        if (unprocessed.size === 0) this.inflight.widen();
        else if (!oneKey) {
          this.inflight.narrow();
          this.rate.throttled(sentAt, Date.now(), unitsOf(call) - unitsOf(written));
        }
        if (this.hot.size > 0) this.hot.granted(written);
        this.settlement.written(written);
        if (left.length > 0) {
          const now = Date.now();
          const why = words('delivery.retry.unprocessed', 'UnprocessedItems (DynamoDB did not take every write of the batch)');
          if (oneKey) this.retrier.oneKeyLeft(left, why, now);
          else for (const w of left) this.retrier.retry(w, why, now, 'throttled');
        }
      }
    } catch (err) {
      if (this.handOver.released) return;
      if (ttl.signal.aborted) {
        // No answer: a split write is not proven good (it expires, or is tried again).
        this.retrier.proven(call, false);
        // Past its deadline a write expires (retry() finds no time left); the others try again.
        this.inflight.narrow();
        // The last error is still the best reason to give (the abort itself says nothing new).
        const now = Date.now();
        for (const w of call) this.retrier.retry(w, w.lastError ?? words('delivery.retry.requestTtl', 'requestTtl ran out while a call was in flight'), now);
      } else {
        this.retrier.failed(call, err, sentAt);
      }
    } finally {
      clearTimeout(ttlTimer);
      this.returned(call);
    }
  }

  /** Counts the capacity DynamoDB reports (ReturnConsumedCapacity TOTAL) and tells the rate. */
  private consumed(reported: { CapacityUnits?: number }[] | undefined, written: QueuedWrite[], sentAt: number, whole = true): void {
    let units = 0;
    for (const c of reported ?? []) units += c.CapacityUnits ?? 0;
    this.metrics.consumedWcu += units;
    // A server that does not report capacity (some local ones): the writes' own count.
    this.rate.granted(reported ? units : unitsOf(written), sentAt, Date.now(), whole);
  }
}
