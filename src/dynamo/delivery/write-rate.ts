// How fast one sink may spend DynamoDB write capacity (issue 14, DESIGN.md 1.3 `maxWriteUnits`).
// Two limits, checked before each call, shared by every write of the sink (no timer per write):
// - a fixed budget: `maxWriteUnits` write capacity units (WCU) per second, as a token bucket
//   holding one second of units, so a sink sized to its provisioned table is almost never
//   throttled;
// - an adaptive rate that DynamoDB's throttling sets (UnprocessedItems, ProvisionedThroughput-
//   ExceededException, ThrottlingException): unlimited until the first throttle, then cut to
//   0.7 × the rate DynamoDB was granting and grown back along a cubic curve toward (and past)
//   that rate, as the AWS SDKs' adaptive retry mode does (CUBIC, RFC 9438: β 0.7, C 0.4); it is
//   unlimited again once it has grown far past the last rate that was throttled.
// Units are counted as DynamoDB counts them (Developer Guide, "Write capacity units"): a write
// of an item up to 1 KB costs 1 WCU, each further started KB 1 more; a transactional write twice.

/** DynamoDB: one WCU writes up to 1 KB (1024 bytes) per second. */
export const WRITE_UNIT_BYTES = 1024;
/** CUBIC's multiplicative decrease (RFC 9438; the AWS SDKs' adaptive retry mode uses the same). */
const BETA = 0.7;
/** CUBIC's scaling constant, with time in seconds and rates in WCU/s. */
const CUBIC_C = 0.4;
/** The adaptive rate never drops below this many WCU/s (one small batch every 5 s). */
const MIN_RATE = 5;
/** Granted units are measured over this window to know the rate DynamoDB was accepting. */
const MEASURE_MS = 2000;
/**
 * A throttle cuts the rate only when throttling is what DynamoDB mostly answers now: at least
 * this many throttled calls, and this share of the calls answered, in the last MEASURE_MS. An
 * isolated throttle among many writes that go through (a hot partition, a blip) only pauses.
 */
const CUT_MIN_THROTTLES = 2;
const CUT_MIN_SHARE = 0.2;
/** The pause after a throttle, doubled for each further throttle in a row (with jitter). */
const PAUSE_BASE_MS = 25;
const PAUSE_CAP_MS = 2000;
/** The shortest time over which a rate is measured (a sink that just started). */
const MIN_SPAN_MS = 250;
/** How late after a cut the answers of the round that was cut still refine its rate. */
const ROUND_LATE_MS = 500;
/** Seconds of units a bucket holds (see UnitBucket.size). */
const BURST_SECONDS = 0.25;
/** Units in the budget at start: one full BatchWriteItem of items up to 1 KB. */
const START_UNITS = 25;
/** Past this multiple of the last throttled rate, throttling is over: the sink is unlimited again. */
const RECOVERED_FACTOR = 8;

/** WCU of one write of an item of `itemBytes` (DynamoDB's item size), at least 1. */
export function writeUnits(itemBytes: number, transactional = false): number {
  const units = Math.max(1, Math.ceil(itemBytes / WRITE_UNIT_BYTES));
  return transactional ? 2 * units : units;
}

/** A token bucket of write units; may go into debt so a call larger than the bucket still goes. */
class UnitBucket {
  tokens: number;
  private at: number;

  constructor(
    public rate: number,
    now: number,
    initial: number,
  ) {
    this.tokens = initial;
    this.at = now;
  }

  /**
   * A quarter second of units, but at least one full batch (or the whole rate when smaller):
   * after a quiet spell the sink does not burst a whole second's units at once, which a table
   * just refilling its own capacity would throttle.
   */
  get size(): number {
    return Math.max(1, Math.min(this.rate, START_UNITS), this.rate * BURST_SECONDS);
  }

  refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.size, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }

  /** ms until `units` (at most a full bucket) are there; 0 when they are. */
  waitFor(units: number): number {
    const need = Math.min(units, this.size);
    if (this.tokens >= need) return 0;
    return Math.ceil(((need - this.tokens) / this.rate) * 1000);
  }
}

