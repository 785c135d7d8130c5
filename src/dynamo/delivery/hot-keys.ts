// Hot partition keys (DESIGN.md 6: throttling is answered where it arises). DynamoDB throttles
// the writes to one partition key value past the partition's own limit (1,000 WCU/s per
// partition) with the reason TableWriteKeyRangeThroughputExceeded, even while the table has
// capacity to spare (Developer Guide, "Key range throughput exceeded (hot partitions)",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html).
// So the writes to that key slow down and the other keys keep their rate: per hot key, the ms
// between its calls (doubled by each throttle, eased by each write that goes through: AIMD on the
// interval) and when its next write may go; its writes go in calls of their own, so its
// throttles never hold back other keys' writes.
//
// DynamoDB's reason names the table, not the key: a call of several keys refused for its key
// range is searched by halves (retrier.ts), and a key is hot when a call of its own is refused,
// or when it was in enough of the refused calls (`suspect`). A BatchWriteItem that mixes keys is
// not refused for a hot key: DynamoDB writes the other writes and returns the hot key's excess as
// UnprocessedItems, without a reason; when they are all of one key, they go again in a call of
// their own (`oneKeyUnprocessed`, sender.ts), and that call's refusal carries the reason.
//
// Bounded: at most MAX_HOT_KEYS entries (the one throttled longest ago leaves first), and an
// entry ends HOT_KEY_TTL_MS after its last throttle (the episode is over). With no entry, the
// writer looks nothing up per write (`size` is 0).
import { keyIdentity, type AttributeMap, type QueuedWrite } from './queue';
import { words } from '../../words';

/** Most hot keys tracked at once. */
export const MAX_HOT_KEYS = 1000;
/** A key is no longer hot this long after DynamoDB last throttled it. */
export const HOT_KEY_TTL_MS = 10000;
/** The first pause between a hot key's calls; doubled per throttle up to MAX_INTERVAL_MS. */
const FIRST_INTERVAL_MS = 40;
const MAX_INTERVAL_MS = 2000;
/** Each write of the key that goes through shortens the interval by this factor. */
const EASE = 0.85;
const MIN_INTERVAL_MS = 1;
/**
 * Blame that makes a key hot without a call of its own being refused: about two searches that
 * each narrowed down to it (a search halves the refused call's keys: 1/25 + 1/13 + ... + 1/2 ≈ 1).
 */
const SUSPECT_SCORE = 1.5;

interface HotKey {
  /** ms between the key's calls. */
  interval: number;
  /** Its next write may go at this time. */
  nextAt: number;
  lastThrottleAt: number;
}

export class HotKeys {
  /** In order of last throttle, oldest first (re-inserted on each throttle). */
  private readonly keys = new Map<string, HotKey>();
  /**
   * Partition keys of calls refused for a key range, each with its share of the blame (1 / the
   * call's keys), summed over HOT_KEY_TTL_MS: the hot key is in every such call, another key
   * only by chance. Bounded like `keys`.
   */
  private readonly suspects = new Map<string, { score: number; at: number }>();

  /** Hot keys tracked (expired ones until the next sweep): 0 = nothing to look up. */
  get size(): number {
    return this.keys.size;
  }

  /** Ends the episodes of keys not throttled for HOT_KEY_TTL_MS. */
  sweep(now: number): void {
    for (const [id, k] of this.keys) {
      if (k.lastThrottleAt + HOT_KEY_TTL_MS > now) break;
      this.keys.delete(id);
    }
  }

  /** -1: `w`'s partition key is not hot; else when its next write may go (≤ now: it may). */
  hold(w: QueuedWrite): number {
    const k = this.keys.get(partitionOf(w));
    return k ? k.nextAt : -1;
  }

  /** A write of a hot key goes now: the key's next write waits one interval. */
  sent(w: QueuedWrite, now: number): void {
    const k = this.keys.get(partitionOf(w));
    if (k) k.nextAt = now + k.interval;
  }

  /** Writes went through: their hot keys' intervals ease. */
  granted(writes: readonly QueuedWrite[]): void {
    for (const w of writes) {
      const k = this.keys.get(partitionOf(w));
      if (k) k.interval = Math.max(MIN_INTERVAL_MS, k.interval * EASE);
    }
  }

