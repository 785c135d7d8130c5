// The disk buffers of dynamodb-sink nodes as a whole (DESIGN.md 6, bufferMode "disk"):
// - Catch delivery for writes dropped because their sink was deleted, once the deploy has
//   started the new flows (during a deploy the old flow's Catch nodes are already stopped);
// - backlogs on disk that no running disk-mode sink owns: reported after every start or deploy
//   that changes them, and listed, moved into a running sink or discarded through the editor API:
//     GET    /dynamodb-sink/backlogs                      every buffer directory with its owner
//     POST   /dynamodb-sink/backlogs/:id/replay {into}    send it through running disk-mode sink `into`
//     DELETE /dynamodb-sink/backlogs/:id                  delete it (refused while a sink owns it)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { inspectBacklog, type BacklogInfo } from '../../dynamo/delivery/disk-buffer';
import { deployedState, type FlowDef } from '../deployed-state';
import { sinkText, type SinkText } from './text';
import { removeDir } from '../../dynamo/delivery/disk-io';

type Done = (err?: Error) => void;

/** `<userDir>/dynamodb-sink-buffer`: one directory per sink id holds its disk buffer. */
export function bufferRoot(RED: NodeAPI): string {
  const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
  return path.join(userDir, 'dynamodb-sink-buffer');
}

// ---------------------------------------------------------------------------------------------
// One listener per runtime for flows:started (register() runs again at every test-helper load).

type StartedListener = () => void;
const startedListeners = new Set<StartedListener>();
const hooked = new WeakSet<object>();
let latestRED: NodeAPI | undefined;

function hookRuntime(RED: NodeAPI): void {
  latestRED = RED;
  const events = RED.events as unknown as { on(e: string, fn: () => void): void };
  if (hooked.has(events)) return;
  hooked.add(events);
  events.on('flows:started', () => {
    for (const fn of [...startedListeners]) fn();
    if (latestRED) reportBacklogs(latestRED);
  });
}

/**
 * Runs fn once at the next flows:started, or after fallbackMs if none comes; returns a cancel.
 * One runtime listener serves every caller, so a deploy of many sinks adds no listener per node
 * (Node's MaxListenersExceededWarning at the 11th).
 */
export function afterFlowsStart(fn: StartedListener, fallbackMs: number): () => void {
  let fired = false;
  const cancel = () => {
    fired = true;
    startedListeners.delete(run);
    clearTimeout(timer);
  };
  const run = () => {
    if (fired) return;
    cancel();
    fn();
  };
  startedListeners.add(run);
  // A close with removed outside a deploy (no flows:started follows): deliver anyway.
  const timer = setTimeout(run, fallbackMs);
  timer.unref();
  return cancel;
}

interface FlowWithCatch {
  handleError(node: Node, logMessage: unknown, msg: unknown): boolean;
}

/**
 * The writes a deleted sink dropped (dropped.resource_stopped): each message fails with
 * done(err), handed to the Catch nodes of the sink's tab as deployed now (found once the new
 * flows have started), and the sink logs one line for the whole deletion with how many it
 * dropped and how many no Catch node took.
 */
