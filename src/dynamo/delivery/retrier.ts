// What becomes of writes a call did not write (DESIGN.md 6): after a throttle they wait for the
// sink's write rate, after another error that may pass they back off (retry.ts), always back in
// their place in the queue; a batch DynamoDB refused as a whole is split so only the bad write
// fails; a write past its requestTtl, or past its ClientRequestToken's window, expires instead;
// what no wait can cure fails.
import { classifyError, errorCause, type ErrorCause } from '../connection/errors';
import type { Availability } from './availability';
import type { HandOver } from './handover';
import { describePartition, onePartition, partitionOf, type HotKeys } from './hot-keys';
import type { InFlight } from './inflight';
import type { SinkMetrics } from './metrics';
import type { QueuedWrite } from './queue';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './retry';
import type { Settlement } from './settlement';
import { CLIENT_TOKEN_WINDOW_MS } from './single-write';
import type { TableCreation } from './table-creation';
import { unitsOf, type WriteRate } from './write-rate';
import { words } from '../../words';

export interface RetrierOptions {
  backoff?: BackoffPolicy;
  /** ms after its first attempt that a write with a ClientRequestToken may be retried. */
  clientTokenWindowMs?: number;
  describeEndpoint?: () => string;
  /** The client's ms per HTTP attempt, to word timeouts. */
  requestTimeout?: number;
  /** A call failed for lack of a connection: the connector may want to check health now. */
  onConnectionError?: () => void;
  log?: { warn(text: string): void };
}

export class Retrier {
  /** The last probe given to writes halved in the search for a hot key, or sent again alone (oneKeyLeft). */
  private probes = 0;
  /** Tables made on demand (DESIGN.md 1.3 createTable); absent when the sink makes none. */
  tables?: TableCreation;

  constructor(
    private readonly metrics: SinkMetrics,
    private readonly settlement: Settlement,
    private readonly inflight: InFlight,
    private readonly rate: WriteRate,
    private readonly health: Availability,
    private readonly handOver: HandOver,
    private readonly hot: HotKeys,
    private readonly options: RetrierOptions,
  ) {}

  /** A call failed (`sentAt`: when it went out): retried, split, or failed by what the error says. */
  failed(call: QueuedWrite[], err: unknown, sentAt: number): void {
    const c = classifyError(err, {
      table: call[0].table,
      endpoint: this.options.describeEndpoint?.(),
      requestTimeout: this.options.requestTimeout,
    });
    // A write split from a refused batch that is refused again alone was the bad one: it fails
    // without having been retried. One that may pass later was a good write sent again.
    this.proven(call, c.retryable);
    if (c.retryable) {
      if (c.kind === 'network' || c.kind === 'timeout') this.options.onConnectionError?.();
      if (c.throttle === 'key_range') {
        this.hotKey(call, c.message);
        return;
      }
      // A budget (the table's or account's throughput) slows the whole sink, as a throttle
      // without a reason does.
      if (c.throttle === 'budget') this.metrics.throttledBudget += call.length;
      this.inflight.narrow();
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
      for (const w of call) this.retry(w, c.message, at, errorCause(c));
      return;
    }
    if ((c.kind === 'validation' || (c.kind === 'not_found' && call.some((w) => w.table !== call[0].table))) && call.length > 1) {
      // One bad write (or one missing table of several) makes DynamoDB refuse the whole batch:
      // send each alone, so the good ones are written and only the bad one fails. Not counted
      // retried yet: only a write whose own answer shows it good was a write sent again
      // (DESIGN.md 6); the bad one (a missing table's write) is not retried (proven()).
      for (const w of call) {
        w.solo = true;
        w.splitProbe = true;
        w.notBefore = 0;
        this.metrics.inflight -= 1;
        this.metrics.queuing += 1;
        this.handOver.requeue(w);
      }
      return;
    }
    // A definite answer: the next probe need not wait.
    this.health.answered();
    // A missing table the sink makes (createTable): its puts and updates wait for it.
    if (c.kind === 'not_found' && this.tables) call = this.tables.hold(call, c.message);
    if (call.length > 0) this.settlement.failed(call, words('delivery.failed.call', '__operation__ failed: __error__', { operation: call[0].operation, error: c.message }), errorCause(c));
  }

