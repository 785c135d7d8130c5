// One running instance of a dynamodb-sink node (DESIGN.md 1.3), from a deploy to its close: its
// BatchWriter over the connector's client, the connection's health, what it takes over from the
// instance before it, its status and metrics, and how it turns each message's row into a write
// (template, encoding, keys) whose outcome completes the message (message.ts).
import type { NodeAPI, NodeMessage } from 'node-red';
import type { HealthState } from '../../dynamo/connection/connection';
import { DiskStore } from '../../dynamo/delivery/disk-buffer';
import type { MetricsSnapshot } from '../../dynamo/delivery/metrics';
import { parseWrite, type QueuedWrite } from '../../dynamo/delivery/queue';
import { BatchWriter, type QueryMode } from '../../dynamo/delivery/writer';
import type { PlannedWrite } from '../../dynamo/item/write-plan';
import { RemovalDrops } from './backlog';
import { closeWrites } from './close';
import { sinkDrops } from './completion';
import type { SinkNodeDef } from './config';
import { forgetLineage, lineageOf, type SinkInstance, type SinkLineage } from './lineage';
import { MessageWrite, type MessageHome } from './message';
import type { PreparedSink } from './prepare';
import type { RestoredWrites } from './restored';
import { runningSinks, type SinkNode, type SinkRuntime } from './running';
import { SinkStatus } from './status';
import { takeOver } from './takeover';
import type { SinkText } from './text';
import { removeDir } from '../../dynamo/delivery/disk-io';

/**
 * Heap of one queued message besides its item (the msg object, its row's objects, the
 * listener), bytes. The writer counts the item itself; the row shares its strings with the item
 * unless a template built new ones, so the row's data is counted again only with a template.
 * Measured: ~1,460 bytes + the item size per message in all (bench/memory.ts and
 * test/e2e/reliability-memory.test.ts); counted: 1,240 + 48 per attribute + the item size.
 */
const MESSAGE_OVERHEAD_BYTES = 800;

export type SinkMessage = NodeMessage & Record<string, unknown>;
export type Send = (msg: NodeMessage | NodeMessage[]) => void;
export type Done = (err?: Error) => void;

