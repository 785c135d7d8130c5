// What a closing dynamodb-sink does with the writes it holds (Node-RED core nodes: a close handler
// finishes inside Node-RED's 15 s; DESIGN.md 6): tell a redeploy from a deletion or a disabling
// first (a redeployed node's outcomes go to its successor from then on), flush what it can, then
// hand what is left to the successor of the same id, keep it on disk, or, when the node was
// deleted, drop it (counted, its messages to the Catch nodes, one log line for the whole removal)
// and delete its disk buffer.
import type { NodeAPI } from 'node-red';
import type { BatchWriter } from '../../dynamo/delivery/writer';
import { type RemovalDrops } from './backlog';
import { deployedState, type DeployedState } from '../deployed-state';
import { lineageOf, type SinkInstance, type SinkLineage } from './lineage';
import type { SinkNode } from './running';
import type { SinkText } from './text';
import { removeDir } from '../../dynamo/delivery/disk-io';

/** Of Node-RED's 15 s close timeout: time to flush, then time for calls already in flight. */
export const CLOSE_FLUSH_MS = 8000;
export const CLOSE_SETTLE_MS = 5000;

/** The parts of a sink instance its close works with. */
export interface ClosingSink {
  RED: NodeAPI;
  node: SinkNode;
  text: SinkText;
  writer: BatchWriter;
  bufferMode: 'memory' | 'disk';
  bufferDir?: string;
  lineage: SinkLineage;
  instance: SinkInstance;
  removal: RemovalDrops;
}

export interface ClosedWrites {
  /** Deleted, or removed: no successor of this id will come. */
  gone: boolean;
  /** Settles once the writer has closed and what it left has gone where it belongs (errors logged). */
  closed: Promise<void>;
}

/** What a close of a sink node means: its state as deployed now, and whether a successor follows. */
export interface CloseCause {
  state: DeployedState;
  /** Deleted, disabled or removed: no successor of this id will come (else: redeployed or restarted). */
  gone: boolean;
  /** The node's template id inside a subflow instance. */
  alias?: string;
}

/** closeCause(RED, node, removed) → { state, gone, alias }: a close told apart (DESIGN.md 6). */
export function closeCause(RED: NodeAPI, node: SinkNode, removed: boolean): CloseCause {
  // Node-RED closes a disabled node (or every node of a disabled tab) with removed = true,
  // as a deleted one: the deployed configuration tells them apart. Disabling is maintenance:
  // a disk backlog stays. Only a deletion drops what is queued.
  // Inside a subflow instance (_alias) Node-RED closes with removed = false even when the
  // instance is deleted: there the deployed configuration alone tells.
  const alias = (node as SinkNode & { _alias?: string })._alias;
  const deployed = removed || alias ? deployedState(RED, node.id, alias) : undefined;
  const state = deployed && (removed || deployed.state === 'deleted') ? deployed.state : 'enabled';
  return { state, gone: removed || state === 'deleted', alias };
}

/**
 * The first step of a sink's close, before its intake is flushed (register.ts): when a successor
 * of the same id follows (a redeploy, a restart of the flows), the live instance starts handing
 * over, so every outcome of its messages from now on, those its own close finishes included,
 * completes on the successor's wires and Catch nodes (DESIGN.md 6: every input message ends in
 * exactly one output or Catch on a running flow). A deleted or disabled node completes its own,
 * as before (counted; drops to the Catch nodes after the deploy and one log line).
 */
export function beginClose(RED: NodeAPI, node: SinkNode, removed: boolean): void {
  const lineage = lineageOf(node.id);
  if (lineage.live?.node === node && !closeCause(RED, node, removed).gone) lineage.handOver();
}

export function closeWrites(sink: ClosingSink, removed: boolean): ClosedWrites {
  const { RED, node, text, writer, bufferMode, bufferDir, lineage, instance, removal } = sink;
  const { state, gone, alias } = closeCause(RED, node, removed);
  const deleted = state === 'deleted';
  // Before the writer closes: what its flush finishes completes on the successor (beginClose).
  if (!gone) lineage.handOver(instance);
  const drop = deleted || (removed && bufferMode === 'memory');
  // Disk mode keeps what is left anyway: flush briefly so a redeploy stays quick.
  const flushMs = drop || bufferMode === 'memory' ? CLOSE_FLUSH_MS : Math.min(CLOSE_FLUSH_MS, 2000);
  const droppedBefore = writer.metrics.dropsFor('resource_stopped');
  const closed = writer
    .close(flushMs, CLOSE_SETTLE_MS, drop)
    .then((left) => {
      // From here on this instance is gone: what comes back waits for (or goes to) the successor.
      lineage.detach(instance, gone);
      if (left.length > 0 && bufferMode === 'memory') {
        // Not removed: a full deploy or a restart of the flows. The same node id started next
        // takes these over (with their messages); if none starts, they are dropped as
        // resource_stopped after a grace period, counted and logged.
        lineage.park(left);
        node.warn(text('log.handedOver', { count: left.length }));
      } else if (left.length > 0) {
        // Switched to memory mode by this deploy: nothing will send the backlog by itself
        // (the backlog report after the deploy says how to send or discard it).
        const now = deployedState(RED, node.id, alias).def;
        const switched = !removed && now !== undefined && now.bufferMode !== 'disk';
        const key = state === 'disabled' ? 'log.keptDisabled' : switched ? 'log.keptSwitched' : 'log.keptOnDisk';
        // Unsettled on disk: a disk-mode successor in this process gives them back their
        // messages; a backlog nobody sends leaves this node's counters (as after a restart).
        if (switched) lineage.release(left);
        else if (!removed) lineage.keep(left);
        node.log(text(key, { count: left.length, dir: bufferDir ?? '' }));
      }
      if (deleted && bufferDir) {
        // The node was deleted: what it could not write was dropped (counted, logged below).
        try {
          removeDir(bufferDir);
        } catch (err) {
          node.warn(text('errors.removeDir', { dir: bufferDir, error: (err as Error).message }));
        }
      }
      const dropped = writer.metrics.dropsFor('resource_stopped') - droppedBefore;
      if (drop && dropped > 0) {
        // One line for the whole removal, once its messages have reached the Catch nodes of
        // the flows the deploy started (restored writes have no message: never caught).
        removal.deliver(({ caught, first }) => {
          const uncaught = dropped - caught;
          const line = text('log.removedDropped', {
            count: dropped,
            how: deleted ? text('log.removedHow.deleted') : text('log.removedHow.disabled'),
            caught,
            uncaught,
            disk: deleted && bufferDir ? text('log.removedDir', { dir: bufferDir }) : '',
            first: first ?? '',
          });
          if (uncaught > 0) node.error(line);
          else node.warn(line);
        });
      }
    })
    .catch((err: Error) => node.error(err.message));
  return { gone, closed };
}
