// What outlives one instance of a dynamodb-sink node in this process: its counters, the writes it
// could not finish, and the way back to a live instance for messages still waiting for their
// outcome (DESIGN.md 6). A full deploy closes a node and starts a new instance with the same id:
// the lineage of that id carries over so that
// - counters continue instead of restarting at zero (EMQX keeps a resource's metrics while it runs);
// - writes queued at close, and writes whose call was still in flight at close and comes back
//   unwritten later, go to the successor (a closed writer takes nothing back), or end as
//   dropped.resource_stopped, counted and logged, when no successor starts within PARK_GRACE_MS;
// - a handed-over message completes on the live instance (its output, done, Catch nodes), even
//   when its outcome arrives while no instance runs (it waits for the successor);
// - so does a message whose write the closing instance finishes itself (issue 21): Node-RED takes
//   a node out of its flow before it calls its close, so from then on the closing node's send and
//   Catch reach nothing; when a successor is expected, its outcomes wait for it too.
import type { Node, NodeAPI } from 'node-red';
import { SinkMetrics } from '../../dynamo/delivery/metrics';
import type { QueuedWrite } from '../../dynamo/delivery/queue';
import { afterFlowsStart } from './backlog';
import type { SinkDrops } from './completion';
import { runtimeSinkText } from './text';

/** The sink's catalog words, looked up when a text is made. */
const text = runtimeSinkText;

/**
 * How long writes and outcomes wait for a successor after an instance closed. Node-RED starts
 * the new instances of a full deploy once every node has closed (its close timeout is 15 s).
 */
export const PARK_GRACE_MS = 30000;

type Send = (msg: never) => void;
type Done = (err?: Error) => void;

/** One running instance, as its lineage and the messages of earlier instances see it. */
export interface SinkInstance {
  node: Node;
  drops: SinkDrops;
  /** Takes writes already counted in the lineage's metrics (BatchWriter.adopt with counted). */
  adopt(writes: QueuedWrite[]): void;
  /** Set when its close begins: writes handed off from then on wait for the successor. */
  closing?: boolean;
  /**
   * Set when a close begins that a successor of the same id is expected to follow (a deploy that
   * keeps the node, a restart of the flows; not a deletion or a disabling): from then on the
   * outcomes of its messages, those its own close finishes included, complete on the successor
   * (DESIGN.md 6), since Node-RED has already taken this node out of its flow.
   */
  handingOver?: boolean;
}

/** Send, done and burst logs of the live instance, for a message another instance received. */
export interface Target {
  send: Send;
  done: Done;
  drops: SinkDrops;
}

export class SinkLineage {
  readonly metrics = new SinkMetrics();
  live?: SinkInstance;
  /** The live instance's flow has started: outcomes of earlier instances may go to its wires. */
  private ready = false;
  /** Memory-mode writes waiting for a successor (counted queuing). */
  private parked: QueuedWrite[] = [];
  /** Disk mode: what the last instance left on disk, by seq, with listeners (counted queuing). */
  private kept = new Map<number, QueuedWrite>();
  /** Outcomes that arrived while no instance ran. */
  private pending: ((live: SinkInstance | undefined) => void)[] = [];
  private graceTimer?: NodeJS.Timeout;
  private retired = false;
  /** The last instance's log, for the one line a grace expiry writes. */
  private warn: (text: string) => void = () => undefined;

  constructor(readonly id: string) {}

