// The `dynamodb-sink` node (DESIGN.md 1.3): reads its settings, turns each message's row into a
// write (template, encoding, keys), hands it to a BatchWriter, and reports back per message
// (done / done(err) / output with msg.dynamodb), in its status and at GET /dynamodb-sink/:id/metrics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { DynamoConnection, HealthState } from '../../dynamo/connection/connection';
import { DiskStore, MemoryStore, type WriteStore } from '../../dynamo/delivery/disk-buffer';
import type { ItemEncoding } from '../../dynamo/item/encoding';
import { countersAddUp, type MetricsSnapshot } from '../../dynamo/delivery/metrics';
import { parseWrite, type QueuedWrite } from '../../dynamo/delivery/queue';
import { BatchWriter, type QueryMode } from '../../dynamo/delivery/writer';
import type { WriteRateState } from '../../dynamo/delivery/write-rate';
import { WritePlan, type PlannedWrite } from '../../dynamo/item/write-plan';
import { readSinkConfig, type SinkConfig, type SinkNodeDef } from './config';
import { registerSinkCheck } from './check';
import { endClosedLineages, forgetLineage, lineageOf, type SinkInstance } from './lineage';
import { Intake } from './intake';
import { MessageWrite, RestoredWrites, sinkDrops, type MessageHome } from './message';
import { RemovalDrops, afterFlowsStart, bufferRoot, deployedState, registerBacklogs, type BacklogOwner } from './backlog';
import { sinkText } from './text';

export type { SinkNodeDef } from './config';

/** How often the status may change at most (it is not updated once per message). */
const STATUS_INTERVAL_MS = 500;
/** Of Node-RED's 15 s close timeout: time to flush, then time for calls already in flight. */
const CLOSE_FLUSH_MS = 8000;
const CLOSE_SETTLE_MS = 5000;
/**
 * Heap of one queued message besides its item (the msg object, its row's objects, the
 * listener), bytes. The writer counts the item itself; the row shares its strings with the item
 * unless a template built new ones, so the row's data is counted again only with a template.
 * Measured: ~1,460 bytes + the item size per message in all (bench/memory.ts and
 * test/e2e/reliability-memory.test.ts); counted: 1,240 + 48 per attribute + the item size.
 */
const MESSAGE_OVERHEAD_BYTES = 800;

/** How long a new instance waits for Node-RED's flows:started before delivering earlier instances' outcomes. */
const FLOWS_STARTED_FALLBACK_MS = 2000;
/** Runtimes whose stop events this module follows (register() runs once per load in tests). */
const watchedRuntimes = new WeakSet<object>();
/** Running sinks by id (refused ones too), for the metrics endpoint. */
const running = new Map<string, SinkRuntime>();

export interface SinkRuntime extends BacklogOwner {
  metrics(): SinkMetricsAnswer;
}

export interface SinkMetricsAnswer {
  id: string;
  name: string;
  table: string;
  bufferMode: 'memory' | 'disk';
  connection: HealthState['status'] | 'none';
  reason?: string;
  paused: boolean;
  lastError?: string;
  queuedBytes: number;
  /** maxWriteUnits, and the adaptive rate (WCU/s) while DynamoDB throttles. */
  writeRate?: WriteRateState;
  counters: MetricsSnapshot;
  /** The sink refused its configuration: why; every message fails with it (counted failed). */
  configError?: string;
}

interface SinkNode extends Node {
  runtime?: SinkRuntime;
}

