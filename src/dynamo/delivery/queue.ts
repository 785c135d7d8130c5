// The sink's queue of pending writes: oldest first, with byte accounting for maxBufferBytes.
// Each write is kept as the request the writer sends (no text round trip on the hot path); the
// serialized record (compact JSON) is what the disk buffer stores and reads back.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { integerOfText } from '../../rules/exact-json';

export type WriteOperation = 'put' | 'update' | 'delete';
export type AttributeMap = Record<string, AttributeValue>;

/** One write as the writer sends it. */
export interface WriteRequest {
  table: string;
  operation: WriteOperation;
  /** The key attributes only. */
  key: AttributeMap;
  /** The whole item for put; the attributes to set for update; the key for delete. */
  item: AttributeMap;
  /** An update expression and/or a condition (a sink with expressions); absent for plain puts and deletes. */
  expression?: WriteExpression;
}

/**
 * What a write carries beyond its item when the sink has expressions (DESIGN.md 1.3): one object,
 * so plain puts and deletes pay a single empty field for it.
 */
export interface WriteExpression {
  /** update: DynamoDB's UpdateExpression (aliased); absent = SET every non-key attribute of `item`. */
  update?: string;
  /** ConditionExpression (aliased): makes this a single-item call (BatchWriteItem takes none). */
  condition?: string;
  /** ExpressionAttributeNames of `update` and `condition` (shared by a sink's writes). */
  names?: Record<string, string>;
  /** ExpressionAttributeValues of `update` and `condition`. */
  values?: AttributeMap;
  /**
   * A non-idempotent update (ADD, list_append, + / -): sent as TransactWriteItems with this
   * ClientRequestToken, so a retry after a lost answer is not applied twice (DynamoDB keeps the
   * token 10 minutes).
   */
  token?: string;
  /** What shows this update in the item once applied (expression.ts Expectation). */
  expect?: { path: (string | number)[]; value?: string }[];
  /** When the first attempt was sent (the token is honoured 10 minutes from then); not stored on disk. */
  firstSentAt?: number;
}

/** What the sink learns about a write it queued: exactly one of these, once. */
export interface WriteListener {
  written(attempts: number): void;
  failed(err: Error, attempts: number): void;
  /** Left the queue unwritten: `expired` (requestTtl), `queue_full`, `resource_stopped`. */
  dropped(reason: 'expired' | 'queue_full' | 'resource_stopped', err: Error, attempts: number): void;
  /**
   * The write's condition failed and the sink skips such messages (onConditionFailed `skip`):
   * acknowledged, counted dropped.condition. Without this method the write counts as failed.
   */
  skipped?(reason: 'condition', attempts: number): void;
}

/** A queued write: the request itself (sent as it is) and its bookkeeping. */
export interface QueuedWrite extends WriteRequest {
  seq: number;
  enqueuedAt: number;
  deadline: number;
  /** Table and key, canonical: two writes with the same keyId must not share one call. */
  keyId: string;
  /** What it counts against maxBufferBytes (requestBytes + entry + what the caller retains). */
  bytes: number;
  /** Write capacity units it costs (write-rate.ts `writeUnits`), spent before its call. */
  units: number;
  attempts: number;
  /** Not to be sent before this time (retry backoff). */
  notBefore: number;
  /** Send alone: its batch was rejected as a whole and is being split. */
  solo: boolean;
  /**
   * Split from a refused batch and not yet answered alone: its own answer tells whether it was
   * a good write sent again (counted retried then) or the bad one (it fails, not retried).
   */
  splitProbe?: boolean;
  /**
   * Throttled for a hot key range in a call of several partition keys: it goes again only with
   * the writes of the same probe (half of that call's keys), until the hot key is found (retrier.ts).
   */
  probe?: number;
  lastError?: string;
  listener?: WriteListener;
  // linked-list neighbours while queued
  prev?: QueuedWrite;
  next?: QueuedWrite;
  queued: boolean;
}

/** Fixed bookkeeping per queued write (the object, its list links, the listener closure). */
export const ENTRY_OVERHEAD_BYTES = 320;
/** Heap of a request besides its item's data: the item and key objects. */
const REQUEST_OVERHEAD_BYTES = 120;
/** Heap per top-level attribute besides its data: the {S: ...} object and the item's slot. */
const ATTRIBUTE_OVERHEAD_BYTES = 48;

/**
 * Memory a queued request holds, estimated from its item size (DynamoDB's count, `itemSize`)
 * and its number of attributes; close to the length of its serialized record, which the queue
 * counted when it kept records.
 */
export function requestBytes(req: WriteRequest, itemBytes: number): number {
  let attributes = 0;
  for (const _ in req.item) attributes += 1;
  return itemBytes + attributes * ATTRIBUTE_OVERHEAD_BYTES + REQUEST_OVERHEAD_BYTES;
}