  /**
   * DynamoDB throttled the call for a hot key range (TableWriteKeyRangeThroughputExceeded): only
   * the writes to that partition key slow down (hot-keys.ts); the sink's rate and window stay.
   * The reason names the table, not the key: a call of several partition keys is sent again
   * right away as two calls, each with half of its keys, and so on, so the answers narrow down to
   * the hot key in a few calls while the other keys' writes go through. The first throttle of a key's episode is logged, naming the key.
   */
  private hotKey(call: QueuedWrite[], why: string): void {
    this.metrics.throttledKeyRange += call.length;
    const now = Date.now();
    this.rate.refund(unitsOf(call), now);
    if (call.length > 1 && !onePartition(call)) {
      const keys = [...new Set(call.map(partitionOf))];
      const blamed = this.hot.suspect(keys, now);
      if (blamed !== undefined) {
        // Found: its writes slow down; the others go back to the ordinary calls.
        const rest = call.filter((w) => partitionOf(w) !== blamed);
        for (const w of rest) {
          w.probe = undefined;
          this.retry(w, why, now, 'hotKey');
        }
        this.slowDown(call.filter((w) => partitionOf(w) === blamed), why, now);
        return;
      }
      // Halved by partition key until one key is left (a few calls, not one per write).
      const first = new Set(keys.slice(0, Math.ceil(keys.length / 2)));
      const [a, b] = [++this.probes, ++this.probes];
      for (const w of call) {
        w.probe = first.has(partitionOf(w)) ? a : b;
        this.retry(w, why, now, 'hotKey');
      }
      return;
    }
    this.slowDown(call, why, now);
  }

  /**
   * `left`, the UnprocessedItems of one partition key from a call whose other writes were
   * written (oneKeyUnprocessed): sent again now in a call of their own (a probe of their own,
   * batching.ts), so DynamoDB's answer to that call says why: refused whole with
   * TableWriteKeyRangeThroughputExceeded, the key is hot (hotKey); with a budget reason, the sink
   * slows; written, nothing was wrong. Meanwhile neither the sink's rate nor its window change,
   * and their units go back to the rate (unwritten writes consumed nothing). Converges: a call
   * of their own partly written again goes on with fewer writes, so at most `left.length` calls.
   */
  oneKeyLeft(left: QueuedWrite[], why: string, now: number): void {
    this.rate.refund(unitsOf(left), now);
    const probe = ++this.probes;
    for (const w of left) {
      w.probe = probe;
      this.retry(w, why, now, 'throttled');
    }
  }

  /** Writes of one hot key: back in the queue at the key's own pace; its episode's first throttle is logged. */
  private slowDown(call: QueuedWrite[], why: string, now: number): void {
    for (const w of call) {
      const { at, fresh } = this.hot.throttled(w, now);
      if (fresh) {
        this.options.log?.warn(
          words('delivery.hotKey.log', '__key__ is a hot key: __why__. Its writes slow down to what DynamoDB takes; the other keys keep their rate (logged once per episode).', {
            key: describePartition(w),
            why,
          }),
        );
      }
      this.retry(w, why, at, 'hotKey');
    }
  }

  /**
   * A call of one write split from a refused batch has its answer: `good` (written, its
   * condition evaluated, or an error that may pass) means it was a good write, sent again:
   * counted retried now, once. Otherwise it was the write the batch was refused for.
   */
  proven(call: QueuedWrite[], good: boolean): void {
    const w = call[0];
    if (call.length !== 1 || w.splitProbe !== true) return;
    w.splitProbe = false;
    if (good) this.metrics.retried += 1;
  }

  /**
   * Queues `w` again, not to be sent before `at`; past its requestTtl deadline it expires
   * instead. Counted `retried` when it goes out again (InFlight.begin), not here.
   */
  retry(w: QueuedWrite, why: string, at: number, cause?: ErrorCause): void {
    w.lastError = why;
    this.settlement.lastError = why;
    this.settlement.lastCause = cause;
    this.metrics.inflight -= 1;
    const tokenWindow = this.options.clientTokenWindowMs ?? CLIENT_TOKEN_WINDOW_MS;
    const firstSentAt = w.expression?.token !== undefined ? w.expression.firstSentAt : undefined;
    if (at < w.deadline && firstSentAt !== undefined && at >= firstSentAt + tokenWindow) {
      // Past the token's window DynamoDB would apply the update again if an earlier attempt went
      // through: not retrying is the only way to never apply it twice.
      this.metrics.queuing += 1; // drop() takes it off the queuing count
      this.settlement.drop(
        w,
        'expired',
        words(
          'delivery.expired.tokenWindow',
          'not written within __s__ s of its first attempt, after which DynamoDB forgets its ClientRequestToken and a retry could apply the update twice (__attempts__ attempts; last error: __why__)',
          { s: Math.round(tokenWindow / 1000), attempts: w.attempts, why },
        ),
      );
      return;
    }
    if (at >= w.deadline) {
      this.metrics.queuing += 1; // drop() takes it off the queuing count
      this.settlement.expire(w);
      return;
    }
    w.notBefore = at;
    this.metrics.queuing += 1;
    this.handOver.requeue(w);
  }
}