export interface WriteRateState {
  /** The fixed budget, WCU/s; 0 = none. */
  maxWriteUnits: number;
  /** The adaptive rate in WCU/s while DynamoDB's throttling limits the sink; undefined = unlimited. */
  adaptiveRate?: number;
  /** Calls DynamoDB throttled (in whole or in part). */
  throttles: number;
}

export class WriteRate {
  private readonly budget?: UnitBucket;
  /** Present while throttling limits the sink. */
  private adaptive?: UnitBucket;
  /** CUBIC: the rate throttled last (W_max), the time of that cut, and K (s to grow back to it). */
  private lastMax = 0;
  private cutAt = 0;
  private k = 0;
  /** Units DynamoDB granted, as [time, units], for the last MEASURE_MS. */
  private readonly grants: [number, number][] = [];
  private grantedInWindow = 0;
  private firstGrantAt = Infinity;
  /** Times of throttled calls in the last MEASURE_MS. */
  private readonly throttleTimes: number[] = [];
  private throttles = 0;
  /** Throttles since the last call that went through whole; sets the pause. */
  private throttledInARow = 0;
  /** Nothing is sent before this time (the pause after a throttle). */
  private pausedUntil = 0;

  constructor(maxWriteUnits: number, now = Date.now()) {
    // The budget starts with one full batch, not a full second: in no second, the first included,
    // does the sink spend more than maxWriteUnits (plus one call).
    if (maxWriteUnits > 0) this.budget = new UnitBucket(maxWriteUnits, now, Math.min(maxWriteUnits, START_UNITS));
  }

  /** The most units one call should cost (a full bucket of the tighter limit). */
  callLimit(now = Date.now()): number {
    const rate = Math.min(this.budget?.rate ?? Infinity, this.adaptiveRate(now) ?? Infinity);
    return rate === Infinity ? Infinity : Math.max(1, Math.floor(rate));
  }

  /**
   * Before a call that costs `units`: 0 when it may go now (the units are then spent from both
   * limits), else the ms to wait for them.
   */
  reserve(units: number, now = Date.now()): number {
    this.updateAdaptive(now);
    let wait = Math.max(0, this.pausedUntil - now);
    if (this.budget) {
      this.budget.refill(now);
      wait = this.budget.waitFor(units);
    }
    if (this.adaptive) {
      this.adaptive.refill(now);
      wait = Math.max(wait, this.adaptive.waitFor(units));
    }
    if (wait > 0) return wait;
    if (this.budget) this.budget.tokens -= units;
    if (this.adaptive) this.adaptive.tokens -= units;
    return 0;
  }

  /**
   * DynamoDB took `units` (its ConsumedCapacity, or the writes' own count) of a call sent at
   * `sentAt`; `whole`: the call had nothing throttled. A call of the round that was cut (sent
   * before the cut) that comes back just after it still tells the rate DynamoDB was granting.
   */
  granted(units: number, sentAt: number, now = Date.now(), whole = true): void {
    if (whole) this.throttledInARow = 0;
    if (this.firstGrantAt === Infinity) this.firstGrantAt = now;
    this.grants.push([now, units]);
    this.grantedInWindow += units;
    this.forgetOldGrants(now);
    if (this.adaptive && sentAt < this.cutAt && now - this.cutAt <= ROUND_LATE_MS && this.measured(now) > this.lastMax) {
      this.lastMax = this.measured(now);
      this.k = Math.cbrt((this.lastMax * (1 - BETA)) / CUBIC_C);
    }
  }

