// Every running dynamodb-sink's and rule-sql's counters in Prometheus' text exposition format
// (DESIGN.md 5), for GET /dynamodb-sink/metrics?format=prometheus. prom-client writes the text
// (HELP/TYPE lines, label escaping, number formatting); a fresh registry per scrape holds the
// values read from the nodes at that moment, so nothing here keeps state between scrapes.
import { Counter, Gauge, Registry } from 'prom-client';
import { COUNTER_NAMES, type MetricsSnapshot } from '../dynamo/delivery/metrics';

/** The content type Prometheus expects for the text format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the endpoint needs of a running sink. */
export interface SinkSeries {
  id: string;
  name: string;
  table: string;
  counters: MetricsSnapshot;
}

/** What the endpoint needs of a running rule-sql node (EMQX's rule metrics). */
export interface RuleSeries {
  id: string;
  name: string;
  /**
   * matched, passed, failed (DESIGN.md 5); noResult (EMQX: failed.no_result, WHERE false); and,
   * for a rule with a window, late and evicted (its stream's counters since the node started).
   */
  counters: { matched: number; passed: number; failed: number; noResult?: number; late?: number; evicted?: number };
  /** A stateful rule's partitions forgotten over maxGroups (a total), open windows and partitions (gauges). */
  stream?: { forgotten: number; openWindows: number; partitions: number };
}

/** Gauges among the sink's counters (DESIGN.md 5): they go up and down; the rest are totals. */
const GAUGES = new Set(['queuing', 'inflight']);

const SINK_HELP: Record<string, string> = {
  matched: 'Writes the sink accepted (EMQX: matched)',
  success: 'Writes DynamoDB confirmed (EMQX: success)',
  failed: 'Writes that failed for good (EMQX: failed)',
  dropped: 'Writes dropped for any reason (EMQX: dropped)',
  'dropped.expired': 'Writes dropped because they were not written within requestTtl',
  'dropped.queue_full': 'Writes dropped because the queue held more than maxBufferBytes',
  'dropped.resource_stopped': 'Writes dropped because the sink was removed or stopped before writing them',
  'dropped.condition': 'Writes skipped because their condition expression did not hold',
  'consumed.wcu': 'Write capacity units DynamoDB reported as consumed (ReturnConsumedCapacity TOTAL)',
  retried: 'Retries of writes (EMQX: retried)',
  queuing: 'Writes waiting in the queue now (EMQX: queuing)',
  inflight: 'Writes in calls to DynamoDB now (EMQX: inflight)',
  'throttled.key_range': 'Writes DynamoDB throttled for a hot partition key (ThrottlingReasons: TableWriteKeyRangeThroughputExceeded)',
  'throttled.budget': "Writes DynamoDB throttled for the table's or account's throughput (ThrottlingReasons: provisioned, account or on-demand maximum)",
  'tables.created': 'Tables the sink created because a put or update found them missing (createTable)',
};

/** `dropped.queue_full` → `dynamodb_sink_dropped_queue_full_total`; gauges keep their plain name. */
export function sinkMetricName(counter: string): string {
  const base = `dynamodb_sink_${counter.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  return GAUGES.has(counter) ? base : `${base}_total`;
}

/**
 * The text a Prometheus server scrapes: one family per counter, one series per sink (labels
 * `sink`, `name`, `table`) or rule (labels `rule`, `name`). Counters a sink does not report (an
 * older sink) are left out of its series rather than shown as 0.
 */
export async function prometheusText(sinks: SinkSeries[], rules: RuleSeries[]): Promise<string> {
  const registry = new Registry();
  const names = new Set<string>(COUNTER_NAMES);
  for (const s of sinks) for (const c of Object.keys(s.counters)) names.add(c);
  for (const counter of names) {
    const options = {
      name: sinkMetricName(counter),
      help: SINK_HELP[counter] ?? `dynamodb-sink counter ${counter}`,
      labelNames: ['sink', 'name', 'table'] as const,
      registers: [registry],
    };
    const metric = GAUGES.has(counter) ? new Gauge(options) : new Counter(options);
    for (const s of sinks) {
      const value = (s.counters as Record<string, number>)[counter];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const labels = { sink: s.id, name: s.name, table: s.table };
      if (metric instanceof Gauge) metric.set(labels, value);
      else metric.inc(labels, Math.max(0, value));
    }
  }
  const ruleHelp = {
    matched: ['matched', 'Inputs whose topic matched the rule FROM (EMQX: matched)'],
    passed: ['passed', 'Inputs that passed WHERE (EMQX: passed)'],
    failed: ['failed', 'Inputs whose evaluation failed (EMQX: failed)'],
    noResult: ['no_result', 'Inputs that WHERE rejected (EMQX: failed.no_result)'],
    late: ['late', 'Events dropped because every window they belong to had closed (rules with a window and eventTime)'],
    evicted: ['evicted', 'Windows emitted early or buffers dropped because maxGroups was reached (rules with a window)'],
  } as const;
  for (const counter of ['matched', 'passed', 'failed', 'noResult', 'late', 'evicted'] as const) {
    const [name, help] = ruleHelp[counter];
    const metric = new Counter({ name: `rule_sql_${name}_total`, help, labelNames: ['rule', 'name'] as const, registers: [registry] });
    for (const r of rules) {
      // A rule without a window has no late or evicted series (nothing to count), not a 0.
      const value = r.counters[counter];
      if (typeof value === 'number' && Number.isFinite(value)) metric.inc({ rule: r.id, name: r.name }, Math.max(0, value));
    }
  }
  ruleStreamSeries(registry, rules);
  return registry.metrics();
}

/**
 * Stateful rules only (DESIGN.md 5): `rule_sql_forgotten_total` (partition states forgotten over
 * maxGroups since the node started) and the gauges `rule_sql_open_windows`, `rule_sql_partitions`.
 * A stateless rule has no series in them, as it has none in late and evicted.
 */
function ruleStreamSeries(registry: Registry, rules: RuleSeries[]): void {
  const labelNames = ['rule', 'name'] as const;
  const forgotten = new Counter({
    name: 'rule_sql_forgotten_total', labelNames, registers: [registry],
    help: 'Partition states (analytic functions, STATEWINDOW partitions) forgotten because maxGroups was reached (stateful rules)',
  });
  const open = new Gauge({ name: 'rule_sql_open_windows', help: 'Open (window, group) pairs now (stateful rules)', labelNames, registers: [registry] });
  const partitions = new Gauge({ name: 'rule_sql_partitions', help: 'Partition states held now (stateful rules)', labelNames, registers: [registry] });
  for (const r of rules) {
    if (r.stream === undefined) continue;
    const labels = { rule: r.id, name: r.name };
    forgotten.inc(labels, Math.max(0, r.stream.forgotten));
    open.set(labels, r.stream.openWindows);
    partitions.set(labels, r.stream.partitions);
  }
}
