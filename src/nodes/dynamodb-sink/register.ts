// The `dynamodb-sink` node (DESIGN.md 1.3): reads its settings, turns each message's row into a
// write (template, encoding, keys), hands it to a BatchWriter, and reports back per message
// (done / done(err) / output with msg.dynamodb), in its status and at GET /dynamodb-sink/:id/metrics.
// This file is the wiring: what the node does on deploy, input and close, and the editor API.
import type { NodeAPI } from 'node-red';
import { registerBacklogs } from './backlog';
import { registerSinkCheck } from './check';
import { beginClose } from './close';
import type { SinkNodeDef } from './config';
import { RunningSink, type Done, type Send, type SinkMessage } from './instance';
import { Intake } from './intake';
import { endLineagesWhenFlowsStop } from './lineage';
import { isRefusal, prepareSink } from './prepare';
import { refuseAll } from './refused';
import { registerMetricsRoute, runningSinks, type SinkNode } from './running';
import { sinkText } from './text';
import { installRuntimeWords } from '../catalog';

export type { SinkNodeDef } from './config';
export type { SinkMetricsAnswer, SinkRuntime } from './running';

export default function register(RED: NodeAPI): void {
  installRuntimeWords(RED, ['item', 'delivery']);
  const text = sinkText(RED);

  function DynamoDbSinkNode(this: SinkNode, def: SinkNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    // Deploy: settings, connector, table, write plan and buffer; one of them wrong refuses every message.
    const prepared = prepareSink(RED, node, def, text);
    if (isRefusal(prepared)) return refuseAll(node, def, prepared.status, prepared.why);
    const sink = new RunningSink(RED, node, def, prepared, text);

    // Input: a burst waits in the intake while the writer has a window's worth to send (issue 14).
    const intake = new Intake<SinkMessage, Send, Done>(sink.take, () => sink.backlogged());
    sink.waiting = () => intake.length;
    node.on('input', (msg: SinkMessage, send, done) => intake.offer(msg, send, done));

    // Close: first whether a successor follows (then every outcome from here on is its), then
    // messages still in the intake were received, so they go to the writer like the rest.
    node.on('close', (removed: boolean, done: () => void) => {
      beginClose(RED, node, removed);
      intake.flush();
      sink.close(removed, done);
    });
  }

  // Editor API: backlogs (list, replay, discard), the dialog's check, the metrics (DESIGN.md 5).
  registerBacklogs(RED, (id) => runningSinks.get(id));
  registerSinkCheck(RED);
  endLineagesWhenFlowsStop(RED);
  RED.nodes.registerType('dynamodb-sink', DynamoDbSinkNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
  registerMetricsRoute(RED);
}
