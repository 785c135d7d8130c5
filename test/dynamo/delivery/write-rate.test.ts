// The sink's write-capacity pacing (src/dynamo/write-rate.ts), on a virtual clock: DynamoDB's
// unit count, the maxWriteUnits budget, and the adaptive rate's cut and recovery.
import { strict as assert } from 'node:assert';
import { WriteRate, writeUnits } from '../../../src/dynamo/delivery/write-rate';

/** Sends calls of `units` as fast as `rate` allows from `from` to `to` ms; returns units sent. */
function drive(rate: WriteRate, units: number, from: number, to: number): { sent: number; times: number[] } {
  let t = from;
  let sent = 0;
  const times: number[] = [];
  while (t < to) {
    const wait = rate.reserve(units, t);
    if (wait === 0) {
      sent += units;
      times.push(t);
      t += 1; // a call a millisecond at most, so an unlimited rate still ends
    } else t += wait;
  }
  return { sent, times };
}

/** 25 units granted every 125 ms from 0 to 2000 ms: 200 WCU/s over the 2 s the rate is measured on. */
function grant200(rate: WriteRate): void {
  for (let t = 0; t <= 2000; t += 125) rate.granted(25, t, t);
}

describe('write capacity pacing', () => {
  it('counts write units as DynamoDB does: 1 per started KB, at least 1, transactional twice', () => {
    assert.equal(writeUnits(0), 1);
    assert.equal(writeUnits(150), 1);
    assert.equal(writeUnits(1024), 1);
    assert.equal(writeUnits(1025), 2);
    assert.equal(writeUnits(3.5 * 1024), 4);
    assert.equal(writeUnits(1500, true), 4);
    assert.equal(writeUnits(100, true), 2);
  });

  it('maxWriteUnits: spends at most that many units in any second, one batch at the start', () => {
    const rate = new WriteRate(200, 0);
    assert.equal(rate.reserve(25, 0), 0, 'the first batch goes at once');
    assert.ok(rate.reserve(25, 0) > 0, 'the second waits');
    const { times } = drive(rate, 25, 0, 10000);
    const all = [0, ...times];
    for (let i = 0; i < all.length; i++) {
      const inSecond = all.filter((t) => t >= all[i] && t < all[i] + 1000).length * 25;
      assert.ok(inSecond <= 200 + 25, `at most 200 (+ one call) units in the second from ${all[i]} ms: ${inSecond}`);
    }
    const total = all.length * 25;
    assert.ok(total >= 1900 && total <= 2050, `about 200 units/s over 10 s: ${total}`);
    assert.equal(rate.callLimit(0), 200);
    assert.deepEqual(rate.state(0), { maxWriteUnits: 200, throttles: 0 });
  });

  it('maxWriteUnits below one batch: calls shrink to the budget, no call goes over it', () => {
    const rate = new WriteRate(10, 0);
    assert.equal(rate.callLimit(0), 10);
    assert.equal(rate.reserve(10, 0), 0);
    assert.equal(rate.reserve(10, 0), 1000, 'a second for the next 10 units');
  });

  it('without maxWriteUnits nothing waits until DynamoDB throttles', () => {
    const rate = new WriteRate(0, 0);
    for (let i = 0; i < 1000; i++) assert.equal(rate.reserve(25, i), 0);
    assert.equal(rate.callLimit(0), Infinity);
    assert.equal(rate.adaptiveRate(0), undefined);
  });

  it('throttles before anything was granted only pause, doubling (no rate to cut from)', () => {
    const rate = new WriteRate(0, 0);
    for (let i = 0; i < 5; i++) rate.throttled(0, 10, 25, () => 1);
    assert.equal(rate.adaptiveRate(10), undefined);
    assert.equal(rate.reserve(25, 10), 400, 'the fifth throttle in a row: 25 ms × 2^4');
  });

  it('an isolated throttle pauses the whole sink briefly, without cutting its rate', () => {
    const rate = new WriteRate(0, 0);
    grant200(rate);
    rate.throttled(1900, 2000, 0, () => 0.5);
    assert.equal(rate.adaptiveRate(2000), undefined);
    const wait = rate.reserve(25, 2000);
    assert.ok(wait > 0 && wait <= 25, `paused: ${wait} ms`);
    assert.equal(rate.reserve(25, 2000 + wait), 0);
  });

  it('the pause lasts at least as long as DynamoDB needs for the units it denied, at the rate it granted', () => {
    const rate = new WriteRate(0, 0);
    grant200(rate);
    rate.throttled(1900, 2000, 20, () => 0);
    assert.equal(rate.reserve(25, 2000), 100, '20 units at 200 WCU/s');
  });

  it('throttling that is most of the answers cuts the whole sink to 0.7 × the granted rate, once per round', () => {
    const rate = new WriteRate(0, 0);
    grant200(rate);
    // A fifth of the answers (4 of 20) throttled: most of what DynamoDB says now.
    for (let i = 0; i < 3; i++) rate.throttled(1900, 2000);
    assert.equal(rate.adaptiveRate(2000), undefined, 'not yet');
    rate.throttled(1900, 2001);
    assert.equal(Math.round(rate.adaptiveRate(2001)!), 140);
    assert.ok(rate.reserve(25, 2001) > 0, 'everyone waits after the throttle');
    // Calls of the same round (sent before the cut) do not cut again.
    rate.throttled(1950, 2010);
    rate.throttled(1990, 2020);
    assert.ok(rate.adaptiveRate(2020)! < 142, 'not cut again');
    assert.equal(rate.state(2020).throttles, 6);
    // One sent after the cut does, when most answers are throttles.
    rate.throttled(2100, 2200);
    rate.throttled(2150, 2210);
    assert.ok(rate.adaptiveRate(2210)! < 110);
  });

  it('grants of the throttled round that come back after the cut raise the estimate', () => {
    const rate = new WriteRate(0, 0);
    rate.granted(25, 0, 5);
    rate.throttled(0, 6);
    rate.throttled(0, 6); // measured only 25 units (over the shortest span, 250 ms) so far
    const low = rate.adaptiveRate(6)!;
    assert.equal(Math.round(low), 70);
    for (let i = 0; i < 7; i++) rate.granted(25, 0, 10 + i);
    // 200 units in the first 250 ms: 800 WCU/s, cut to 560.
    assert.ok(Math.abs(rate.adaptiveRate(20)! - 560) < 3);
    // Answers later than half a second after the cut do not change it.
    const before = rate.adaptiveRate(600)!;
    for (let i = 0; i < 20; i++) rate.granted(25, 0, 600);
    assert.equal(rate.adaptiveRate(600), before);
  });

  it('grows back toward the throttled rate within seconds and is unlimited again when throttling stops', () => {
    const rate = new WriteRate(0, 0);
    grant200(rate);
    for (let i = 0; i < 4; i++) rate.throttled(1990, 2000);
    const at = (s: number) => rate.adaptiveRate(2000 + s * 1000)!;
    assert.ok(at(2) > 180 && at(2) < 200, `2 s later: ${at(2)}`);
    assert.ok(at(5) > 195 && at(5) <= 200.5, `5 s later, near the old rate: ${at(5)}`);
    assert.ok(at(10) > 230, `past it when no throttle comes: ${at(10)}`);
    // Sending at the allowed rate until it is 8 × the old rate: no limit any more.
    drive(rate, 25, 2000, 30000);
    assert.equal(rate.adaptiveRate(30000), undefined);
    assert.equal(rate.reserve(25, 30000), 0);
  });

  it('under a table that keeps throttling, the rate goes down to a floor, not to zero', () => {
    const rate = new WriteRate(0, 0);
    let t = 0;
    for (let i = 0; i < 50; i++) {
      t += 1000;
      rate.granted(1, t - 2, t - 1);
      rate.throttled(t - 1, t);
      rate.throttled(t - 1, t);
    }
    assert.ok(rate.adaptiveRate(t)! >= 5 && rate.adaptiveRate(t)! < 10, `${rate.adaptiveRate(t)}`);
  });

  it('with both limits, the tighter one paces', () => {
    const rate = new WriteRate(1000, 0);
    for (let t = 0; t <= 2000; t += 10) rate.granted(5, t, t); // 500 units/s granted
    for (let i = 0; i < 60; i++) rate.throttled(1999, 2000);
    assert.equal(rate.callLimit(2000), 350);
    const { sent } = drive(rate, 25, 2000, 4000);
    assert.ok(sent < 1000, `paced by the adaptive rate (~350-450/s), not by the budget of 1000/s: ${sent}`);
  });
});