export class RemovalDrops {
  private readonly pending: { msg: NodeMessage; done: Done; err: Error }[] = [];
  private first?: string;
  private uncaught = 0;
  private caught = 0;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
  ) {}

  fail(msg: NodeMessage, done: Done, err: Error): void {
    this.first ??= err.message;
    this.pending.push({ msg, done, err });
  }

  /** Writes restored from disk have no message: they only count in the summary. */
  noteWithoutMessage(count: number, firstError?: string): void {
    this.uncaught += count;
    this.first ??= firstError;
  }

  /** Delivers the dropped messages once the deploy has started the new flows, then `report`. */
  deliver(report: (summary: { caught: number; uncaught: number; first?: string }) => void): void {
    afterFlowsStart(() => {
      const flow = this.currentFlow();
      for (const p of this.pending.splice(0)) this.deliverOne(flow, p);
      report({ caught: this.caught, uncaught: this.uncaught, first: this.first });
    }, 20000);
  }

  /** The flow object now running the sink's tab, through any running Catch node on it. */
  private currentFlow(): Partial<FlowWithCatch> | undefined {
    // The tab: the flow just below the global one (a node inside a subflow instance sits in the
    // instance's flow, whose parent is the tab's).
    type FlowRef = { id?: string; parent?: FlowRef };
    let f = (this.node as unknown as { _flow?: FlowRef })._flow;
    while (f?.parent?.parent && f.parent.id !== 'global') f = f.parent;
    const tab = f?.id ?? (this.node as Node & { z?: string }).z;
    let flow: Partial<FlowWithCatch> | undefined;
    this.RED.nodes.eachNode((def) => {
      if (flow || def.type !== 'catch' || (def as unknown as FlowDef).z !== tab) return;
      const running = this.RED.nodes.getNode(def.id) as (Node & { _flow?: Partial<FlowWithCatch> }) | null;
      if (running?._flow && typeof running._flow.handleError === 'function') flow = running._flow;
    });
    return flow;
  }

  private deliverOne(flow: Partial<FlowWithCatch> | undefined, p: { msg: NodeMessage; done: Done; err: Error }): void {
    const node = this.node as Node & { error: Node['error'] };
    // done(err) reports through node.error(err, msg): for this call, hand it to the Catch nodes
    // of the flow running now, and count instead of logging (the summary line says it).
    const own = Object.prototype.hasOwnProperty.call(node, 'error') ? node.error : undefined;
    node.error = ((logMessage: unknown, m?: unknown) => {
      if (m !== p.msg) {
        (own ?? Object.getPrototypeOf(node).error).call(node, logMessage, m);
      } else if (flow && flow.handleError!(node, logMessage, m)) {
        this.caught += 1;
      } else {
        this.uncaught += 1;
      }
    }) as Node['error'];
    try {
      p.done(p.err);
    } finally {
      if (own) node.error = own;
      else delete (node as { error?: unknown }).error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backlogs no running sink owns.

/** What the sink module tells about its running sinks. */
export interface BacklogOwner {
  bufferMode: 'memory' | 'disk';
  /** Takes a backlog directory's writes into this sink's queue and disk buffer. */
  importBacklog?(dir: string): { moved: number; unreadable: number; keptSource: boolean };
}

let owners: (id: string) => BacklogOwner | undefined = () => undefined;

export interface BacklogEntry extends BacklogInfo {
  id: string;
  /** running: a disk-mode sink of that id sends it; the others are not sent by anyone now. */
  owner: 'running' | 'disabled' | 'memory-mode' | 'not-running' | 'none';
  name?: string;
  /** Changes when the directory's files do (internal: saves rereading an unchanged backlog). */
  signature?: string;
}

/**
 * Every buffer directory holding unsent writes, with its owner. With `unsent` only those no
 * running disk-mode sink sends, and a directory whose files have not changed since `known` saw
 * them is not read again (a report after each deploy must not reread a large backlog).
 */
export function listBacklogs(RED: NodeAPI, options: { unsent?: boolean; known?: Map<string, string> } = {}): BacklogEntry[] {
  const root = bufferRoot(RED);
  let ids: string[];
  try {
    ids = fs.readdirSync(root);
  } catch {
    return [];
  }
  const entries: BacklogEntry[] = [];
  for (const id of ids.sort()) {
    const running = owners(id);
    if (options.unsent && running?.bufferMode === 'disk') continue;
    const dir = path.join(root, id);
    const signature = filesSignature(dir);
    if (options.known && options.known.get(id) === signature) continue;
    const info = inspectBacklog(dir);
    if (!info) continue;
    let owner: BacklogEntry['owner'];
    // "<instance>-<template id>": a sink inside a subflow instance.
    const { state, def } = deployedState(RED, id, id.includes('-') ? id.slice(id.lastIndexOf('-') + 1) : undefined);
    if (running?.bufferMode === 'disk') owner = 'running';
    else if (state === 'deleted' || def?.type !== 'dynamodb-sink') owner = 'none';
    else if (state === 'disabled') owner = 'disabled';
    else if ((def.bufferMode ?? 'memory') !== 'disk') owner = 'memory-mode';
    else owner = 'not-running';
    entries.push({ id, ...info, owner, signature, ...(def?.name ? { name: def.name } : {}) });
  }
  return entries;
}

/** Names, sizes and modification times of a directory's files: changes when its backlog does. */
function filesSignature(dir: string): string {
  try {
    return fs
      .readdirSync(dir)
      .sort()
      .map((f) => {
        const st = fs.statSync(path.join(dir, f));
        return `${f}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
  } catch {
    return '';
  }
}

/** Files signature and owner last reported per directory: a deploy repeats nothing unchanged. */
const reported = new Map<string, string>();

function describeOwner(text: SinkText, e: BacklogEntry): string {
  const sink = `dynamodb-sink ${e.name ? `"${e.name}" ` : ''}(${e.id})`;
  switch (e.owner) {
    case 'disabled':
      return text('log.backlog.disabled', { sink });
    case 'memory-mode':
      return text('log.backlog.memoryMode', { sink });
    case 'not-running':
      return text('log.backlog.notRunning', { sink });
    default:
      return text('log.backlog.noSink', { id: e.id });
  }
}

/** Logs each backlog that no running sink sends, with its size, path and what to do. */
export function reportBacklogs(RED: NodeAPI): void {
  // Known = unchanged files with the same owner state as last time: skipped without reading.
  const known = new Map<string, string>();
  for (const [id, key] of reported) {
    const { state, def } = deployedState(RED, id, id.includes('-') ? id.slice(id.lastIndexOf('-') + 1) : undefined);
    const owner = state === 'deleted' || def?.type !== 'dynamodb-sink' ? 'none' : state === 'disabled' ? 'disabled' : (def.bufferMode ?? 'memory');
    const [files, was] = splitKey(key);
    if (was === owner) known.set(id, files);
  }
  let entries: BacklogEntry[];
  const text = sinkText(RED);
  try {
    entries = listBacklogs(RED, { unsent: true, known });
  } catch (err) {
    RED.log.warn(`[dynamodb-sink] ${text('log.backlog.unreadable', { dir: bufferRoot(RED), error: (err as Error).message })}`);
    return;
  }
  for (const id of [...reported.keys()]) if (!known.has(id)) reported.delete(id);
  for (const e of entries) {
    const state = e.owner === 'none' ? 'none' : e.owner === 'disabled' ? 'disabled' : e.owner === 'memory-mode' ? 'memory' : 'disk';
    reported.set(e.id, `${e.signature ?? ''}\u0000${state}`);
    const what = text('log.backlog.holds', { dir: e.dir, records: e.records, bytes: e.bytes });
    if (e.owner === 'disabled') {
      RED.log.info(`[dynamodb-sink] ${text('log.backlog.kept', { what, owner: describeOwner(text, e) })}`);
      continue;
    }
    RED.log.warn(`[dynamodb-sink] ${text('log.backlog.unsent', { what, owner: describeOwner(text, e), id: e.id })}`);
  }
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Hooks the runtime and serves the backlog endpoints (once per runtime). */
export function registerBacklogs(RED: NodeAPI, runningOwner: (id: string) => BacklogOwner | undefined): void {
  owners = runningOwner;
  hookRuntime(RED);
  const app = RED.httpAdmin as unknown as { _dynamodbBacklogs?: boolean };
  if (app._dynamodbBacklogs) return;
  app._dynamodbBacklogs = true;
  const canRead = RED.auth.needsPermission('dynamodb-sink.read');
  const canWrite = RED.auth.needsPermission('dynamodb-sink.write');
  const red = () => latestRED ?? RED;

  RED.httpAdmin.get('/dynamodb-sink/backlogs', canRead, (_req, res) => {
    res.json({ root: bufferRoot(red()), backlogs: listBacklogs(red()).map(({ signature: _s, ...e }) => e) });
  });

  RED.httpAdmin.post('/dynamodb-sink/backlogs/:id/replay', canWrite, (req, res) => {
    const text = sinkText(red());
    const id = String(req.params.id);
    const body = (req.body ?? {}) as { into?: unknown };
    const into = typeof body.into === 'string' && body.into ? body.into : id;
    const entry = listBacklogs(red()).find((e) => e.id === id);
    if (!entry) {
      res.status(404).json({ error: text('errors.http.noBacklog', { id, dir: bufferRoot(red()) }) });
      return;
    }
    if (entry.owner === 'running') {
      res.status(409).json({ error: text('errors.http.sentAlready', { id }) });
      return;
    }
    const target = owners(into);
    if (!target || target.bufferMode !== 'disk' || !target.importBacklog) {
      res.status(409).json({ error: text('errors.http.noTarget', { into }) });
      return;
    }
    try {
      const result = target.importBacklog(entry.dir);
      red().log.info(
        `[dynamodb-sink] ${text('log.backlog.moved', { moved: result.moved, dir: entry.dir, into })}` +
          (result.unreadable ? text('log.backlog.movedUnreadable', { count: result.unreadable }) : '') +
          (result.keptSource ? text('log.backlog.movedKept', { dir: entry.dir }) : ''),
      );
      res.json({ id, into, ...result });
    } catch (err) {
      res.status(500).json({ error: (err as Error).message });
    }
  });

  RED.httpAdmin.delete('/dynamodb-sink/backlogs/:id', canWrite, (req, res) => {
    const text = sinkText(red());
    const id = String(req.params.id);
    const entry = listBacklogs(red()).find((e) => e.id === id);
    if (!entry) {
      res.status(404).json({ error: text('errors.http.noBacklog', { id, dir: bufferRoot(red()) }) });
      return;
    }
    if (entry.owner === 'running') {
      res.status(409).json({ error: text('errors.http.ownedBacklog', { id }) });
      return;
    }
    try {
      removeDir(entry.dir);
    } catch (err) {
      res.status(500).json({ error: text('errors.http.deleteFailed', { dir: entry.dir, error: (err as Error).message }) });
      return;
    }
    reported.delete(id);
    red().log.warn(`[dynamodb-sink] ${text('log.backlog.discarded', { dir: entry.dir, records: entry.records })}`);
    res.json({ id, discarded: entry.records, dir: entry.dir });
  });
}
