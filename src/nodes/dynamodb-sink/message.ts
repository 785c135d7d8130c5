// What the sink does with one message once its write has an outcome (DESIGN.md 1.3): the output
// with msg.dynamodb and done() after the write, done(err) when it failed or was dropped. One
// object per message with its methods on the prototype (not three closures), since every queued
// message keeps its listener alive until the write is acknowledged.
import type { NodeMessage } from 'node-red';
import { decodeValue } from '../../dynamo/item/encoding';
import type { AttributeMap, WriteListener, WriteOperation } from '../../dynamo/delivery/queue';
import { completeOn, type SinkDrops } from './completion';
import type { SinkInstance, SinkLineage } from './lineage';

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
   * starts; when none will, on the instance it arrived at (its log). So does one whose write the
   * instance it arrived at finishes while closing towards a successor (`handingOver`): Node-RED
   * has taken that node out of its flow, so its own send and done(err) would reach nothing.
   */
  private deliver(act: Act): void {
    const home = this.home;
    if (!home || (home.lineage.live === home.instance && !home.instance.handingOver)) return act(this.send, this.done, this.drops);
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
