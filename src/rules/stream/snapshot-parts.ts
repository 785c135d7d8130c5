// The snapshot of a stream a step at a time (DESIGN.md section 7: the node checkpoints the open
// windows and partition states while it runs, and must not pause Node-RED's event loop for the
// whole state at once: 100,000 groups take about half a second to encode in one go). The parts
// join into exactly what `snapshot()` gives, so restoring is unchanged (snapshot.ts).
//
// Between two parts the caller may push events: each group and partition state is encoded whole
// in one part (never half of one), each at most once, and the clock and counters last. The
// result is the state as it was at some moment between the first part and the last for each
// group; an event pushed meanwhile may or may not be in it, as an event after the checkpoint.

import type { Kept } from './groups';
import { encode, extras, SNAPSHOT_VERSION, type StreamState } from './snapshot';
import { words } from '../../words';

/** One part: groups with the kept events they first refer to, or one partition table's states. */
type Part =
  | { g: unknown[]; k: unknown[] }
  | { p: number; s: unknown[] }
  | { h: Record<string, unknown> };

/** Encodes `st` in parts of at most `perPart` groups or partition states; each part is JSON-serialisable. */
export function* snapshotParts(st: StreamState, perPart: number): Generator<unknown, void, void> {
  const size = Math.max(1, Math.floor(perPart));
  const keptIds = new Map<Kept, number>();
  let keptCount = 0;
  let kept: unknown[] = [];
  const ref = (k: Kept | null): number => {
    if (k === null) return -1;
    let id = keptIds.get(k);
    if (id === undefined) {
      id = keptCount++;
      keptIds.set(k, id);
      kept.push([encode(k.c), k.a === null ? null : encode(k.a), k.topic ?? null, k.event ?? null]);
    }
    return id;
  };
  // A Map met again after a delete and set (least-recently-used order) is not encoded twice.
  const seen = new Set<string>();
  let groups: unknown[] = [];
  for (const g of st.groups.map.values()) {
    if (seen.has(g.key)) continue;
    seen.add(g.key);
    groups.push([
      g.key,
      g.wins.map((w) => [w.start, w.end, w.last, w.first, w.n, encode(w.accs), ref(w.kept), w.seq]),
      g.entries === null ? null : g.entries.map((e) => [e.t, encode(e.vals), ref(e.kept)]),
      g.count,
      g.used,
    ]);
    if (groups.length >= size) {
      yield { g: groups, k: kept } satisfies Part;
      groups = [];
      kept = [];
    }
  }
  if (groups.length > 0 || kept.length > 0) yield { g: groups, k: kept } satisfies Part;
  for (let i = 0; i < st.partitions.length; i++) {
    const done = new Set<string>();
    let states: unknown[] = [];
    for (const [k, v] of st.partitions[i].states) {
      if (done.has(k)) continue;
      done.add(k);
      states.push([k, encode(v)]);
      if (states.length >= size) {
        yield { p: i, s: states } satisfies Part;
        states = [];
      }
    }
    yield { p: i, s: states } satisfies Part;
  }
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const clock = st.clock;
  yield {
    h: {
      v: SNAPSHOT_VERSION, sig: st.signature,
      watermark: num(clock.watermark), maxT: num(clock.maxT), lastArrival: num(clock.lastArrival),
      lastNow: num(clock.lastNow), seq: st.groups.seq, stamp: st.groups.stamp,
      counters: { ...st.counters },
      forgotten: st.partitions.map((ps) => ps.forgotten),
      ...extras(st),
    },
  } satisfies Part;
}

/** What `snapshot()` would have given, from every part `snapshotParts` yielded, in order. */
export function joinSnapshotParts(parts: unknown[]): unknown {
  let head: Record<string, unknown> | undefined;
  const kept: unknown[] = [];
  const groups: unknown[] = [];
  const states: unknown[][] = [];
  for (const part of parts as Part[]) {
    if (part === null || typeof part !== 'object') throw new Error(words('rules.snapshot.otherVersion', 'the stream state is not a snapshot of this version'));
    if ('h' in part) head = part.h;
    else if ('g' in part) {
      for (const x of part.g) groups.push(x);
      for (const x of part.k) kept.push(x);
    } else if ('p' in part) {
      const list = (states[part.p] ??= []);
      for (const x of part.s) list.push(x);
    }
  }
  if (head === undefined) throw new Error(words('rules.snapshot.incomplete', 'the stream state is incomplete (its last part is missing)'));
  const forgotten = Array.isArray(head.forgotten) ? head.forgotten as number[] : [];
  const { forgotten: _f, ...rest } = head;
  return { ...rest, kept, groups, partitions: forgotten.map((f, i) => [f, states[i] ?? []]) };
}

/** Events held by a list of encoded groups: a window's count, a buffer's entries. */
function eventsInGroups(groups: unknown): number {
  let events = 0;
  if (!Array.isArray(groups)) return 0;
  for (const g of groups as [string, unknown[][] | undefined, unknown[] | null][]) {
    for (const w of g[1] ?? []) events += typeof w[4] === 'number' ? w[4] : 0;
    if (Array.isArray(g[2])) events += g[2].length;
  }
  return events;
}

/** Events held in the windows of one part (an event in two hopping windows counts twice); 0 for other parts. */
export function eventsInPart(part: unknown): number {
  return part !== null && typeof part === 'object' && 'g' in part ? eventsInGroups((part as { g: unknown }).g) : 0;
}

/** Events held in the windows of a snapshot (`snapshot()` or `joinSnapshotParts`). */
export function eventsInSnapshot(state: unknown): number {
  return state !== null && typeof state === 'object' ? eventsInGroups((state as { groups?: unknown }).groups) : 0;
}
