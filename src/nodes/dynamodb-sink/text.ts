// Words the sink shows at runtime (status, errors, log) come from its message catalog,
// nodes/locales/<lang>/dynamodb-sink.json, through Node-RED's i18n (src/nodes/catalog.ts).
import type { NodeAPI } from 'node-red';
import { nodeText, type NodeText } from '../catalog';

/** The sink's words for a message-catalog key, e.g. text('status.written', { n: '1,204' }). */
export type SinkText = NodeText;

let latest: SinkText | undefined;

export function sinkText(RED: NodeAPI): SinkText {
  latest = nodeText(RED, 'dynamodb-sink');
  return latest;
}

/**
 * The sink's words where no RED is at hand (its settings, the lineage of a node id, bursts of
 * drops): those of the runtime that registered the node type last (Node-RED has one language per
 * process), or the English catalog before any did. Looked up when the text is made.
 */
export const runtimeSinkText: SinkText = (key, vars) => {
  latest ??= nodeText({ _: (k: string) => k } as unknown as NodeAPI, 'dynamodb-sink');
  return latest(key, vars);
};