export class RunningSink {
  readonly writer: BatchWriter;
  /** Messages received but not yet taken (the intake's length, set by register.ts). */
  waiting: () => number = () => 0;
  // Counters and unfinished writes of this node id outlive a redeploy (lineage.ts).
  private readonly lineage: SinkLineage;
  private readonly instance: SinkInstance;
  private readonly home: MessageHome;
  private readonly removal: RemovalDrops;
  private readonly status: SinkStatus;
  private readonly unsubscribe: () => void;
  private readonly restoredWrites: RestoredWrites;
  private readonly stopWaiting: () => void;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: SinkNode,
    def: SinkNodeDef,
    private readonly sink: PreparedSink,
    private readonly text: SinkText,
  ) {
    const { config, connection, bufferDir } = sink;
    const lineage = (this.lineage = lineageOf(node.id));
    // Status: throttled; says the connection state, the counts and the last error in words.
    this.status = new SinkStatus(node, text, () => ({
      counters: this.counters(),
      pause: this.writer.paused(),
      connecting: connection.health().status === 'connecting',
      lastError: this.writer.lastError,
      lastCause: this.writer.lastCause,
    }));
    const writer = (this.writer = new BatchWriter({
      client: connection.client,
      queryMode: config.queryMode as QueryMode,
      batchSize: config.batchSize,
      batchTime: config.batchTime,
      inflightWindow: config.inflightWindow,
      requestTtl: config.requestTtl,
      maxBufferBytes: config.maxBufferBytes,
      maxWriteUnits: config.maxWriteUnits,
      store: sink.store,
      metrics: lineage.metrics,
      // A write whose call outlived close() comes back here: to the successor, never into the closed queue.
      onHandOff: (w) => lineage.handOff(w),
      describeEndpoint: () => connection.describeEndpoint(),
      requestTimeout: connection.settings.requestTimeout,
      log: { info: (t) => node.log(t), warn: (t) => node.warn(t) },
      onConnectionError: () => connection.checkNow(),
      onWrittenWhilePaused: () => connection.checkNow(),
      onChange: () => this.status.schedule(),
      onConditionFailed: config.onConditionFailed,
      createTable: sink.createTable,
    }));

    connection.register(node.id);
    const applyHealth = (state: HealthState) => {
      writer.setAvailable(state.status !== 'down', state.status === 'down' ? state.reason : undefined);
      this.status.schedule();
    };
    this.unsubscribe = connection.onHealthChange(applyHealth);
    applyHealth(connection.health());

    this.removal = new RemovalDrops(RED, node);
    const drops = sinkDrops(node, this.removal);
    this.instance = { node, drops, adopt: (writes) => writer.adopt(writes, { counted: true }) };
    this.home = { lineage, instance: this.instance };
    ({ restoredWrites: this.restoredWrites, stopWaiting: this.stopWaiting } = takeOver(node, text, lineage, this.instance, writer, bufferDir));
    this.status.show();

    const runtime: SinkRuntime = {
      metrics: () => this.metrics(def),
      bufferMode: config.bufferMode,
      importBacklog: (dir) => this.importBacklog(dir),
    };
    node.runtime = runtime;
    runningSinks.set(node.id, runtime);
  }

  /** One message: planned into a write and queued, or failed at once with done(err) (counted). */
  readonly take = (msg: SinkMessage, send: Send, done: Done): void => {
    const { writer, sink } = this;
    // Node-RED still delivers to a node until its close has finished: counted, to Catch.
    if (writer.isClosed) return this.reject(done, this.text('errors.closing'));
    let planned: PlannedWrite;
    try {
      planned = sink.plan.plan(msg.payload, msg.operation);
    } catch (err) {
      return this.reject(done, (err as Error).message);
    }
    const { request, itemBytes } = planned;
    try {
      writer.enqueue(
        request,
        new MessageWrite(msg, send, done, request.table, request.operation, request.key, this.instance.drops, this.home),
        // The message stays in memory until it is acknowledged: count it against maxBufferBytes.
        { retainedBytes: MESSAGE_OVERHEAD_BYTES + (sink.plan.templated ? itemBytes : 0), itemBytes },
      );
    } catch (err) {
      // enqueue counts every message it takes, even one it fails at once (disk full): a throw means it took none.
      this.reject(done, (err as Error).message);
    }
  };

  /** The writer has a window's worth to send: a new message may wait in the intake. */
  backlogged(): boolean {
    return this.writer.backlogged();
  }

  /** Closes the writer (close.ts), then lets go of the connector and, once gone, of the lineage. */
  close(removed: boolean, done: () => void): void {
    const { node, lineage, instance } = this;
    runningSinks.delete(node.id);
    instance.closing = true;
    this.stopWaiting();
    this.restoredWrites.close();
    this.unsubscribe();
    const { config, bufferDir, connection } = this.sink;
    const { RED, text, writer, removal } = this;
    const { gone, closed } = closeWrites({ RED, node, text, writer, bufferMode: config.bufferMode, bufferDir, lineage, instance, removal }, removed);
    closed.finally(() => {
      this.status.stop();
      connection.deregister(node.id);
      lineage.detach(instance, gone);
      if (gone) forgetLineage(node.id);
      done();
    });
  }

  /**
   * The writer's counters, with the messages still in the intake (received, not yet taken)
   * counted as matched and queuing: they are waiting, as queued writes are.
   */
  private counters(): MetricsSnapshot {
    const m = this.writer.metrics.snapshot();
    const waiting = this.waiting();
    if (waiting > 0) {
      m.matched += waiting;
      m.queuing += waiting;
    }
    return m;
  }

  private metrics(def: SinkNodeDef): ReturnType<SinkRuntime['metrics']> {
    const { writer, node } = this;
    const { config, connection, table } = this.sink;
    const health = connection.health();
    return {
      id: node.id,
      name: def.name ?? '',
      table,
      bufferMode: config.bufferMode,
      connection: health.status,
      ...(health.status === 'down' ? { reason: health.reason } : {}),
      paused: writer.paused() !== undefined,
      ...(writer.lastError ? { lastError: writer.lastError } : {}),
      queuedBytes: writer.queuedBytes(),
      writeRate: writer.writeRate(),
      counters: this.counters(),
    };
  }

  private reject(done: Done, message: string): void {
    const { writer } = this;
    writer.metrics.matched += 1;
    writer.metrics.failed += 1;
    writer.lastError = message;
    this.status.schedule();
    done(new Error(message));
  }

  /** Moves another directory's backlog into this sink (POST /dynamodb-sink/backlogs/:id/replay). */
  private importBacklog(dir: string): { moved: number; unreadable: number; keptSource: boolean } {
    const source = new DiskStore(dir, { onError: this.sink.onDiskError });
    const { writes, unreadable } = source.restore();
    const taken: QueuedWrite[] = [];
    let bad = unreadable.length;
    for (const s of writes) {
      try {
        taken.push({ ...parseWrite(s.record), enqueuedAt: s.enqueuedAt } as QueuedWrite);
      } catch {
        bad += 1;
      }
    }
    const unstored = this.writer.adopt(taken);
    source.close();
    // Delete the source only once every write is in this sink's own disk buffer.
    if (unstored === 0) removeDir(dir);
    return { moved: taken.length, unreadable: bad, keptSource: unstored > 0 };
  }
}