  /**
   * A call of several partition keys (`ids`) was refused for a key range: returns the key now
   * blamed enough (SUSPECT_SCORE) to be the hot one, if any.
   */
  suspect(ids: readonly string[], now: number): string | undefined {
    const share = 1 / ids.length;
    let blamed: string | undefined;
    for (const id of ids) {
      let s = this.suspects.get(id);
      if (s) this.suspects.delete(id);
      if (!s || s.at + HOT_KEY_TTL_MS <= now) s = { score: 0, at: now };
      s.score += share;
      s.at = now;
      this.suspects.set(id, s);
      if (s.score >= SUSPECT_SCORE && (blamed === undefined || s.score > this.suspects.get(blamed)!.score)) blamed = id;
    }
    while (this.suspects.size > MAX_HOT_KEYS) this.suspects.delete(this.suspects.keys().next().value as string);
    if (blamed !== undefined) this.suspects.delete(blamed);
    return blamed;
  }

  /**
   * DynamoDB throttled `w` for its key range: returns when it may go again, and whether this
   * begins an episode for its key (to be logged once).
   */
  throttled(w: QueuedWrite, now: number): { at: number; fresh: boolean } {
    const id = partitionOf(w);
    const k = this.keys.get(id);
    if (k) {
      this.keys.delete(id);
      k.interval = Math.min(MAX_INTERVAL_MS, Math.max(FIRST_INTERVAL_MS, k.interval * 2));
      k.nextAt = Math.max(k.nextAt, now + k.interval);
      k.lastThrottleAt = now;
      this.keys.set(id, k);
      return { at: k.nextAt, fresh: false };
    }
    this.sweep(now);
    if (this.keys.size >= MAX_HOT_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(id, { interval: FIRST_INTERVAL_MS, nextAt: now + FIRST_INTERVAL_MS, lastThrottleAt: now });
    return { at: now + FIRST_INTERVAL_MS, fresh: true };
  }
}

/**
 * The partition a write goes to: its table and partition key value. The partition key is the
 * key's first attribute (keyOf puts it first; a key of one attribute is the partition key alone).
 */
export function partitionOf(w: QueuedWrite): string {
  let first: string | undefined;
  let count = 0;
  for (const name in w.key) {
    if (count++ === 0) first = name;
  }
  if (count <= 1 || first === undefined) return w.keyId;
  return keyIdentity(w.table, { [first]: w.key[first] });
}

/**
 * DynamoDB wrote part of a BatchWriteItem call and sent `left` (a strict, non-empty subset of
 * `call`) back as UnprocessedItems, which carry no reason (DynamoDB, API Reference
 * BatchWriteItem: only a call none of whose writes can be written fails, with
 * ProvisionedThroughputExceededException and its ThrottlingReasons). True when `left` all go to
 * one partition (partitionOf) while the call's written writes went to others, or the call was
 * already a group of its own (one probe, retrier.ts): that key's writes are worth a call of their
 * own, whose answer names the reason. False for unprocessed writes of several keys (a budget),
 * for a call of one key that was no probe group, and when nothing or everything was written.
 */
export function oneKeyUnprocessed(call: readonly QueuedWrite[], left: readonly QueuedWrite[]): boolean {
  if (left.length === 0 || left.length >= call.length) return false;
  const id = partitionOf(left[0]);
  for (let i = 1; i < left.length; i++) if (partitionOf(left[i]) !== id) return false;
  const probe = call[0].probe;
  if (probe !== undefined && call.every((w) => w.probe === probe)) return true;
  return call.some((w) => partitionOf(w) !== id);
}

/** All writes of `call` go to one partition. */
export function onePartition(call: readonly QueuedWrite[]): boolean {
  const id = partitionOf(call[0]);
  for (let i = 1; i < call.length; i++) if (partitionOf(call[i]) !== id) return false;
  return true;
}

/** `partition key id = "dev-7" in table "t"`, for the log. */
export function describePartition(w: QueuedWrite): string {
  let name: string | undefined;
  for (const n in w.key) {
    name = n;
    break;
  }
  const v = name !== undefined ? (w.key as AttributeMap)[name] : undefined;
  const shown = v?.S !== undefined ? JSON.stringify(v.S) : v?.N !== undefined ? v.N : v?.B !== undefined ? words('delivery.hotKey.binary', '(binary)') : '?';
  const value = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  return words('delivery.hotKey.partition', 'partition key __name__ = __value__ in table "__table__"', { name: name ?? '?', value, table: w.table });
}