export default function register(RED: NodeAPI): void {
  const text = sinkText(RED);

  function DynamoDbSinkNode(this: SinkNode, def: SinkNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    // Counters and unfinished writes of this node id outlive a redeploy (dynamodb-sink-lineage.ts).
    const lineage = lineageOf(node.id);
    let config: SinkConfig;
    try {
      config = readSinkConfig(def);
    } catch (err) {
      return refuseAll(node, def, text('status.configError', { error: (err as Error).message }), (err as Error).message);
    }
    const connection = RED.nodes.getNode(def.connector) as unknown as DynamoConnection | null;
    if (!connection || typeof connection.register !== 'function') {
      const why = text('errors.noConnector');
      return refuseAll(node, def, why, why);
    }
    const table = config.table || connection.settings.table;
    if (!table) {
      const why = text('errors.noTable');
      return refuseAll(node, def, why, why);
    }
    // What each message becomes (table, operation, key, item or update, condition, TTL), compiled
    // once: a template or expression that does not parse stops the deploy here, with its position.
    let plan: WritePlan;
    try {
      plan = new WritePlan(
        {
          ...config,
          table,
          encode: {
            encoding: config.encoding as ItemEncoding,
            undefinedVarsAsNull: config.undefinedVarsAsNull,
            hashKey: config.hashKey,
            rangeKey: config.rangeKey,
          },
        },
        {
          payloadNotJson: () => text('errors.payloadNotJson'),
          payloadNotObject: (type) => text('errors.payloadNotObject', { type }),
          operation: (operation) => text('errors.operation', { operation }),
        },
      );
    } catch (err) {
      return refuseAll(node, def, text('status.configError', { error: (err as Error).message }), (err as Error).message);
    }

    // Status: throttled; says the connection state, the counts and the last error in words.
    let statusTimer: NodeJS.Timeout | undefined;
    let lastStatusAt = 0;
    let store: WriteStore;
    let bufferDir: string | undefined;
    // Disk errors outside a message's own append (settling, deleting, reading): the records stay
    // on disk for replay; the log says why, at most once per kind every 10 s.
    const onDiskError = (err: Error, suppressed: number) =>
      node.warn(suppressed > 0 ? `${err.message} (${suppressed} more like it before this)` : err.message);
    if (config.bufferMode === 'disk') {
      bufferDir = path.join(bufferRoot(RED), node.id);
      try {
        store = new DiskStore(bufferDir, { onError: onDiskError });
      } catch (err) {
        const why = text('errors.bufferDir', { dir: bufferDir, error: (err as Error).message });
        return refuseAll(node, def, why, why);
      }
    } else {
      store = new MemoryStore();
    }

    const writer = new BatchWriter({
      client: connection.client,
      queryMode: config.queryMode as QueryMode,
      batchSize: config.batchSize,
      batchTime: config.batchTime,
      inflightWindow: config.inflightWindow,
      requestTtl: config.requestTtl,
      maxBufferBytes: config.maxBufferBytes,
      maxWriteUnits: config.maxWriteUnits,
      store,
      metrics: lineage.metrics,
      // A write whose call outlived close() comes back here: to the successor, never into the closed queue.
      onHandOff: (w) => lineage.handOff(w),
      describeEndpoint: () => connection.describeEndpoint(),
      requestTimeout: connection.settings.requestTimeout,
      log: { info: (t) => node.log(t), warn: (t) => node.warn(t) },
      onConnectionError: () => connection.checkNow(),
      onWrittenWhilePaused: () => connection.checkNow(),
      onChange: () => scheduleStatus(),
      onConditionFailed: config.onConditionFailed,
    });

    connection.register(node.id);
    const applyHealth = (state: HealthState) => {
      writer.setAvailable(state.status !== 'down', state.status === 'down' ? state.reason : undefined);
      scheduleStatus();
    };
    const unsubscribe = connection.onHealthChange(applyHealth);
    applyHealth(connection.health());

    const removal = new RemovalDrops(RED, node);
    const drops = sinkDrops(node, removal);
    const instance: SinkInstance = { node, drops, adopt: (writes) => writer.adopt(writes, { counted: true }) };
    const parked = lineage.attach(instance);
    const home: MessageHome = { lineage, instance };
    const kept = lineage.takeKept();
    const handedOnDisk = kept.size;
    const restoredWrites = new RestoredWrites(node);
    try {
      const restored = writer.restore(kept, restoredWrites);
      // Those not handed over in this process came from before a restart: outcomes logged, no message.
      restoredWrites.expect(restored - (handedOnDisk - kept.size));
      if (restored > 0) node.log(text('log.restored', { count: restored, dir: bufferDir ?? '' }));
    } catch (err) {
      node.error(text('errors.restore', { dir: bufferDir ?? '', error: (err as Error).message }));
    }
    // Kept at the last close but gone from the disk now: they can reach no writer.
    if (kept.size > 0) lineage.expire([...kept.values()], `its record was no longer in ${bufferDir ?? 'the disk buffer'}`);
    if (parked.length > 0) {
      writer.adopt(parked, { counted: true });
      node.log(text('log.adopted', { count: parked.length }));
    }
    // Outcomes of earlier instances' messages go to this instance's wires once its flow runs.
    // Through the shared flows:started listener of dynamodb-sink-backlog.ts, not one per sink.
    const stopWaiting = afterFlowsStart(() => lineage.markReady(instance), FLOWS_STARTED_FALLBACK_MS);

    function scheduleStatus(): void {
      if (statusTimer) return;
      const wait = Math.max(0, lastStatusAt + STATUS_INTERVAL_MS - Date.now());
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        lastStatusAt = Date.now();
        showStatus();
      }, wait);
    }
    /** Messages in the intake (set once it exists, below). */
    let waitingInIntake = (): number => 0;
    function showStatus(): void {
      const m = counters();
      const counts = text('status.counts', { success: m.success, failed: m.failed, queued: m.queuing + m.inflight });
      const dropped =
        (m.dropped > 0 ? text('status.dropped', { dropped: m.dropped }) : '') +
        (m['consumed.wcu'] > 0 ? text('status.wcu', { wcu: Math.round(m['consumed.wcu'] * 10) / 10 }) : '');
      const pause = writer.paused();
      const health = connection!.health();
      if (pause) {
        node.status({ fill: 'yellow', shape: 'ring', text: clip(text('status.down', { reason: pause.reason, counts: counts + dropped })) });
      } else if (health.status === 'connecting') {
        node.status({ fill: 'grey', shape: 'ring', text: clip(text('status.connecting', { counts: counts + dropped })) });
      } else if (writer.lastError && (m.failed > 0 || m.dropped > 0 || m.queuing > 0)) {
        node.status({ fill: 'red', shape: 'dot', text: clip(`${counts}${dropped} · ${writer.lastError}`) });
      } else {
        node.status({ fill: 'green', shape: 'dot', text: clip(counts + dropped) });
      }
    }
    showStatus();

    const runtime: SinkRuntime = {
      metrics: () => {
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
          counters: counters(),
        };
      },
      bufferMode: config.bufferMode,
      importBacklog: (dir) => importBacklog(dir),
    };
    node.runtime = runtime;
    running.set(node.id, runtime);

    /**
     * The writer's counters, with the messages still in the intake (received, not yet taken)
     * counted as matched and queuing: they are waiting, as queued writes are.
     */
    function counters(): MetricsSnapshot {
      const m = writer.metrics.snapshot();
      const waiting = waitingInIntake();
      if (waiting > 0) {
        m.matched += waiting;
        m.queuing += waiting;
      }
      return m;
    }

    const reject = (done: (err?: Error) => void, message: string) => {
      writer.metrics.matched += 1;
      writer.metrics.failed += 1;
      writer.lastError = message;
      scheduleStatus();
      done(new Error(message));
    };

    /** Moves another directory's backlog into this sink (POST /dynamodb-sink/backlogs/:id/replay). */
    function importBacklog(dir: string): { moved: number; unreadable: number; keptSource: boolean } {
      const source = new DiskStore(dir, { onError: onDiskError });
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
      const unstored = writer.adopt(taken);
      source.close();
      // Delete the source only once every write is in this sink's own disk buffer.
      if (unstored === 0) fs.rmSync(dir, { recursive: true, force: true });
      return { moved: taken.length, unreadable: bad, keptSource: unstored > 0 };
    }

    type Send = (msg: NodeMessage | NodeMessage[]) => void;
    type Done = (err?: Error) => void;
    const take = (msg: NodeMessage & Record<string, unknown>, send: Send, done: Done): void => {
      // Node-RED still delivers to a node until its close has finished: counted, to Catch.
      if (writer.isClosed) return reject(done, text('errors.closing'));
      let planned: PlannedWrite;
      try {
        planned = plan.plan(msg.payload, msg.operation);
      } catch (err) {
        return reject(done, (err as Error).message);
      }
      const { request, itemBytes } = planned;
      try {
        writer.enqueue(
          request,
          new MessageWrite(msg, send, done, request.table, request.operation, request.key, drops, home),
          // The message stays in memory until it is acknowledged: count it against maxBufferBytes.
          { retainedBytes: MESSAGE_OVERHEAD_BYTES + (plan.templated ? itemBytes : 0), itemBytes },
        );
      } catch (err) {
        // enqueue counts every message it takes, even one it fails at once (disk full): a throw means it took none.
        reject(done, (err as Error).message);
      }
    };
    // A burst waits in the intake while the writer has a window's worth to send (issue 14).
    const intake = new Intake<NodeMessage & Record<string, unknown>, Send, Done>(take, () => writer.backlogged());
    waitingInIntake = () => intake.length;
    node.on('input', (msg: NodeMessage & Record<string, unknown>, send, done) => intake.offer(msg, send, done));

    node.on('close', (removed: boolean, done: () => void) => {
      // Messages still in the intake were received: they go to the writer like the rest.
      intake.flush();
      running.delete(node.id);
      instance.closing = true;
      stopWaiting();
      restoredWrites.close();
      unsubscribe();
      // Node-RED closes a disabled node (or every node of a disabled tab) with removed = true,
      // as a deleted one: the deployed configuration tells them apart. Disabling is maintenance:
      // a disk backlog stays. Only a deletion drops what is queued.
      // Inside a subflow instance (_alias) Node-RED closes with removed = false even when the
      // instance is deleted: there the deployed configuration alone tells.
      const alias = (node as SinkNode & { _alias?: string })._alias;
      const deployed = removed || alias ? deployedState(RED, node.id, alias) : undefined;
      const state = deployed && (removed || deployed.state === 'deleted') ? deployed.state : 'enabled';
      const deleted = state === 'deleted';
      const drop = deleted || (removed && config.bufferMode === 'memory');
      // Disk mode keeps what is left anyway: flush briefly so a redeploy stays quick.
      const flushMs = drop || config.bufferMode === 'memory' ? CLOSE_FLUSH_MS : Math.min(CLOSE_FLUSH_MS, 2000);
      const droppedBefore = writer.metrics.dropsFor('resource_stopped');
      writer
        .close(flushMs, CLOSE_SETTLE_MS, drop)
        .then((left) => {
          // From here on this instance is gone: what comes back waits for (or goes to) the successor.
          lineage.detach(instance, removed || deleted);
          if (left.length > 0 && config.bufferMode === 'memory') {
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
              fs.rmSync(bufferDir, { recursive: true, force: true });
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
                how: deleted ? 'deleted' : 'disabled',
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
        .catch((err: Error) => node.error(err.message))
        .finally(() => {
          if (statusTimer) clearTimeout(statusTimer);
          connection.deregister(node.id);
          lineage.detach(instance, removed || deleted);
          if (removed || deleted) forgetLineage(node.id);
          done();
        });
    });
  }

  /**
   * A sink that cannot work: says why in its status, fails every message with it (counted
   * matched and failed), and still answers its metrics endpoint with that state.
   */
  function refuseAll(node: SinkNode, def: SinkNodeDef, status: string, why: string): void {
    const metrics = lineageOf(node.id).metrics;
    node.error(why);
    node.status({ fill: 'red', shape: 'ring', text: clip(status) });
    const bufferMode = def.bufferMode === 'disk' ? 'disk' : 'memory';
    const runtime: SinkRuntime = {
      bufferMode,
      metrics: () => ({
        id: node.id,
        name: def.name ?? '',
        table: typeof def.table === 'string' ? def.table : '',
        bufferMode,
        connection: 'none',
        paused: false,
        lastError: why,
        queuedBytes: 0,
        counters: metrics.snapshot(),
        configError: why,
      }),
    };
    node.runtime = runtime;
    running.set(node.id, runtime);
    node.on('input', (_msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => {
      metrics.matched += 1;
      metrics.failed += 1;
      done(new Error(why));
    });
    node.on('close', (removed: boolean, done: () => void) => {
      if (running.get(node.id) === runtime) running.delete(node.id);
      if (removed) forgetLineage(node.id);
      done();
    });
  }

  registerBacklogs(RED, (id) => running.get(id));
  registerSinkCheck(RED);

  // A stop that is not a deploy (the runtime stopping, flows stopped) ends what waited for successors.
  if (!watchedRuntimes.has(RED.events)) {
    watchedRuntimes.add(RED.events);
    RED.events.on('runtime-event', (event: { id?: string; payload?: { state?: string; deploy?: boolean } }) => {
      if (event?.id === 'runtime-state' && event.payload?.state === 'stop' && !event.payload.deploy) endClosedLineages();
    });
  }

  RED.nodes.registerType('dynamodb-sink', DynamoDbSinkNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  RED.httpAdmin.get('/dynamodb-sink/:id/metrics', RED.auth.needsPermission('dynamodb-sink.read'), (req, res) => {
    const id = String(req.params.id);
    const sink = running.get(id);
    if (!sink) {
      res.status(404).json({ error: `no running dynamodb-sink with id ${id}` });
      return;
    }
    const answer = sink.metrics();
    res.json({ ...answer, consistent: countersAddUp(answer.counters) });
  });
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
