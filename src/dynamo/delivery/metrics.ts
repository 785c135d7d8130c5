// The sink's counters, with EMQX's names. Gauges (`queuing`, `inflight`) and totals are kept so
// that matched = success + failed + dropped + queuing + inflight holds at every moment.

/** Counter names as EMQX shows them for a data integration, in display order. */
export const COUNTER_NAMES = [
  'matched',
  'success',
  'failed',
  'dropped',
  'dropped.expired',
  'dropped.queue_full',
  'dropped.resource_stopped',
  'dropped.condition',
  'retried',
  'queuing',
  'inflight',
  'consumed.wcu',
  // Added after the others so their order (the sidebar's, Prometheus') stays as it was.
  'tables.created',
  'throttled.key_range',
  'throttled.budget',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
/** `condition`: a conditional write whose condition failed (a stale message), acknowledged. */
export type DropReason = 'expired' | 'queue_full' | 'resource_stopped' | 'condition';
export type MetricsSnapshot = Record<CounterName, number>;

export class SinkMetrics {
  matched = 0;
  success = 0;
  failed = 0;
  retried = 0;
  queuing = 0;
  inflight = 0;
  /** Write capacity units DynamoDB reported consumed (ReturnConsumedCapacity TOTAL); not a write count. */
  consumedWcu = 0;
  /**
   * Writes DynamoDB throttled with a reason (ThrottlingReasons, DESIGN.md 6): `keyRange`, a hot
   * partition key (TableWriteKeyRangeThroughputExceeded); `budget`, the table's or account's
   * throughput. Throttles without a reason (UnprocessedItems, older endpoints) count in neither.
   */
  throttledKeyRange = 0;
  throttledBudget = 0;
  /** Tables the sink made on demand (createTable, DESIGN.md 1.3); not a write count. */
  tablesCreated = 0;
  private readonly drops: Record<DropReason, number> = { expired: 0, queue_full: 0, resource_stopped: 0, condition: 0 };

  get dropped(): number {
    return this.drops.expired + this.drops.queue_full + this.drops.resource_stopped + this.drops.condition;
  }

  drop(reason: DropReason, count = 1): void {
    this.drops[reason] += count;
  }

  dropsFor(reason: DropReason): number {
    return this.drops[reason];
  }

  snapshot(): MetricsSnapshot {
    return {
      matched: this.matched,
      success: this.success,
      failed: this.failed,
      dropped: this.dropped,
      'dropped.expired': this.drops.expired,
      'dropped.queue_full': this.drops.queue_full,
      'dropped.resource_stopped': this.drops.resource_stopped,
      'dropped.condition': this.drops.condition,
      retried: this.retried,
      queuing: this.queuing,
      inflight: this.inflight,
      'consumed.wcu': this.consumedWcu,
      'throttled.key_range': this.throttledKeyRange,
      'throttled.budget': this.throttledBudget,
      'tables.created': this.tablesCreated,
    };
  }
}

/** True when the counters add up (EMQX's invariant); tests and the status check it. */
export function countersAddUp(m: MetricsSnapshot): boolean {
  return m.matched === m.success + m.failed + m.dropped + m.queuing + m.inflight;
}