const B64 = '$b64';
/** How B64 appears in a record: JSON.stringify never escapes `$`, so a record without it has no binary value. */
const B64_MARK = `"${B64}"`;

/** Compact JSON of a write; binary attribute values become {"$b64": "..."}. */
export function serializeWrite(req: WriteRequest): string {
  const record: Record<string, unknown> = { t: req.table, o: req.operation, k: req.key, i: req.item };
  // Expressions only where a sink has them: plain puts keep their short record.
  const x = req.expression;
  if (x) {
    if (x.update !== undefined) record.u = x.update;
    if (x.condition !== undefined) record.c = x.condition;
    if (x.names !== undefined) record.n = x.names;
    if (x.values !== undefined) record.v = x.values;
    if (x.token !== undefined) record.tk = x.token;
    if (x.expect !== undefined) record.x = x.expect;
  }
  // A replacer costs a call per value and turns off JSON.stringify's fast path: walking the item
  // for binary values first is cheaper, and most items have none.
  if (!hasBinary(req.key) && !hasBinary(req.item) && !hasBinary(x?.values)) return JSON.stringify(record);
  return JSON.stringify(record, function (this: any, name, value) {
    const original = this[name];
    if (original instanceof Uint8Array) return { [B64]: Buffer.from(original).toString('base64') };
    return value;
  });
}

function hasBinary(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  for (const name in value) if (hasBinary((value as Record<string, unknown>)[name])) return true;
  return false;
}

export function parseWrite(record: string): WriteRequest {
  // A reviver costs a call per value (about 3× the parse): only records with binary values need it.
  const raw = (record.includes(B64_MARK) ? JSON.parse(record, reviveBinary) : JSON.parse(record)) as {
    t: string;
    o: WriteOperation;
    k: AttributeMap;
    i: AttributeMap;
    u?: string;
    c?: string;
    n?: Record<string, string>;
    v?: AttributeMap;
    tk?: string;
    x?: WriteExpression['expect'];
  };
  const req: WriteRequest = { table: raw.t, operation: raw.o, key: raw.k, item: raw.i };
  if (raw.u !== undefined || raw.c !== undefined) {
    const x: WriteExpression = {};
    if (raw.u !== undefined) x.update = raw.u;
    if (raw.c !== undefined) x.condition = raw.c;
    if (raw.n !== undefined) x.names = raw.n;
    if (raw.v !== undefined) x.values = raw.v;
    if (raw.tk !== undefined) x.token = raw.tk;
    if (raw.x !== undefined) x.expect = raw.x;
    req.expression = x;
  }
  return req;
}

function reviveBinary(_name: string, value: any): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value[B64] === 'string') {
    return new Uint8Array(Buffer.from(value[B64], 'base64'));
  }
  return value;
}

/** A canonical text of table + key, independent of attribute order. */
export function keyIdentity(table: string, key: AttributeMap): string {
  const names = Object.keys(key);
  // The common case, a partition key only: no sorting or mapping. One JSON.stringify (not a
  // concatenation) keeps the text flat: a concatenated one stays a tree of parts while queued.
  if (names.length === 1) return JSON.stringify([table, [[names[0], canonicalValue(key[names[0]])]]]);
  names.sort();
  return JSON.stringify([table, names.map((n) => [n, canonicalValue(key[n])])]);
}

function canonicalValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return ['S', value.S];
  // The same number however written ("1.0" is 1), and an integer beyond 2^53 with all its digits.
  if (value.N !== undefined) return ['N', String(integerOfText(value.N) ?? Number(value.N))];
  if (value.B !== undefined) return ['B', Buffer.from(value.B).toString('base64')];
  return value;
}

/** Pending writes in sequence order (a doubly linked list: retries go back in their place). */
export class WriteQueue {
  private head?: QueuedWrite;
  private tail?: QueuedWrite;
  private count = 0;
  private byteTotal = 0;

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteTotal;
  }

  first(): QueuedWrite | undefined {
    return this.head;
  }

  /** Adds a write in sequence order (new writes at the end, retries back in their place). */
  insert(w: QueuedWrite): void {
    let after = this.tail;
    while (after && after.seq > w.seq) after = after.prev;
    w.prev = after;
    w.next = after ? after.next : this.head;
    if (w.next) w.next.prev = w;
    else this.tail = w;
    if (after) after.next = w;
    else this.head = w;
    w.queued = true;
    this.count += 1;
    this.byteTotal += w.bytes;
  }

  remove(w: QueuedWrite): void {
    if (!w.queued) return;
    if (w.prev) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = undefined;
    w.queued = false;
    this.count -= 1;
    this.byteTotal -= w.bytes;
  }

  shift(): QueuedWrite | undefined {
    const w = this.head;
    if (w) this.remove(w);
    return w;
  }

  *[Symbol.iterator](): IterableIterator<QueuedWrite> {
    for (let w = this.head; w; ) {
      const next = w.next;
      yield w;
      w = next;
    }
  }
}
