// Runtime half of the "DynamoDB" sidebar tab (plugins/dynamodb-sidebar.html): samples every
// running dynamodb-sink's counters every 2 s and serves the last 10 minutes of them, for all
// sinks at once, at GET /dynamodb-sink/metrics (behind the same permission as each sink's own
// GET /dynamodb-sink/:id/metrics).
import type { NodeAPI } from 'node-red';
import type { SinkMetricsAnswer, SinkRuntime } from '../nodes/dynamodb-sink';
import { SinkMetricsHistory } from './sink-metrics-history';

export const SAMPLE_INTERVAL_MS = 2000;
export const HISTORY_MS = 10 * 60 * 1000;

/** The part of the plugin API this uses (the node API also carries registerPlugin). */
type PluginAPI = NodeAPI & {
  plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
};

export default function register(RED: PluginAPI): void {
  const history = new SinkMetricsHistory<SinkMetricsAnswer>(HISTORY_MS, SAMPLE_INTERVAL_MS / 2);

  function runningSinks(): Map<string, SinkMetricsAnswer> {
    const running = new Map<string, SinkMetricsAnswer>();
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
    try {
      history.record(Date.now(), runningSinks());
    } catch (err) {
      RED.log.warn(`dynamodb-sidebar: sampling sink metrics failed: ${(err as Error).message}`);
    }
  }

  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  timer.unref();

  RED.plugins.registerPlugin('dynamodb-sidebar', { type: 'dynamodb-sidebar' });

  RED.httpAdmin.get('/dynamodb-sink/metrics', RED.auth.needsPermission('dynamodb-sink.read'), (_req, res) => {
    // Sample now too, so a sink deployed a moment ago shows at once.
    sample();
    res.json({
      interval: SAMPLE_INTERVAL_MS,
      sinks: history.all().map((h) => ({ ...h.current, history: h.samples })),
    });
  });
}
