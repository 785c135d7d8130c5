// The last minutes of every running dynamodb-sink's counters, sampled in the runtime so the
// sidebar's chart has history as soon as the editor opens (not only from when it started
// polling). Pure bookkeeping: the sampler hands in snapshots, the endpoint reads them out.
import type { MetricsSnapshot } from '../dynamo/delivery/metrics';

/** One sample: the time and the counters the chart draws (rates come from differences). */
export interface MetricsSample {
  t: number;
  success: number;
  failed: number;
  dropped: number;
  retried: number;
  queuing: number;
  inflight: number;
  /** consumed.wcu: write capacity units DynamoDB reported so far. */
  wcu: number;
}

export interface SinkHistory<Current> {
  id: string;
  /** The sink's latest full answer (counters, connection state, last error). */
  current: Current;
  samples: MetricsSample[];
}

export class SinkMetricsHistory<Current extends { counters: MetricsSnapshot }> {
  private readonly sinks = new Map<string, SinkHistory<Current>>();

  /**
   * keepMs: how far back samples are kept. minGapMs: a round closer than this to the previous
   * sample only refreshes `current`, so rates computed from neighbouring samples stay smooth.
   */
  constructor(
    private readonly keepMs: number,
    private readonly minGapMs = 0,
  ) {}

  /**
   * Records one sampling round: `running` holds every sink running now. Sinks no longer running
   * are forgotten; a sink whose counters went down (redeployed with the same id) starts over.
   */
  record(now: number, running: Map<string, Current>): void {
    for (const id of this.sinks.keys()) if (!running.has(id)) this.sinks.delete(id);
    for (const [id, current] of running) {
      const c = current.counters;
      const sample: MetricsSample = {
        t: now,
        success: c.success,
        failed: c.failed,
        dropped: c.dropped,
        retried: c.retried,
        queuing: c.queuing,
        inflight: c.inflight,
        wcu: c['consumed.wcu'] ?? 0,
      };
      let entry = this.sinks.get(id);
      const last = entry?.samples[entry.samples.length - 1];
      if (!entry || (last && sample.success < last.success)) {
        entry = { id, current, samples: [] };
        this.sinks.set(id, entry);
      }
      entry.current = current;
      if (last && entry.samples.length > 0 && now - last.t < this.minGapMs) continue;
      entry.samples.push(sample);
      const oldest = now - this.keepMs;
      while (entry.samples.length > 0 && entry.samples[0].t < oldest) entry.samples.shift();
    }
  }

  all(): SinkHistory<Current>[] {
    return [...this.sinks.values()];
  }
}
