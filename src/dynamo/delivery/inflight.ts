// The calls in flight (DESIGN.md 6): how many, the keys they hold (a key in flight holds back later
// writes to it, so two writes to one item are never in flight together), and how many calls may
// be in flight at once.
import type { SinkMetrics } from './metrics';
import type { QueuedWrite, WriteQueue } from './queue';

export class InFlight {
  calls = 0;
  readonly keys = new Set<string>();
  readonly writes = new Set<QueuedWrite>();
  /**
   * Calls allowed in flight now: halved when DynamoDB throttles, fails or times out, grown by
   * one per call that goes through (AIMD), so a struggling server is not buried in retries.
   */
  private window: number;
  private readonly most: number;

  constructor(
    private readonly queue: WriteQueue,
    private readonly metrics: SinkMetrics,
    inflightWindow: number,
    /** Sync mode: one call at a time, in strict order. */
    private readonly sync: boolean,
  ) {
    this.most = Math.max(1, inflightWindow);
    this.window = this.most;
  }

  /** Calls allowed in flight now: 1 in sync mode, else the AIMD window. */
  allowed(): number {
    return this.sync ? 1 : Math.max(1, Math.floor(this.window));
  }

  narrow(): void {
    this.window = Math.max(1, this.window / 2);
  }

  widen(): void {
    this.window = Math.min(this.most, this.window + 1);
  }

  /**
   * A call's writes leave the queue for flight: one more attempt each. A write sent again is
   * counted `retried` here, when it goes (DESIGN.md 6: `retried` counts each write sent to
   * DynamoDB again, and nothing else: a write queued for a retry that expires first was not);
   * a write split from a refused batch is counted when its answer shows it was a good one
   * (Retrier.proven).
   */
  begin(call: QueuedWrite[]): void {
    this.calls += 1;
    for (const w of call) {
      this.queue.remove(w);
      this.keys.add(w.keyId);
      this.writes.add(w);
      if (w.attempts > 0 && w.splitProbe !== true) this.metrics.retried += 1;
      w.attempts += 1;
      if (w.expression?.token !== undefined) w.expression.firstSentAt ??= Date.now();
    }
    this.metrics.queuing -= call.length;
    this.metrics.inflight += call.length;
  }

  /** The call has returned and its writes are settled or queued again. */
  end(call: QueuedWrite[]): void {
    for (const w of call) {
      this.keys.delete(w.keyId);
      this.writes.delete(w);
    }
    this.calls -= 1;
  }

  /**
   * Takes the writes of the calls still in flight, oldest first, counted queuing again (close
   * with a disk store: they stay unsettled on disk; whatever their calls answer is ignored).
   */
  release(): QueuedWrite[] {
    const writes = [...this.writes].sort((a, b) => a.seq - b.seq);
    this.writes.clear();
    this.metrics.inflight -= writes.length;
    this.metrics.queuing += writes.length;
    return writes;
  }
}