  /**
   * A new instance starts: it gets the parked writes, and becomes the target of every outcome
   * once `ready()` says its flow has started (before that its wires may lead nowhere yet).
   */
  attach(instance: SinkInstance): QueuedWrite[] {
    this.live = instance;
    this.ready = false;
    this.retired = false;
    this.warn = (text) => instance.node.warn(text);
    this.clearGrace();
    // In their original order (writes that came back from late calls were parked first).
    const parked = this.parked.sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.seq - b.seq);
    this.parked = [];
    return parked;
  }

  /** The live instance's flow runs: outcomes that waited for it are delivered now. */
  markReady(instance: SinkInstance): void {
    if (this.live !== instance) return;
    this.ready = true;
    const pending = this.pending;
    this.pending = [];
    for (const run of pending) run(instance);
  }

  /**
   * The live instance's close begins and a successor of this id is expected (DESIGN.md 6): the
   * outcomes of its messages wait for the successor from now on (whenLive). Bounded: the next
   * flows:started without a successor, the grace period, or the end of the lineage (a stop that
   * is not a deploy) sends them to their own node instead, counted and logged as before.
   * Idempotent; an instance that is not the live one is ignored.
   */
  handOver(instance: SinkInstance | undefined = this.live): void {
    if (!instance || this.live !== instance || instance.handingOver) return;
    instance.handingOver = true;
    afterFlowsStart(() => this.startedWithoutSuccessor(), PARK_GRACE_MS);
  }

  /** Disk mode: the writes the previous instance left on disk, by seq (restore removes those it found). */
  takeKept(): Map<number, QueuedWrite> {
    const kept = this.kept;
    this.kept = new Map();
    return kept;
  }

  /** Disk mode, at close: the writes left unsettled on disk, still counted queuing. */
  keep(writes: QueuedWrite[]): void {
    for (const w of writes) this.kept.set(w.seq, w);
    this.armGrace();
  }

  /** Disk mode, at close: writes left on disk that no successor will send; they leave the counters. */
  release(writes: QueuedWrite[]): void {
    this.metrics.matched -= writes.length;
    this.metrics.queuing -= writes.length;
  }

  /** A write the closed writer hands back: to the live successor, or parked for it. */
  handOff(w: QueuedWrite): void {
    if (this.live && !this.live.closing) this.live.adopt([w]);
    else if (this.retired) this.expire([w], text('errors.dropped.nodeRemoved'));
    else {
      this.parked.push(w);
      this.armGrace();
    }
  }

  /** Memory mode, at close: the writes still queued, for the successor. */
  park(writes: QueuedWrite[]): void {
    if (writes.length === 0) return;
    for (const w of writes) this.handOff(w);
  }

  /** The instance closed; `removed`: deleted, no successor will come. */
  detach(instance: SinkInstance, removed: boolean): void {
    if (this.live !== instance) return;
    this.live = undefined;
    this.ready = false;
    if (removed) this.retire();
  }

  /** No successor will come (the node was deleted, or the flows stopped without a deploy). */
  retire(): void {
    this.retired = true;
    this.endGrace();
  }

  /**
   * Runs `act` on the running instance, now or once one has started (undefined: none will). A
   * live instance that is handing over is no longer running: `act` waits for its successor.
   */
  whenLive(act: (live: SinkInstance | undefined) => void): void {
    const running = this.running();
    if ((running && this.ready) || this.retired) {
      act(running);
      return;
    }
    this.pending.push(act);
    this.armGrace();
  }

  /** The instance outcomes may complete on: the live one, unless it is closing towards a successor. */
  private running(): SinkInstance | undefined {
    return this.live && !this.live.handingOver ? this.live : undefined;
  }

  /**
   * The flows started after a handing-over close and no instance of this id is among them (its
   * new configuration was refused, or the start failed): the outcomes that waited go to their
   * own node now (counted, logged). Parked writes keep their grace period.
   */
  private startedWithoutSuccessor(): void {
    if (this.running() || this.retired || this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const run of pending) run(undefined);
  }

  private armGrace(): void {
    const running = this.running();
    if ((running && !running.closing) || this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.endGrace(), PARK_GRACE_MS);
    this.graceTimer.unref();
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /** No successor came: parked writes are dropped, kept ones wait on disk, outcomes go to their origin. */
  private endGrace(): void {
    this.clearGrace();
    const parked = this.parked;
    this.parked = [];
    if (parked.length > 0) this.expire(parked, text('errors.dropped.noSuccessor', { id: this.id, seconds: PARK_GRACE_MS / 1000 }));
    if (this.kept.size > 0) {
      // They stay on disk for the next start, which counts them afresh as restored writes.
      this.metrics.matched -= this.kept.size;
      this.metrics.queuing -= this.kept.size;
      this.kept.clear();
    }
    const pending = this.pending;
    this.pending = [];
    for (const run of pending) run(undefined);
    // Dropping the parked writes above asked for another grace period: nothing is left for it.
    this.clearGrace();
  }

  /**
   * Ends writes that can reach no writer as dropped.resource_stopped: counted, each listener
   * told, one log line. `why`: the end of the sentence, in the catalog's words.
   */
  expire(writes: QueuedWrite[], why: string): void {
    const err = (w: QueuedWrite) => new Error(text('errors.dropped.write', { operation: w.operation, table: w.table, why }));
    let unheard = 0;
    for (const w of writes) {
      this.metrics.queuing -= 1;
      this.metrics.drop('resource_stopped');
      // A message's listener reports it (its Catch nodes, else one log line per burst).
      if (w.listener) w.listener.dropped('resource_stopped', err(w), w.attempts);
      else unheard += 1;
    }
    if (unheard > 0) {
      this.warn(text('errors.dropped.withoutMessage', { count: unheard, why }));
    }
  }
}

const lineages = new Map<string, SinkLineage>();

/** The lineage of a node id in this process, created on first use. */
export function lineageOf(id: string): SinkLineage {
  let lineage = lineages.get(id);
  if (!lineage) lineages.set(id, (lineage = new SinkLineage(id)));
  return lineage;
}

/**
 * The flows stopped without a deploy (Node-RED stopping, or its flows stopped): the nodes that
 * closed get no successor in this run. Their parked writes end as resource_stopped at once
 * (counted, logged), and the next start of those ids begins a new lineage (counters from zero,
 * disk backlogs counted afresh as restored), as after a restart.
 */
export function endClosedLineages(): void {
  for (const [id, lineage] of lineages) {
    if (lineage.live) continue;
    lineage.retire();
    lineages.delete(id);
  }
}

/** Runtimes whose stop events this module follows (register() runs once per load in tests). */
const watchedRuntimes = new WeakSet<object>();

/** A stop that is not a deploy (the runtime stopping, flows stopped) ends what waited for successors. */
export function endLineagesWhenFlowsStop(RED: NodeAPI): void {
  if (watchedRuntimes.has(RED.events)) return;
  watchedRuntimes.add(RED.events);
  RED.events.on('runtime-event', (event: { id?: string; payload?: { state?: string; deploy?: boolean } }) => {
    if (event?.id === 'runtime-state' && event.payload?.state === 'stop' && !event.payload.deploy) endClosedLineages();
  });
}

/** A deleted node's lineage: the next node with this id (an undo) starts from zero. */
export function forgetLineage(id: string): void {
  lineages.delete(id);
}
