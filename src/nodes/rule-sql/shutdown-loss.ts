// Rule states that a shutdown ends (DESIGN.md section 7: where state cannot survive, the close
// logs a warning with how many open windows and partitions are lost and how to keep them).
// A closing rule-sql node cannot tell a shutdown from a full deploy (both close with
// removed = false); Node-RED tells once every node has closed: runtime-state "stop" without
// `deploy`. Until then a node whose store keeps nothing across a restart is listed here, and a
// successor that takes its state over in this process (a deploy) takes it off the list.
import type { Node, NodeAPI } from 'node-red';
import { ruleSqlText } from './text';

interface AtRisk {
  node: Node;
  openWindows: number;
  partitions: number;
  store: string;
}

const atRisk = new Map<string, AtRisk>();
const hooked = new WeakSet<object>();

function hook(RED: NodeAPI): void {
  const events = RED.events as unknown as { on(e: string, fn: (ev: { id?: string; payload?: { state?: string; deploy?: boolean } }) => void): void };
  if (hooked.has(events)) return;
  hooked.add(events);
  const text = ruleSqlText(RED);
  events.on('runtime-event', (ev) => {
    if (ev?.id !== 'runtime-state' || ev.payload?.state !== 'stop' || ev.payload.deploy) return;
    for (const [id, r] of atRisk) {
      atRisk.delete(id);
      if (r.openWindows === 0 && r.partitions === 0) continue;
      r.node.warn(text('log.lostAtShutdown', { store: r.store, openWindows: r.openWindows, partitions: r.partitions }));
    }
  });
}

/** A node closed with state its store loses at a shutdown. */
export function lostAtShutdown(RED: NodeAPI, r: AtRisk): void {
  hook(RED);
  atRisk.set(r.node.id, r);
}

/** Its successor took the state over (a deploy, not a shutdown). */
export function takenOver(id: string): void {
  atRisk.delete(id);
}
