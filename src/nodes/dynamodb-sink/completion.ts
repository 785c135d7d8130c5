// How a message the sink took is completed on a Node-RED node once its write has an outcome,
// alone or in a burst (Node-RED core nodes: an input handler ends with done() or done(err), and
// done(err) reaches the Catch nodes of the flow). Used by both the message listener (message.ts)
// and the lineage (lineage.ts): message.ts needs the lineage, the lineage needs only this module.
import type { Node, NodeMessage } from 'node-red';
import { runtimeSinkText } from './text';

/** The sink's catalog words, looked up when a text is made. */
const text = runtimeSinkText;

type Done = (err?: Error) => void;

/** Node-RED's own completion of a message on a node (what the `done` of its input handler does). */
export function completeOn(node: Node, msg: unknown, err?: Error): void {
  const n = node as Node & { _complete?: (msg: unknown, err?: Error) => void };
  if (typeof n._complete === 'function') n._complete(msg, err);
  else if (err) node.error(err, msg as never);
}

/** Where a sink's MessageWrites report drops that come in bursts. */
export interface SinkDrops {
  /** The writer already warns once per queue_full burst: uncaught drops add no line of their own. */
  queueFull: DropBurstLog;
  /** The sink was deleted: delivered to the Catch nodes after the deploy, one summary line. */
  removal: { fail(msg: NodeMessage, done: Done, err: Error): void };
  /** Writes that outlived their sink instance (a late call, no successor): one line per burst. */
  orphaned: DropBurstLog;
}

export function sinkDrops(node: Node, removal?: SinkDrops['removal']): SinkDrops {
  return {
    queueFull: new DropBurstLog(node, false),
    removal: removal ?? new DropBurstLog(node),
    orphaned: new DropBurstLog(node, true, 'orphaned'),
  };
}

interface FlowWithCatch {
  handleError(node: Node, logMessage: unknown, msg: unknown): boolean;
}

/**
 * A burst of dropped writes (resource_stopped when the sink is removed, queue_full when its
 * buffer is full): each message still fails with done(err), so Catch nodes get every one, but
 * what no Catch node handles is logged as one line for the burst instead of one line per message
 * (a sink holding 40,000 writes would log 40,000 lines), or not at all when `summarize` is false
 * because someone else (the writer, for queue_full) already logs the burst.
 */
export class DropBurstLog {
  /** Dropped messages no Catch node handled: the summary counts them. */
  private uncaught = 0;
  private first?: string;
  private scheduled = false;

  constructor(
    private readonly node: Node,
    private readonly summarize = true,
    /** Why the writes were dropped: the catalog key `errors.dropped.<why>`. */
    private readonly why: 'removed' | 'orphaned' = 'removed',
  ) {}

  fail(msg: NodeMessage, done: Done, err: Error): void {
    const node = this.node as Node & { _flow?: Partial<FlowWithCatch>; error: Node['error'] };
    const flow = node._flow;
    if (!flow || typeof flow.handleError !== 'function') {
      done(err); // a runtime without the hook: the ordinary per-message error
      return;
    }
    // done(err) reports through node.error(err, msg): for this call, hand it to the Catch nodes
    // only (what Node.error does first) and leave the logging to the summary.
    const own = Object.prototype.hasOwnProperty.call(node, 'error') ? node.error : undefined;
    node.error = ((logMessage: unknown, m?: unknown) => {
      if (m !== msg) {
        (own ?? Object.getPrototypeOf(node).error).call(node, logMessage, m);
      } else if (!flow.handleError!(node, logMessage, m) && this.summarize) {
        this.uncaught += 1;
        this.first ??= err.message;
      }
    }) as Node['error'];
    try {
      done(err);
    } finally {
      if (own) node.error = own;
      else delete (node as { error?: unknown }).error;
    }
    if (this.summarize && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const { uncaught, first } = this;
    this.uncaught = 0;
    this.first = undefined;
    if (uncaught === 0) return;
    if (uncaught === 1) {
      this.node.error(first);
      return;
    }
    this.node.error(text('errors.dropped.burst', { count: uncaught, why: text(`errors.dropped.${this.why}`), first: first ?? '' }));
  }
}