  /**
   * DynamoDB throttled a call sent at `sentAt`. The rate is cut at most once per round of calls:
   * a call sent before the last cut was sent at the old rate and says nothing new.
   */
  throttled(sentAt: number, now = Date.now(), deniedUnits = 0, random = Math.random): void {
    this.throttles += 1;
    this.throttledInARow += 1;
    this.throttleTimes.push(now);
    this.forgetOldGrants(now);
    // The whole sink pauses: a backoff with jitter, doubling while throttles come in a row, and
    // at least as long as DynamoDB needs, at the rate it granted lately, for the units it denied.
    const ceiling = Math.min(PAUSE_CAP_MS, PAUSE_BASE_MS * 2 ** Math.min(16, this.throttledInARow - 1));
    const measured = this.measured(now);
    const refill = measured > 0 ? Math.min(PAUSE_CAP_MS, (deniedUnits / measured) * 1000) : 0;
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(refill, ceiling / 2 + (random() * ceiling) / 2));
    if (this.adaptive) {
      // Wait for the units this call did not get, together with every other write.
      this.adaptive.refill(now);
      this.adaptive.tokens = Math.min(this.adaptive.tokens, 0);
    }
    if (this.adaptive && sentAt < this.cutAt) return;
    const answered = this.grants.length + this.throttleTimes.length;
    const mostlyThrottled = this.throttleTimes.length >= CUT_MIN_THROTTLES && this.throttleTimes.length >= CUT_MIN_SHARE * answered;
    // Nothing granted lately: no rate to go by (the first answers of a start may all be
    // throttles); the pause alone backs off, doubling while the throttles go on.
    if (!mostlyThrottled || this.grantedInWindow === 0) return;
    const current = this.adaptiveRate(now);
    const reference = Math.max(MIN_RATE / BETA, current === undefined ? measured : Math.min(measured, current));
    this.lastMax = reference;
    this.cutAt = now;
    this.k = Math.cbrt((reference * (1 - BETA)) / CUBIC_C);
    const rate = reference * BETA;
    if (this.adaptive) {
      this.adaptive.rate = rate;
      this.adaptive.refill(now);
    } else {
      this.adaptive = new UnitBucket(rate, now, 0);
    }
    // The whole sink waits for the units the throttled call did not get.
    this.adaptive.tokens = Math.min(this.adaptive.tokens, 0);
  }

  /**
   * A call spent `units` before it went and DynamoDB throttled it for a hot key range: a
   * throttled request consumes no capacity, and a hot key is not the sink's budget (DESIGN.md 6),
   * so the units go back to both limits for the other keys' writes.
   */
  refund(units: number, now = Date.now()): void {
    for (const bucket of [this.budget, this.adaptive]) {
      if (!bucket) continue;
      bucket.refill(now);
      bucket.tokens = Math.min(bucket.size, bucket.tokens + units);
    }
  }

  /** WCU/s the adaptive limit allows now; undefined while it does not limit. */
  adaptiveRate(now = Date.now()): number | undefined {
    if (!this.adaptive) return undefined;
    const t = (now - this.cutAt) / 1000;
    return Math.max(MIN_RATE, CUBIC_C * (t - this.k) ** 3 + this.lastMax);
  }

  state(now = Date.now()): WriteRateState {
    const adaptive = this.adaptiveRate(now);
    return {
      maxWriteUnits: this.budget?.rate ?? 0,
      ...(adaptive !== undefined ? { adaptiveRate: Math.round(adaptive) } : {}),
      throttles: this.throttles,
    };
  }

  private updateAdaptive(now: number): void {
    if (!this.adaptive) return;
    const rate = this.adaptiveRate(now) as number;
    if (rate >= this.lastMax * RECOVERED_FACTOR) {
      this.adaptive = undefined;
      return;
    }
    this.adaptive.refill(now);
    this.adaptive.rate = rate;
  }

  /**
   * WCU/s DynamoDB granted over the last MEASURE_MS, or since the sink's first write when that
   * is more recent (but over at least MIN_SPAN_MS).
   */
  private measured(now: number): number {
    const span = Math.min(MEASURE_MS, Math.max(MIN_SPAN_MS, now - this.firstGrantAt));
    return (this.grantedInWindow * 1000) / span;
  }

  private forgetOldGrants(now: number): void {
    while (this.grants.length > 0 && this.grants[0][0] <= now - MEASURE_MS) {
      this.grantedInWindow -= this.grants.shift()![1];
    }
    while (this.throttleTimes.length > 0 && this.throttleTimes[0] <= now - MEASURE_MS) this.throttleTimes.shift();
  }
}

/** The write capacity units a call's writes cost together. */
export function unitsOf(writes: readonly { units: number }[]): number {
  let units = 0;
  for (const w of writes) units += w.units;
  return units;
}
