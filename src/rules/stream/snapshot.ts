// Snapshot and restore of a stream (DESIGN.md section 7: nothing is lost silently): the open
// windows, buffered events, partition states, clock and counters as JSON, so that the node can
// keep them in its context store and resume after a restart. The format is versioned; a
// snapshot resumes only the statement (and eventTime) it was taken from.

import type { EventClock } from './event-time';
import { NO_VALUE } from '../no-value';
import type { Group, GroupTable, Kept, Win } from './groups';
import type { PartitionStates } from './partitions';
import type { StreamCounters } from './types';
import type { WindowOperator } from './windows/operator';
import { words } from '../../words';

// 2: group keys are the text itself for a single text value.
export const SNAPSHOT_VERSION = 2;
const hasOwn = Object.prototype.hasOwnProperty;

/** What a snapshot holds, part by part. */
export interface StreamState {
  /** The statement and eventTime, as text: a snapshot resumes only its own. */
  signature: string;
  clock: EventClock;
  groups: GroupTable;
  counters: StreamCounters;
  partitions: PartitionStates[];
  /** undefined for analytic-only statements (no window). */
  op: WindowOperator | undefined;
}

/** Snapshot values: JSON plus markers for what JSON cannot hold (bigint, bytes, undefined, no value). */
export function encode(v: unknown): unknown {
  // Primitives first: most of a snapshot is text and numbers.
  switch (typeof v) {
    case 'string': case 'boolean': return v;
    case 'number': return Number.isFinite(v) ? v : { '$rule-sql:number': String(v) };
    case 'undefined': return { '$rule-sql:undefined': 1 };
    case 'bigint': return { '$rule-sql:bigint': v.toString() };
    case 'symbol': return v === NO_VALUE ? { '$rule-sql:novalue': 1 } : { '$rule-sql:undefined': 1 };
    default: break;
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(encode);
  if (v instanceof Uint8Array) return { '$rule-sql:bytes': Buffer.from(v).toString('base64') };
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = encode((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (hasOwn.call(o, '$rule-sql:undefined')) return undefined;
    if (hasOwn.call(o, '$rule-sql:novalue')) return NO_VALUE;
    if (typeof o['$rule-sql:bigint'] === 'string') return BigInt(o['$rule-sql:bigint']);
    if (typeof o['$rule-sql:bytes'] === 'string') return Buffer.from(o['$rule-sql:bytes'], 'base64');
    if (typeof o['$rule-sql:number'] === 'string') return Number(o['$rule-sql:number']);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
      const d = decode(o[k]);
      if (k === '__proto__') Object.defineProperty(out, k, { value: d, enumerable: true, writable: true, configurable: true });
      else out[k] = d;
    }
    return out;
  }
  return v;
}

/** The JSON-serialisable state of a stream. */
export function takeSnapshot(st: StreamState): unknown {
  const keptIds = new Map<Kept, number>();
  const kept: unknown[] = [];
  const ref = (k: Kept | null): number => {
    if (k === null) return -1;
    let id = keptIds.get(k);
    if (id === undefined) {
      id = kept.length;
      keptIds.set(k, id);
      kept.push([encode(k.c), k.a === null ? null : encode(k.a), k.topic ?? null, k.event ?? null]);
    }
    return id;
  };
  const groups: unknown[] = [];
  for (const g of st.groups.map.values()) {
    groups.push([
      g.key,
      g.wins.map((w) => [w.start, w.end, w.last, w.first, w.n, encode(w.accs), ref(w.kept), w.seq]),
      g.entries === null ? null : g.entries.map((e) => [e.t, encode(e.vals), ref(e.kept)]),
      g.count,
      g.used,
    ]);
  }
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const clock = st.clock;
  return {
    v: SNAPSHOT_VERSION,
    sig: st.signature,
    watermark: num(clock.watermark), maxT: num(clock.maxT), lastArrival: num(clock.lastArrival),
    lastNow: num(clock.lastNow), seq: st.groups.seq, stamp: st.groups.stamp,
    counters: { ...st.counters },
    kept, groups,
    partitions: st.partitions.map((ps) => [ps.forgotten, [...ps.states].map(([k, v]) => [k, encode(v)])]),
    ...extras(st),
  };
}

/**
 * What a snapshot holds beyond format 2's first fields, each added only when there is something
 * (so that a stream without them takes the same snapshot as before, and old snapshots restore):
 * `op`, the window operator's own state (STATEWINDOW's open windows); `groupClocks`, each
 * group's time with `watermark: "group"`.
 */
export function extras(st: StreamState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const op = st.op?.saveState();
  if (op !== undefined) out.op = op;
  if (st.clock.groups !== undefined) out.groupClocks = st.clock.groups.save();
  return out;
}

/** Puts a snapshot's state into a new stream's parts. Throws if it is not one of this statement. */
export function restoreSnapshot(st: StreamState, state: unknown): void {
  const s = state as Record<string, unknown>;
  if (typeof s !== 'object' || s.v !== SNAPSHOT_VERSION || !Array.isArray(s.groups) || !Array.isArray(s.kept) || !Array.isArray(s.partitions)) {
    throw new Error(words('rules.snapshot.otherVersion', 'the stream state is not a snapshot of this version'));
  }
  if (s.sig !== st.signature) throw new Error(words('rules.snapshot.otherStatement', 'the stream state was taken from another statement or eventTime'));
  const num = (x: unknown): number => (typeof x === 'number' ? x : -Infinity);
  const clock = st.clock;
  const table = st.groups;
  clock.watermark = num(s.watermark);
  clock.maxT = num(s.maxT);
  clock.lastArrival = num(s.lastArrival);
  clock.lastNow = num(s.lastNow);
  table.seq = typeof s.seq === 'number' ? s.seq : 0;
  Object.assign(st.counters, s.counters);
  const kept = (s.kept as unknown[][]).map(([c, a, topic, event]): Kept => ({
    c: decode(c) as Record<string, unknown>, a: a === null ? null : decode(a) as unknown[],
    topic: (topic as string | null) ?? undefined, event: (event as string | null) ?? undefined,
  }));
  table.stamp = typeof s.stamp === 'number' ? s.stamp : 0;
  // Before the windows: a window's deadline is its group's clock's (watermark: "group").
  st.clock.groups?.restore(s.groupClocks);
  for (const [key, wins, entries, count, used] of s.groups as [string, unknown[][], unknown[][] | null, number, number?][]) {
    const g: Group = { key, wins: [], entries: null, count, used: used ?? 0 };
    for (const [start, end, last, first, n, accs, k, seq] of wins as [number, number, number, number, number, unknown, number, number][]) {
      const w: Win = { start, end, last, first, n, accs: decode(accs) as unknown[], kept: k < 0 ? null : kept[k], group: g, closed: false, seq, due: 0 };
      g.wins.push(w);
      table.openWindows++;
      st.op?.track(w);
    }
    if (entries !== null) {
      g.entries = entries.map(([t, vals, k]) => ({ t: t as number, vals: decode(vals) as unknown[], kept: kept[k as number] }));
      table.openWindows++;
    }
    table.map.set(key, g);
  }
  if (s.op !== undefined) st.op?.restoreState(s.op);
  (s.partitions as [number, [string, unknown][]][]).forEach(([forgotten, states], i) => {
    const ps = st.partitions[i];
    if (ps === undefined) return;
    ps.forgotten = forgotten;
    for (const [k, v] of states) ps.states.set(k, decode(v));
  });
}
