// Runtime half of the "DynamoDB" sidebar tab (plugins/dynamodb-sidebar.html): samples every
// running dynamodb-sink's counters every 2 s and serves the last 10 minutes of them, for all
// sinks at once, at GET /dynamodb-sink/metrics (behind the same permission as each sink's own
// GET /dynamodb-sink/:id/metrics). With ?format=prometheus the same route answers every running
// sink's and rule's counters in Prometheus' text format (src/plugins/prometheus.ts).
import type { NodeAPI } from 'node-red';
import type { SinkMetricsAnswer, SinkRuntime } from '../nodes/dynamodb-sink/register';
import type { RuleRuntime } from '../nodes/rule-sql/register';
import { PROMETHEUS_CONTENT_TYPE, prometheusText, type RuleSeries } from './prometheus';
import { SinkMetricsHistory } from './sink-metrics-history';
import { pluginText } from './text';

export const SAMPLE_INTERVAL_MS = 2000;
export const HISTORY_MS = 10 * 60 * 1000;

/** The part of the plugin API this uses (the node API also carries registerPlugin). */
type PluginAPI = NodeAPI & {
  plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
};

export default function register(RED: PluginAPI): void {
  const history = new SinkMetricsHistory<SinkMetricsAnswer>(HISTORY_MS, SAMPLE_INTERVAL_MS / 2);
  const text = pluginText(RED);

  // Node-RED loads plugins before any flow configuration: RED.nodes.eachNode throws until the
  // first flows have started, so sampling waits for that event instead of warning every 2 s.
  let flowsLoaded = false;
  RED.events.once('flows:started', () => {
    flowsLoaded = true;
  });

  function runningSinks(): Map<string, SinkMetricsAnswer> {
    const running = new Map<string, SinkMetricsAnswer>();
    if (!flowsLoaded) return running;
    RED.nodes.eachNode((def) => {
      if (def.type !== 'dynamodb-sink') return;
      // A sink that started exposes its runtime (src/nodes/dynamodb-sink.ts); one that refused
      // its config has none and is left out, as its own endpoint does.
      const node = RED.nodes.getNode(def.id) as unknown as { runtime?: SinkRuntime } | null;
      if (node?.runtime) running.set(def.id, node.runtime.metrics());
    });
    return running;
  }

  function sample(): void {
    if (!flowsLoaded) return;
    try {
      history.record(Date.now(), runningSinks());
    } catch (err) {
      RED.log.warn(`dynamodb-sidebar: ${text('runtime.samplingFailed', { error: (err as Error).message })}`);
    }
  }

  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  timer.unref();

  RED.plugins.registerPlugin('dynamodb-sidebar', { type: 'dynamodb-sidebar' });

  function runningRules(): RuleSeries[] {
    const rules: RuleSeries[] = [];
    if (!flowsLoaded) return rules;
    RED.nodes.eachNode((def) => {
      if (def.type !== 'rule-sql') return;
      const node = RED.nodes.getNode(def.id) as unknown as { runtime?: RuleRuntime } | null;
      if (node?.runtime) rules.push(node.runtime.metrics());
    });
    return rules;
  }

  RED.httpAdmin.get('/dynamodb-sink/metrics', RED.auth.needsPermission('dynamodb-sink.read'), (req, res) => {
    const format = req.query.format;
    if (format === 'prometheus') {
      const sinks = [...runningSinks().values()];
      prometheusText(sinks, runningRules()).then(
        (body) => res.type(PROMETHEUS_CONTENT_TYPE).send(body),
        (err: Error) => res.status(500).type('text/plain').send(`${text('runtime.metricsFailed', { error: err.message })}\n`),
      );
      return;
    }
    if (format !== undefined && format !== 'json') {
      res.status(400).json({ error: text('runtime.unknownFormat', { format: JSON.stringify(format) }) });
      return;
    }
    // Sample now too, so a sink deployed a moment ago shows at once.
    sample();
    res.json({
      interval: SAMPLE_INTERVAL_MS,
      sinks: history.all().map((h) => ({ ...h.current, history: h.samples })),
      // Every running rule's counters now (the sidebar's rule cards; DESIGN.md 5 and 7).
      rules: runningRules(),
    });
  });
}
