// What the sink does with one message once its write has an outcome (DESIGN.md 1.3): the output
// with msg.dynamodb and done() after the write, done(err) when it failed or was dropped. One
// object per message with its methods on the prototype (not three closures), since every queued
// message keeps its listener alive until the write is acknowledged.
import type { Node, NodeMessage } from 'node-red';
import { decodeValue } from '../../dynamo/item/encoding';
import type { AttributeMap, WriteListener, WriteOperation } from '../../dynamo/delivery/queue';
import { completeOn, type SinkInstance, type SinkLineage } from './lineage';

type Send = (msg: NodeMessage) => void;
type Done = (err?: Error) => void;
type Act = (send: Send, done: Done, drops: SinkDrops) => void;

/** The instance a message arrived at, and the lineage that knows which instance runs now. */
export interface MessageHome {
  lineage: SinkLineage;
  instance: SinkInstance;
}

export class MessageWrite implements WriteListener {
  constructor(
    private readonly msg: NodeMessage & Record<string, unknown>,
    private readonly send: Send,
    private readonly done: Done,
    private readonly table: string,
    private readonly operation: WriteOperation,
    private readonly key: AttributeMap,
    private readonly drops: SinkDrops,
    /** Absent: the message always completes on the instance it arrived at. */
    private readonly home?: MessageHome,
  ) {}

  written(attempts: number): void {
    this.deliver((send, done) => {
      const plainKey: Record<string, unknown> = {};
      for (const name in this.key) plainKey[name] = decodeValue(this.key[name]);
      this.msg.dynamodb = { table: this.table, operation: this.operation, key: plainKey, attempts };
      send(this.msg);
      done();
    });
  }

  failed(err: Error): void {
    this.deliver((_send, done) => done(err));
  }

  /** A stale message (its condition failed): acknowledged and sent on, marked as skipped. */
  skipped(reason: 'condition', attempts: number): void {
    this.deliver((send, done) => {
      const plainKey: Record<string, unknown> = {};
      for (const name in this.key) plainKey[name] = decodeValue(this.key[name]);
      this.msg.dynamodb = { table: this.table, operation: this.operation, key: plainKey, attempts, skipped: reason };
      send(this.msg);
      done();
    });
  }

  dropped(reason: 'expired' | 'queue_full' | 'resource_stopped', err: Error): void {
    // Drops come in bursts (a full buffer, a removed sink): Catch nodes still get every message,
    // but the log gets one line per burst, not one per message.
    this.deliver((_send, done, drops) => {
      if (reason === 'queue_full') drops.queueFull.fail(this.msg, done, err);
      else if (reason === 'resource_stopped') drops.removal.fail(this.msg, done, err);
      else done(err);
    });
  }

  /**
   * DESIGN.md 6: a message handed over across a redeploy completes like any other, on the
   * instance that runs now (its wires, its Catch nodes); while none runs, once the successor
   * starts; when none will, on the instance it arrived at (its log).
   */
  private deliver(act: Act): void {
    const home = this.home;
    if (!home || home.lineage.live === home.instance) return act(this.send, this.done, this.drops);
    home.lineage.whenLive((live) => {
      // No instance will take it (deleted, or no successor in time): its own node, with the
      // drops of writes that outlived their sink (the removal summary has been written already).
      if (!live) return act(this.send, this.done, { ...this.drops, removal: this.drops.orphaned });
      if (live === home.instance) return act(this.send, this.done, this.drops);
      // The successor's removal drops are its own deletion's; this one is logged per burst.
      act((m) => live.node.send(m), (err) => completeOn(live.node, this.msg, err), { ...live.drops, removal: live.drops.orphaned });
    });
  }
}

/** Where a sink's MessageWrites report drops that come in bursts. */
export interface SinkDrops {
  /** The writer already warns once per queue_full burst: uncaught drops add no line of their own. */
  queueFull: RemovalLog;
  /** The sink was deleted: delivered to the Catch nodes after the deploy, one summary line. */
  removal: { fail(msg: NodeMessage, done: Done, err: Error): void };
  /** Writes that outlived their sink instance (a late call, no successor): one line per burst. */
  orphaned: RemovalLog;
}

export function sinkDrops(node: Node, removal?: SinkDrops['removal']): SinkDrops {
  return {
    queueFull: new RemovalLog(node, false),
    removal: removal ?? new RemovalLog(node),
    orphaned: new RemovalLog(node, true, 'because the sink closed and no new instance of it took them'),
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
export class RemovalLog {
  /** Dropped messages no Catch node handled: the summary counts them. */
  private uncaught = 0;
  private first?: string;
  private scheduled = false;

  constructor(
    private readonly node: Node,
    private readonly summarize = true,
    private readonly why = 'because the sink was removed before it could write them',
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
      `${uncaught} queued writes were dropped (resource_stopped) ${this.why}; the first: ${first}`,
    );
  }
}

/**
 * The listener of writes restored from the disk buffer after a restart (DESIGN.md 6): their
 * messages are gone with the process that received them, so there is nothing to send on and no
 * Catch node to reach; each outcome is counted (by the writer, as any other) and logged, in one
 * summary line once every restored write has one (or at close, for what had one by then), and at
 * once for the first failure or drop, so a problem is not hidden until the end.
 */
export class RestoredWrites implements WriteListener {
  private expected = 0;
  private written_ = 0;
  private skipped_ = 0;
  private failed_ = 0;
  private dropped_ = 0;
  private firstProblem?: string;
  private reported = false;

  constructor(private readonly node: Node) {}

  /** How many restored writes report here (call after restore). */
  expect(count: number): void {
    this.expected += count;
  }

  written(): void {
    this.written_ += 1;
    this.check();
  }

  /** Its condition failed and the sink skips such writes (counted dropped.condition). */
  skipped(): void {
    this.skipped_ += 1;
    this.check();
  }

  failed(err: Error): void {
    this.failed_ += 1;
    this.problem(err);
  }

  dropped(_reason: 'expired' | 'queue_full' | 'resource_stopped', err: Error): void {
    this.dropped_ += 1;
    this.problem(err);
  }

  /** At close: what the restored writes came to so far, if any are still open. */
  close(): void {
    if (this.expected > 0 && !this.reported && this.settled() < this.expected) this.report(true);
  }

  private settled(): number {
    return this.written_ + this.skipped_ + this.failed_ + this.dropped_;
  }

  private problem(err: Error): void {
    if (this.firstProblem === undefined) {
      this.firstProblem = err.message;
      this.node.warn(`a write restored from the disk buffer (from before the restart, so without its message) did not go through: ${err.message}`);
    }
    this.check();
  }

  private check(): void {
    if (!this.reported && this.expected > 0 && this.settled() >= this.expected) this.report(false);
  }

  private report(partial: boolean): void {
    this.reported = true;
    const text =
      `writes restored from the disk buffer${partial ? ` (${this.settled()} of ${this.expected} done at close; the rest stay on disk)` : ` (${this.expected})`}: ` +
      `${this.written_} written, ${this.failed_} failed, ${this.dropped_} dropped` +
      (this.skipped_ > 0 ? `, ${this.skipped_} skipped (condition failed)` : '') +
      (this.firstProblem ? `; first problem: ${this.firstProblem}` : '') +
      '. They came from before the restart: no message is sent on and no Catch node is reached for them.';
    if (this.failed_ + this.dropped_ > 0) this.node.warn(text);
    else this.node.log(text);
  }
}
