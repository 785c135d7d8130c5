// What a new instance of a dynamodb-sink takes over when it starts (DESIGN.md 6): the writes its
// predecessor of the same id parked (memory mode) or kept on disk (disk mode), the writes on disk
// from before a restart, and the outcomes of earlier instances' messages, which go to this
// instance's wires once its flow runs.
import type { Node } from 'node-red';
import type { BatchWriter } from '../../dynamo/delivery/writer';
import { afterFlowsStart } from './backlog';
import type { SinkInstance, SinkLineage } from './lineage';
import { RestoredWrites } from './restored';
import type { SinkText } from './text';

/** How long a new instance waits for Node-RED's flows:started before delivering earlier instances' outcomes. */
export const FLOWS_STARTED_FALLBACK_MS = 2000;

export interface Takeover {
  /** The listener of the writes restored from disk: reports them at close. */
  restoredWrites: RestoredWrites;
  /** Stops waiting for flows:started (the instance closes first). */
  stopWaiting: () => void;
}

export function takeOver(
  node: Node,
  text: SinkText,
  lineage: SinkLineage,
  instance: SinkInstance,
  writer: BatchWriter,
  bufferDir: string | undefined,
): Takeover {
  const parked = lineage.attach(instance);
  const kept = lineage.takeKept();
  const handedOnDisk = kept.size;
  const restoredWrites = new RestoredWrites(node, text);
  try {
    const restored = writer.restore(kept, restoredWrites);
    // Those not handed over in this process came from before a restart: outcomes logged, no message.
    restoredWrites.expect(restored - (handedOnDisk - kept.size));
    if (restored > 0) node.log(text('log.restored', { count: restored, dir: bufferDir ?? '' }));
  } catch (err) {
    node.error(text('errors.restore', { dir: bufferDir ?? '', error: (err as Error).message }));
  }
  // Kept at the last close but gone from the disk now: they can reach no writer.
  if (kept.size > 0) lineage.expire([...kept.values()], text('errors.dropped.recordGone', { dir: bufferDir ?? text('errors.dropped.theDiskBuffer') }));
  if (parked.length > 0) {
    writer.adopt(parked, { counted: true });
    node.log(text('log.adopted', { count: parked.length }));
  }
  // Outcomes of earlier instances' messages go to this instance's wires once its flow runs.
  // Through the shared flows:started listener of backlog.ts, not one per sink.
  const stopWaiting = afterFlowsStart(() => lineage.markReady(instance), FLOWS_STARTED_FALLBACK_MS);
  return { restoredWrites, stopWaiting };
}
