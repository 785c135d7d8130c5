// What the sink does with one message once its write has an outcome (DESIGN.md 1.3): the output
// with msg.dynamodb and done() after the write, done(err) when it failed or was dropped. One
// object per message with its methods on the prototype (not three closures), since every queued
// message keeps its listener alive until the write is acknowledged.
import type { Node, NodeMessage } from 'node-red';
import { decodeValue } from '../dynamo/encoding';
import type { AttributeMap, WriteListener, WriteOperation } from '../dynamo/queue';

type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;

export class MessageWrite implements WriteListener {
  constructor(
    private readonly msg: NodeMessage & Record<string, unknown>,
    private readonly send: Send,
    private readonly done: Done,
    private readonly table: string,
    private readonly operation: WriteOperation,
    private readonly key: AttributeMap,
    private readonly drops: SinkDrops,
  ) {}

  written(attempts: number): void {
    const plainKey: Record<string, unknown> = {};
    for (const name in this.key) plainKey[name] = decodeValue(this.key[name]);
    this.msg.dynamodb = { table: this.table, operation: this.operation, key: plainKey, attempts };
    this.send(this.msg);
    this.done();
  }

  failed(err: Error): void {
    this.done(err);
  }

  /** A stale message (its condition failed): acknowledged and sent on, marked as skipped. */
  skipped(reason: 'condition', attempts: number): void {
    const plainKey: Record<string, unknown> = {};
    for (const name in this.key) plainKey[name] = decodeValue(this.key[name]);
    this.msg.dynamodb = { table: this.table, operation: this.operation, key: plainKey, attempts, skipped: reason };
    this.send(this.msg);
    this.done();
  }

  dropped(reason: 'expired' | 'queue_full' | 'resource_stopped', err: Error): void {
    // Drops come in bursts (a full buffer, a removed sink): Catch nodes still get every message,
    // but the log gets one line per burst, not one per message.
    if (reason === 'queue_full') this.drops.queueFull.fail(this.msg, this.done, err);
    else if (reason === 'resource_stopped') this.drops.removal.fail(this.msg, this.done, err);
    else this.done(err);
  }
}

/** Where a sink's MessageWrites report drops that come in bursts. */
export interface SinkDrops {
  /** The writer already warns once per queue_full burst: uncaught drops add no line of their own. */
  queueFull: RemovalLog;
  /** The sink was deleted: delivered to the Catch nodes after the deploy, one summary line. */
  removal: { fail(msg: NodeMessage, done: Done, err: Error): void };
}

export function sinkDrops(node: Node, removal?: SinkDrops['removal']): SinkDrops {
  return { queueFull: new RemovalLog(node, false), removal: removal ?? new RemovalLog(node) };
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
export class RemovalLog {
  /** Dropped messages no Catch node handled: the summary counts them. */
  private uncaught = 0;
  private first?: string;
  private scheduled = false;

  constructor(
    private readonly node: Node,
    private readonly summarize = true,
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
    this.node.error(
      `${uncaught} queued writes were dropped (resource_stopped) because the sink was removed before it ` +
        `could write them; the first: ${first}`,
    );
  }
}
