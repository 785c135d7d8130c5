// Words the sink shows at runtime (status, errors, log) come from its message catalog,
// nodes/locales/<lang>/dynamodb-sink.json, through Node-RED's i18n (src/nodes/catalog.ts).
import type { NodeAPI } from 'node-red';
import { nodeText, type NodeText } from '../catalog';

/** The sink's words for a message-catalog key, e.g. text('status.written', { n: '1,204' }). */
export type SinkText = NodeText;

export function sinkText(RED: NodeAPI): SinkText {
  return nodeText(RED, 'dynamodb-sink');
}
