// The dynamodb-sink nodes running in this process, by id (refused ones too), and what the editor
// API asks of them: GET /dynamodb-sink/:id/metrics (DESIGN.md 5) here, the backlog replay in
// backlog.ts, the sidebar and Prometheus in src/plugins/.
import type { Node, NodeAPI } from 'node-red';
import type { HealthState } from '../../dynamo/connection/connection';
import { countersAddUp, type MetricsSnapshot } from '../../dynamo/delivery/metrics';
import type { WriteRateState } from '../../dynamo/delivery/write-rate';
import type { BacklogOwner } from './backlog';
import { sinkText } from './text';

export interface SinkRuntime extends BacklogOwner {
  metrics(): SinkMetricsAnswer;
}

export interface SinkMetricsAnswer {
  id: string;
  name: string;
  table: string;
  bufferMode: 'memory' | 'disk';
  connection: HealthState['status'] | 'none';
  reason?: string;
  paused: boolean;
  lastError?: string;
  queuedBytes: number;
  /** maxWriteUnits, and the adaptive rate (WCU/s) while DynamoDB throttles. */
  writeRate?: WriteRateState;
  counters: MetricsSnapshot;
  /** The sink refused its configuration: why; every message fails with it (counted failed). */
  configError?: string;
}

/** A dynamodb-sink node as Node-RED holds it: `runtime` answers for it (metrics, backlog import). */
export interface SinkNode extends Node {
  runtime?: SinkRuntime;
}

/** Running sinks by id (refused ones too), for the metrics endpoint. */
export const runningSinks = new Map<string, SinkRuntime>();

/** GET /dynamodb-sink/:id/metrics: the sink's counters, and whether they add up. */
export function registerMetricsRoute(RED: NodeAPI): void {
  RED.httpAdmin.get('/dynamodb-sink/:id/metrics', RED.auth.needsPermission('dynamodb-sink.read'), (req, res) => {
    const id = String(req.params.id);
    const sink = runningSinks.get(id);
    if (!sink) {
      res.status(404).json({ error: sinkText(RED)('errors.http.noSink', { id }) });
      return;
    }
    const answer = sink.metrics();
    res.json({ ...answer, consistent: countersAddUp(answer.counters) });
  });
}
