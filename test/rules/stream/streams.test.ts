// Stateful statements (DESIGN.md section 7): every window kind, every aggregate, the analytic
// functions per partition, event time with lateness, maxGroups, and snapshot/restore.

import assert from 'node:assert/strict';
import { compileRule, RuleEvaluationError, RuleSyntaxError } from '../../../src';
import type { Row, RuleStream, StreamOptions } from '../../../src';

type Cols = Record<string, unknown>;

const ev = (clientid: string, payload: Record<string, unknown>, extra: Cols = {}): Cols => ({
  event: 'message.publish', topic: `s/${clientid}`, clientid, qos: 0, payload: JSON.stringify(payload), ...extra,
});

function stream(sql: string, options: StreamOptions = {}): RuleStream {
  const rule = compileRule(sql, { id: 'r1' });
  assert.equal(rule.stateful, true);
  return rule.stream(options);
}

// push/advance/flush give the rows themselves (DESIGN.md section 2); stream.origin(row) tells
// the window each closed. `rows` only names that in the assertions.
const rows = (out: Row[]): Cols[] => out;
const windows = (s: RuleStream, out: Row[]): [number, number][] =>
  out.map((r) => [s.origin(r)?.window?.start ?? NaN, s.origin(r)?.window?.end ?? NaN]);

function syntaxError(sql: string): RuleSyntaxError {
  try {
    compileRule(sql);
  } catch (err) {
    assert.ok(err instanceof RuleSyntaxError, String(err));
    return err;
  }
  return assert.fail(`expected a syntax error for ${sql}`);
}

describe('streams: compile', () => {
  it('reports what does not fit, with line and column', () => {
    const cases: [string, number, number, RegExp][] = [
      ['SELECT count(*) FROM "t"', 1, 8, /count\(\) needs a window/],
      ['SELECT a FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1), COUNTWINDOW(2)', 1, 51, /one window: COUNTWINDOW\(2\) comes after TUMBLINGWINDOW\(ss, 1\)/],
      ['FOREACH payload.list FROM "t"\nGROUP BY TUMBLINGWINDOW(ss, 1)', 2, 1, /FOREACH cannot have GROUP BY/],
      ['SELECT count(*) FROM "t" GROUP BY TUMBLINGWINDOW(xx, 1)', 1, 50, /unknown time unit xx: use ms, ss, mi, hh or dd/],
      ['SELECT a FROM "t" WHERE count(*) > 1 GROUP BY TUMBLINGWINDOW(ss, 1)', 1, 25, /not allowed in WHERE.*use HAVING/],
      ['SELECT clientid FROM "t" GROUP BY clientid', 1, 26, /GROUP BY needs a window/],
      ['SELECT a FROM "t" HAVING a > 1', 1, 19, /HAVING needs GROUP BY with a window/],
      ['SELECT sum(count(*)) FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1)', 1, 12, /cannot be inside another aggregate/],
      ['SELECT upper(a) OVER (PARTITION BY b) FROM "t"', 1, 17, /OVER follows only an analytic function/],
      ['SELECT TUMBLINGWINDOW(ss, 1) FROM "t"', 1, 8, /belongs in GROUP BY/],
      ['SELECT window_start() FROM "t"', 1, 8, /needs a window/],
      ['SELECT a FROM "t" GROUP BY SESSIONWINDOW(mi, 10, 2)', 1, 46, /timeout .* must be less than maxDuration/],
      ['SELECT a FROM "t" GROUP BY COUNTWINDOW(2, 3)', 1, 43, /hop 3 must not be larger than n 2/],
      ['SELECT a FROM "t" GROUP BY TUMBLINGWINDOW(ss, 0)', 1, 47, /size must be a positive integer/],
      ['SELECT percentile(a, b) FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1)', 1, 22, /must be constants/],
      ['SELECT a FROM "t" GROUP', 1, 24, /expected BY after GROUP/],
    ];
    for (const [sql, line, column, reason] of cases) {
      const err = syntaxError(sql);
      assert.match(err.reason, reason, sql);
      assert.deepEqual([err.line, err.column], [line, column], `${sql}: ${err.message}`);
    }
  });

  it('keeps stateless statements stateless, and group, having, over usable as names', () => {
    const rule = compileRule('SELECT payload.group as having, over FROM "t"');
    assert.equal(rule.stateful, false);
    assert.deepEqual(rule.evaluate({ topic: 't', payload: '{"group":1}', over: 2 }), [{ having: 1, over: 2 }]);
    assert.throws(() => rule.stream(), /rule.stream\(\) is for stateful statements/);
  });

  it('evaluate on a stateful statement names rule.stream', () => {
    const rule = compileRule('SELECT count(*) FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1)');
    assert.throws(() => rule.evaluate({ topic: 't' }), (e: unknown) => e instanceof RuleEvaluationError && /rule.stream\(\)/.test(e.message));
  });

  it('accepts upper-case aggregates, window names in any case, and names unaliased results after the function', () => {
    const s = stream('SELECT COUNT(*), Avg(payload.v), window_end() FROM "s/#" GROUP BY tumblingWindow(ms, 10)');
    s.push(ev('a', { v: 2 }), 1);
    s.push(ev('a', { v: 4 }), 2);
    assert.deepEqual(rows(s.advance(10)), [{ count: 2, avg: 3, window_end: 10 }]);
  });
});

describe('streams: tumbling windows (processing time)', () => {
  const sql = 'SELECT clientid, count(*) as n, window_start() as ws, window_end() as we FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)';

  it('aligns to multiples of the size from epoch, end exclusive, one row per group', () => {
    const s = stream(sql);
    assert.deepEqual(s.push(ev('a', {}), 10_000), []);
    s.push(ev('b', {}), 12_000);
    s.push(ev('a', {}), 19_999);
    assert.equal(s.nextDeadline(), 20_000);
    assert.deepEqual(s.advance(19_999), []);
    s.push(ev('a', {}), 20_000); // the next window: the end is exclusive
    const out = s.advance(20_000);
    assert.deepEqual(rows(out), [
      { clientid: 'a', n: 2, ws: 10_000, we: 20_000 },
      { clientid: 'b', n: 1, ws: 10_000, we: 20_000 },
    ]);
    assert.deepEqual(windows(s, out), [[10_000, 20_000], [10_000, 20_000]]);
    assert.deepEqual(s.origin(out[0])?.topic, 's/a');
    assert.equal(s.origin({ n: 2 }), undefined, 'only rows the stream gave have an origin');
    assert.equal(s.nextDeadline(), 30_000);
    assert.deepEqual(rows(s.advance(31_000)), [{ clientid: 'a', n: 1, ws: 20_000, we: 30_000 }]);
    assert.equal(s.nextDeadline(), undefined);
    assert.deepEqual(s.stats.openWindows, 0);
  });

  it('filters events with WHERE before the window and rows with HAVING (aliases included)', () => {
    const s = stream('SELECT clientid, count(*) as n FROM "s/#" WHERE payload.v > 0 GROUP BY clientid, TUMBLINGWINDOW(ss, 1) HAVING n >= 2');
    s.push(ev('a', { v: 1 }), 0);
    s.push(ev('a', { v: -1 }), 1);
    s.push(ev('b', { v: 1 }), 2);
    s.push(ev('b', { v: 1 }), 3);
    assert.deepEqual(rows(s.advance(1000)), [{ clientid: 'b', n: 2 }]);
  });

  it('takes a column that is neither grouped nor aggregated from the last event, and * from it too', () => {
    const s = stream('SELECT *, payload.v as last_v, sum(payload.v) as total FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 1)');
    s.push(ev('a', { v: 1 }, { qos: 1 }), 0);
    s.push(ev('a', { v: 2 }, { qos: 2 }), 5);
    const [row] = rows(s.advance(1000));
    assert.equal(row.qos, 2);
    assert.equal(row.last_v, 2);
    assert.equal(row.total, 3);
    assert.equal(row.clientid, 'a');
    assert.deepEqual(row.metadata, { rule_id: 'r1' });
  });

  it('groups by expressions, keeping 1 and "1" apart', () => {
    const s = stream('SELECT payload.k as k, count(*) as n FROM "s/#" GROUP BY payload.k, TUMBLINGWINDOW(ss, 1)');
    for (const k of [1, '1', 1, null]) s.push(ev('a', { k }), 0);
    assert.deepEqual(rows(s.advance(1000)), [{ k: 1, n: 2 }, { k: '1', n: 1 }, { k: null, n: 1 }]);
  });

  it('a bad value fails the event with a clear error and changes nothing', () => {
    const s = stream('SELECT sum(payload.v) as total, count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)');
    s.push(ev('a', { v: 1 }), 0);
    assert.throws(() => s.push(ev('a', { v: 'x' }), 1), (e: unknown) => e instanceof RuleEvaluationError && /sum\(\): expected a number, got string/.test(e.message));
    assert.deepEqual(rows(s.advance(1000)), [{ total: 1, n: 1 }]);
  });

  it('ignores events FROM does not match', () => {
    const s = stream('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)');
    s.push({ topic: 'other/a', payload: '{}' }, 0);
    assert.equal(s.nextDeadline(), undefined);
  });
});

describe('streams: hopping windows', () => {
  it('puts an event in size/hop windows, each aligned to the hop', () => {
    const s = stream('SELECT count(*) as n, window_start() as ws FROM "s/#" GROUP BY HOPPINGWINDOW(ss, 10, 5)');
    s.push(ev('a', {}), 7_000); // windows [0,10) and [5,15)
    s.push(ev('a', {}), 12_000); // [5,15) and [10,20)
    assert.equal(s.nextDeadline(), 10_000);
    assert.deepEqual(rows(s.advance(10_000)), [{ n: 1, ws: 0 }]);
    assert.deepEqual(rows(s.advance(15_000)), [{ n: 2, ws: 5_000 }]);
    assert.deepEqual(rows(s.advance(20_000)), [{ n: 1, ws: 10_000 }]);
  });
});

describe('streams: sliding windows', () => {
  it('emits at every event the events of its group in (t − size, t]', () => {
    const s = stream('SELECT clientid, count(*) as n, collect(payload.v) as vs FROM "s/#" GROUP BY clientid, SLIDINGWINDOW(ss, 10)');
    assert.deepEqual(rows(s.push(ev('a', { v: 1 }), 1_000)), [{ clientid: 'a', n: 1, vs: [1] }]);
    s.push(ev('b', { v: 9 }), 2_000);
    const out = s.push(ev('a', { v: 2 }), 10_999);
    assert.deepEqual(rows(out), [{ clientid: 'a', n: 2, vs: [1, 2] }]);
    assert.deepEqual(windows(s, out), [[999, 10_999]]);
    assert.deepEqual(rows(s.push(ev('a', { v: 3 }), 11_000)), [{ clientid: 'a', n: 2, vs: [2, 3] }]); // 1_000 is out
    s.advance(40_000);
    assert.equal(s.stats.groups, 0, 'old buffers are swept');
  });
});

describe('streams: session windows', () => {
  const sql = 'SELECT clientid, count(*) as n, window_start() as ws, window_end() as we FROM "s/#" GROUP BY clientid, SESSIONWINDOW(ss, 5, 60)';

  it('closes a group\'s session a timeout after its last event; window_end is that time', () => {
    const s = stream(sql);
    s.push(ev('a', {}), 1_000);
    s.push(ev('a', {}), 4_000);
    s.push(ev('b', {}), 4_500);
    s.push(ev('a', {}), 8_999);
    assert.equal(s.nextDeadline(), 9_500);
    assert.deepEqual(rows(s.advance(9_500)), [{ clientid: 'b', n: 1, ws: 4_500, we: 9_500 }]);
    assert.equal(s.nextDeadline(), 13_999);
    s.push(ev('a', {}), 13_999); // exactly at the end: a new session
    assert.deepEqual(rows(s.advance(13_999)), [{ clientid: 'a', n: 3, ws: 1_000, we: 13_999 }]);
    assert.deepEqual(rows(s.advance(19_000)), [{ clientid: 'a', n: 1, ws: 13_999, we: 18_999 }]);
  });

  it('cuts a session at maxDuration after its first event, however busy', () => {
    const s = stream('SELECT count(*) as n, window_start() as ws, window_end() as we FROM "s/#" GROUP BY SESSIONWINDOW(ss, 5, 20)');
    const out: Row[] = [];
    for (let t = 3_000; t <= 50_000; t += 2_000) {
      out.push(...s.advance(t));
      s.push(ev('a', {}), t);
    }
    out.push(...s.advance(100_000));
    assert.deepEqual(windows(s, out), [[3_000, 23_000], [23_000, 43_000], [43_000, 54_000]]);
    assert.deepEqual(rows(out).map((r) => r.n), [10, 10, 4]);
  });
});

describe('streams: count windows', () => {
  it('COUNTWINDOW(n) emits every n events of a group at once, from push', () => {
    const s = stream('SELECT clientid, sum(payload.v) as total, window_start() as ws, window_end() as we FROM "s/#" GROUP BY clientid, COUNTWINDOW(3)');
    const out: Row[] = [];
    for (let i = 1; i <= 7; i++) out.push(...s.push(ev('a', { v: i }), i * 10), ...s.push(ev('b', { v: 100 }), i * 10 + 1));
    assert.deepEqual(rows(out), [
      { clientid: 'a', total: 6, ws: 10, we: 30 }, { clientid: 'b', total: 300, ws: 11, we: 31 },
      { clientid: 'a', total: 15, ws: 40, we: 60 }, { clientid: 'b', total: 300, ws: 41, we: 61 },
    ]);
    assert.equal(s.nextDeadline(), undefined);
    assert.deepEqual(rows(s.flush()), [{ clientid: 'a', total: 7, ws: 70, we: 70 }, { clientid: 'b', total: 100, ws: 71, we: 71 }]);
  });

  it('COUNTWINDOW(n, hop): every hop events the last n, once there are n (eKuiper)', () => {
    const s = stream('SELECT collect(payload.v) as vs FROM "s/#" GROUP BY COUNTWINDOW(5, 2)');
    const out: Cols[] = [];
    for (let i = 1; i <= 10; i++) out.push(...rows(s.push(ev('a', { v: i }), i)));
    assert.deepEqual(out, [{ vs: [2, 3, 4, 5, 6] }, { vs: [4, 5, 6, 7, 8] }, { vs: [6, 7, 8, 9, 10] }]);
    s.push(ev('a', { v: 11 }), 11);
    assert.deepEqual(rows(s.flush()), [{ vs: [7, 8, 9, 10, 11] }], 'flush: the last n, with the new event');
    for (let i = 1; i <= 2; i++) s.push(ev('a', { v: i }), i);
    assert.deepEqual(rows(s.push(ev('b', { v: 0 }), 3)), []);
    const again = stream('SELECT collect(payload.v) as vs FROM "s/#" GROUP BY COUNTWINDOW(3, 3)');
    for (let i = 1; i <= 3; i++) again.push(ev('a', { v: i }), i);
    assert.deepEqual(rows(again.flush()), [], 'nothing new since the last window');
  });
});

describe('streams: event time and lateness', () => {
  const sql = 'SELECT clientid, count(*) as n, collect(payload.v) as vs FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)';
  const at = (clientid: string, ts: number, v = ts): Cols => ev(clientid, { ts, v });

  it('orders out-of-order events into their windows and closes when an event passes end + lateness', () => {
    const s = stream(sql, { eventTime: 'payload.ts', lateness: 2_000 });
    const now = 1_000_000; // the clock plays no part while events arrive
    s.push(at('a', 3_000), now);
    s.push(at('a', 11_000), now);
    s.push(at('a', 9_000), now); // out of order, within lateness: still counted
    assert.deepEqual(s.advance(now), []);
    s.push(at('a', 11_999), now); // 11_999 − 2_000 < 10_000: the first window stays open
    assert.deepEqual(s.advance(now), []);
    assert.equal(s.nextDeadline(), now + 2_000 + 10_000, 'by the clock only after lateness + size without events');
    s.push(at('b', 12_000), now); // watermark 10_000 = end: closes [0, 10_000)
    assert.equal(s.nextDeadline(), now, 'due at once');
    assert.deepEqual(rows(s.advance(now)), [{ clientid: 'a', n: 2, vs: [3_000, 9_000] }]);
    s.push(at('a', 5_000), now); // its window has closed: dropped, counted
    assert.equal(s.stats.late, 1);
    s.push(at('a', 25_000), now);
    assert.deepEqual(rows(s.advance(now)), [
      { clientid: 'a', n: 2, vs: [11_000, 11_999] }, { clientid: 'b', n: 1, vs: [12_000] },
    ]);
  });

  it('counts as passed (EMQX) the events WHERE lets through, late ones too, and keeps the count across a snapshot', () => {
    const s = stream('SELECT clientid, count(*) as n FROM "s/#" WHERE payload.v > 0 GROUP BY clientid, TUMBLINGWINDOW(ss, 10)', { eventTime: 'payload.ts' });
    s.push(ev('a', { v: 1, ts: 1_000 }), 0);
    s.push(ev('a', { v: 0, ts: 2_000 }), 0); // WHERE false: not passed
    s.push(ev('a', { v: 2, ts: 12_000 }), 0); // closes [0, 10_000)
    s.advance(0);
    s.push(ev('a', { v: 3, ts: 3_000 }), 0); // passed WHERE, then late
    assert.throws(() => s.push(ev('a', { v: 1, ts: 'soon' }), 0), RuleEvaluationError); // failed: not passed
    assert.equal(s.stats.passed, 3);
    assert.equal(s.passed, 3);
    assert.equal(s.stats.late, 1);
    const again = compileRule('SELECT clientid, count(*) as n FROM "s/#" WHERE payload.v > 0 GROUP BY clientid, TUMBLINGWINDOW(ss, 10)', { id: 'r1' }).stream({
      eventTime: 'payload.ts',
      state: JSON.parse(JSON.stringify(s.snapshot())),
    });
    assert.equal(again.passed, 3);
  });

  it('closes by the clock when nothing arrives: lateness + size after the end', () => {
    const s = stream(sql, { eventTime: 'payload.ts', lateness: 1_000 });
    s.push(at('a', 3_000), 3_500);
    assert.equal(s.nextDeadline(), 10_000 + 1_000 + 10_000);
    assert.deepEqual(s.advance(20_999), []);
    assert.deepEqual(rows(s.advance(21_000)), [{ clientid: 'a', n: 1, vs: [3_000] }]);
    s.push(at('a', 9_000), 21_001);
    assert.equal(s.stats.late, 1);
  });

  it('reads RFC 3339 text and numeric strings, and says what is wrong with other values', () => {
    const s = stream('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)', { eventTime: 'payload.ts' });
    s.push(ev('a', { ts: '1970-01-01T00:00:01Z' }), 0);
    s.push(ev('a', { ts: '2000' }), 0);
    assert.throws(() => s.push(ev('a', { ts: 'soon' }), 0), /eventTime payload.ts gave string "soon"; it must be epoch milliseconds/);
    assert.deepEqual(rows(s.flush()), [{ n: 2 }]);
  });

  it('reports an eventTime that does not parse, with its position', () => {
    const rule = compileRule('SELECT count(*) FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1)');
    assert.throws(() => rule.stream({ eventTime: 'payload.' }), (e: unknown) => e instanceof RuleSyntaxError && e.column === 8);
  });

  it('session windows in event time take an earlier event that fits before the start', () => {
    const s = stream('SELECT count(*) as n, window_start() as ws, window_end() as we FROM "s/#" GROUP BY SESSIONWINDOW(ss, 5, 60)', { eventTime: 'payload.ts', lateness: 10_000 });
    s.push(at('a', 10_000), 0);
    s.push(at('a', 7_000), 0);
    s.push(at('a', 40_000), 0);
    assert.deepEqual(rows(s.advance(0)), [{ n: 2, ws: 7_000, we: 15_000 }]);
  });
});

describe('streams: aggregates', () => {
  function aggregate(select: string, values: unknown[]): Cols {
    const s = stream(`SELECT ${select} FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)`);
    for (const v of values) s.push(ev('a', v === undefined ? {} : { v }), 0);
    const out = rows(s.advance(1000));
    assert.equal(out.length, 1);
    return out[0];
  }

  it('count, sum, avg, min and max skip null (eKuiper)', () => {
    assert.deepEqual(aggregate('count(*) as a, count(payload.v) as b, sum(payload.v) as c, avg(payload.v) as d, min(payload.v) as e, max(payload.v) as f',
      [4, null, 1, undefined, 7]), { a: 5, b: 3, c: 12, d: 4, e: 1, f: 7 });
    assert.deepEqual(aggregate('min(payload.v) as lo, max(payload.v) as hi', ['b', 'a', 'c']), { lo: 'a', hi: 'c' });
    assert.deepEqual(aggregate('sum(payload.v) as s, avg(payload.v) as a, min(payload.v) as m', [null]), { s: null, a: null, m: null });
  });

  it('sum keeps integers beyond 2^53 exact; min, max and last keep them as they are', () => {
    const s = stream('SELECT sum(payload.n) as s, max(payload.n) as m, min(payload.n) as lo, avg(payload.n) as a FROM "s/#" GROUP BY COUNTWINDOW(3)');
    s.push({ topic: 's/a', payload: '{"n": 9007199254740993}' }, 0);
    s.push({ topic: 's/a', payload: '{"n": 9007199254740995}' }, 0);
    const [row] = rows(s.push({ topic: 's/a', payload: '{"n": 1}' }, 0));
    assert.equal(row.s, 18014398509481989n);
    assert.equal(row.m, 9007199254740995n);
    assert.equal(row.lo, 1);
    assert.equal(typeof row.a, 'number');
    assert.deepEqual(aggregate('sum(payload.v) as s', [0.5, 1, 2]), { s: 3.5 });
  });

  it('first_value and last_value, with and without ignoreNull', () => {
    assert.deepEqual(aggregate('first_value(payload.v) as a, last_value(payload.v) as b, first_value(payload.v, true) as c, last_value(payload.v, true) as d',
      [null, 2, 3, null]), { a: null, b: null, c: 2, d: 3 });
  });

  it('collect of a value and of *, deduplicate with all = true and false', () => {
    const out = aggregate('collect(payload.v) as vs, deduplicate(payload.v, true) as ds, deduplicate(payload.v, false) as last_new', [1, 2, 1, null]);
    assert.deepEqual(out, { vs: [1, 2, 1, null], ds: [1, 2, null], last_new: null });
    assert.equal(aggregate('deduplicate(payload.v, false) as x', [1, 2, 3]).x, 3);
    assert.equal(aggregate('deduplicate(payload.v, false) as x', [1, 2, 2]).x, null);
    const all = aggregate('collect(*) as events', [1, 2]).events as Cols[];
    assert.deepEqual(all.map((e) => e.payload), ['{"v":1}', '{"v":2}']);
    assert.equal(all[0].clientid, 'a');
  });

  it('stddev, stddevs, var, vars (population and sample)', () => {
    const out = aggregate('stddev(payload.v) as sd, stddevs(payload.v) as sds, var(payload.v) as v, vars(payload.v) as vs', [2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(out.sd, 2);
    assert.equal(out.v, 4);
    assert.ok(Math.abs((out.vs as number) - 32 / 7) < 1e-12);
    assert.ok(Math.abs((out.sds as number) - Math.sqrt(32 / 7)) < 1e-12);
    assert.deepEqual(aggregate('vars(payload.v) as x', [1]), { x: null });
  });

  it('median, percentile (continuous) and percentile_disc', () => {
    assert.deepEqual(aggregate('median(payload.v) as m', [5, 1, 3, 2]), { m: 2.5 });
    assert.deepEqual(aggregate('percentile(payload.v, 0.9) as p, percentile_disc(payload.v, 0.5) as d', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      { p: 9.1, d: 5 });
  });

  it('aggregates inside expressions and HAVING, and expressions inside aggregates', () => {
    assert.deepEqual(aggregate('round(avg(payload.v * 10)) as a, max(payload.v) - min(payload.v) as range', [1, 2, 4]), { a: 23, range: 3 });
  });

  it('keeps memory per group for incremental aggregates: no per-event state', () => {
    const s = stream('SELECT clientid, count(*) as n, avg(payload.v) as a, stddev(payload.v) as sd, last_value(payload.v) as l FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(hh, 1)');
    for (let i = 0; i < 10; i++) s.push(ev('a', { v: i }), i);
    const small = JSON.stringify(s.snapshot()).length;
    for (let i = 0; i < 1000; i++) s.push(ev('a', { v: i }), i);
    assert.equal(JSON.stringify(s.snapshot()).length - small < 100, true, 'the state does not grow with the events');
  });
});

describe('streams: analytic functions', () => {
  const push = (s: RuleStream, list: Cols[]): Cols[] => list.flatMap((c) => rows(s.push(c, 0)));

  it('had_changed per partition, in WHERE: writes only the changes', () => {
    const s = stream('SELECT clientid, payload.state as state FROM "s/#" WHERE had_changed(true, payload.state) OVER (PARTITION BY clientid)');
    const out = push(s, [
      ev('a', { state: 'on' }), ev('a', { state: 'on' }), ev('b', { state: 'on' }), ev('a', {}), ev('a', { state: 'off' }), ev('b', { state: 'on' }),
    ]);
    assert.deepEqual(out, [{ clientid: 'a', state: 'on' }, { clientid: 'b', state: 'on' }, { clientid: 'a', state: 'off' }]);
    assert.equal(s.stats.partitions, 2);
  });

  it('had_changed over several values, ignoreNull false counts null as a value', () => {
    const s = stream('SELECT had_changed(false, payload.a, payload.b) as c FROM "s/#"');
    assert.deepEqual(push(s, [ev('x', { a: 1, b: 1 }), ev('x', { a: 1, b: 1 }), ev('x', { a: 1, b: 2 }), ev('x', { a: 1 }), ev('x', { a: 1 })]).map((r) => r.c),
      [true, false, true, true, false]);
  });

  it('lag with offset, default and ignoreNull; latest; changed_col', () => {
    const s = stream(`SELECT lag(payload.v) as l1, lag(payload.v, 2, 0) as l2, lag(payload.v, 1, -1, false) as l3,
      latest(payload.v, 'none') as lt, changed_col(true, payload.v) as cc FROM "s/#"`);
    const out = push(s, [ev('a', {}), ev('a', { v: 1 }), ev('a', { v: 1 }), ev('a', {}), ev('a', { v: 2 })]);
    // Issue 20: nothing earlier (l1) or unchanged (cc) is "no value", left out of the row (was null).
    assert.deepEqual(out, [
      { l2: 0, l3: -1, lt: 'none' },
      { l2: 0, l3: null, lt: 1, cc: 1 },
      { l1: 1, l2: 0, l3: 1, lt: 1 },
      { l1: 1, l2: 1, l3: 1, lt: 1 },
      { l1: 1, l2: 1, l3: null, lt: 2, cc: 2 },
    ]);
  });

  it('keeps a state per partition, and WHEN leaves it alone for other events', () => {
    const s = stream(`SELECT clientid, lag(payload.v) OVER (PARTITION BY clientid) as delta,
      lag(payload.v) OVER (PARTITION BY clientid WHEN payload.v > 10) as prev_big FROM "s/#"`);
    const out = push(s, [ev('a', { v: 1 }), ev('b', { v: 100 }), ev('a', { v: 20 }), ev('b', { v: 5 }), ev('a', { v: 4 }), ev('a', { v: 30 })]);
    // Issue 20: an omitted column ("no value") reads as null here, as delta already did.
    assert.deepEqual(out.map((r) => [r.clientid, r.delta ?? null, r.prev_big ?? null]), [
      ['a', null, null], ['b', null, null], ['a', 1, null], ['b', 100, 100], ['a', 20, 20], ['a', 4, 20],
    ].map(([c, d, p]) => [c, d, p]));
  });

  it('runs before WHERE, so that a filtered event still updates the state (eKuiper)', () => {
    const s = stream('SELECT payload.v as v, lag(payload.v) as prev FROM "s/#" WHERE payload.v > 1');
    assert.deepEqual(push(s, [ev('a', { v: 1 }), ev('a', { v: 2 })]), [{ v: 2, prev: 1 }]);
  });

  it('forgets the least recently used partition over maxGroups, counted', () => {
    const s = stream('SELECT had_changed(true, payload.v) OVER (PARTITION BY clientid) as c FROM "s/#"', { maxGroups: 2 });
    const out = push(s, [ev('a', { v: 1 }), ev('b', { v: 1 }), ev('a', { v: 1 }), ev('c', { v: 1 }), ev('a', { v: 1 }), ev('b', { v: 1 })]);
    assert.deepEqual(out.map((r) => r.c), [true, true, false, true, false, true]); // b was forgotten when c came
    assert.equal(s.stats.forgotten, 2);
    assert.equal(s.stats.partitions, 2);
  });

  it('works with a window: the row takes the last event\'s analytic value, aggregates see every event\'s', () => {
    const s = stream('SELECT sum(changed_col(true, payload.v)) as changes_sum, latest(payload.v) as last FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)');
    for (const v of [1, 1, 2, 2, 3]) s.push(ev('a', { v }), 0);
    assert.deepEqual(rows(s.advance(1000)), [{ changes_sum: 6, last: 3 }]);
  });

  it('FOREACH with an analytic function', () => {
    const s = stream('FOREACH payload.list as x DO x, lag(clientid) as p FROM "s/#"');
    assert.deepEqual(push(s, [ev('a', { list: [1] }), ev('b', { list: [2, 3] })]), [{ x: 1 }, { x: 2, p: 'a' }, { x: 3, p: 'a' }]); // issue 20: p was null
  });
});

describe('streams: maxGroups for windows', () => {
  it('emits the least recently used group\'s window early when a new one would exceed maxGroups, counted', () => {
    const s = stream('SELECT clientid, count(*) as n FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)', { maxGroups: 2 });
    s.push(ev('a', {}), 0);
    s.push(ev('b', {}), 1);
    s.push(ev('a', {}), 2);
    const early = s.push(ev('c', {}), 3);
    assert.deepEqual(rows(early), [{ clientid: 'b', n: 1 }]);
    assert.equal(s.stats.evicted, 1);
    assert.equal(s.stats.openWindows, 2);
    assert.deepEqual(rows(s.advance(10_000)), [{ clientid: 'a', n: 2 }, { clientid: 'c', n: 1 }]);
  });
});

describe('streams: snapshot and restore', () => {
  // A deterministic pseudo-random sequence: events of several devices, some out of order.
  function* events(seed: number, n: number): Generator<[Cols, number]> {
    let x = seed;
    const rnd = (): number => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    let now = 1_000_000;
    for (let i = 0; i < n; i++) {
      now += Math.floor(rnd() * 700);
      const ts = now - Math.floor(rnd() * 3_000);
      const dev = `d${Math.floor(rnd() * 5)}`;
      yield [ev(dev, { ts, v: Math.floor(rnd() * 100), s: rnd() < 0.3 ? 'on' : 'off' }), now];
    }
  }

  const cases: [string, StreamOptions][] = [
    ['SELECT clientid, count(*) as n, avg(payload.v) as a, median(payload.v) as m, collect(payload.v) as c, window_end() as we FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 5)', {}],
    ['SELECT clientid, count(*) as n, stddev(payload.v) as sd, first_value(payload.v) as f FROM "s/#" GROUP BY clientid, HOPPINGWINDOW(ss, 6, 2)', { eventTime: 'payload.ts', lateness: 1_500 }],
    ['SELECT clientid, count(*) as n, max(payload.v) as mx FROM "s/#" GROUP BY clientid, SESSIONWINDOW(ms, 900, 4000)', {}],
    ['SELECT clientid, sum(payload.v) as s FROM "s/#" GROUP BY clientid, SLIDINGWINDOW(ss, 3)', {}],
    ['SELECT clientid, collect(payload.v) as c FROM "s/#" GROUP BY clientid, COUNTWINDOW(4, 3)', {}],
    ['SELECT clientid, sum(payload.v) as s, deduplicate(payload.s, true) as d FROM "s/#" GROUP BY clientid, COUNTWINDOW(3)', { maxGroups: 3 }],
    ['SELECT clientid, payload.s as s, lag(payload.v, 2) OVER (PARTITION BY clientid) as l FROM "s/#" WHERE had_changed(true, payload.s) OVER (PARTITION BY clientid)', { maxGroups: 4 }],
  ];

  for (const [sql, options] of cases) {
    it(`gives the same rows as an uninterrupted run: ${sql.slice(0, 90)}…`, () => {
      const run = (cut: Set<number>): unknown[] => {
        let s = stream(sql, options);
        const out: unknown[] = [];
        let i = 0;
        for (const [cols, now] of events(7, 400)) {
          if (cut.has(i++)) s = stream(sql, { ...options, state: JSON.parse(JSON.stringify(s.snapshot())) });
          const deadline = s.nextDeadline();
          if (deadline !== undefined && deadline <= now) out.push(...s.advance(now));
          out.push(...s.push(cols, now));
        }
        out.push(...s.flush());
        return out;
      };
      const whole = run(new Set());
      assert.ok(whole.length > 10, `rows: ${whole.length}`);
      assert.deepEqual(run(new Set([1, 50, 51, 200, 333])), whole);
    });
  }

  it('refuses a state taken from another statement', () => {
    const a = stream('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)');
    const rule = compileRule('SELECT count(*) as m FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 1)');
    assert.throws(() => rule.stream({ state: a.snapshot() }), /another statement/);
  });

  it('emits windows that ended while the state was stored as soon as it is restored', () => {
    const s = stream('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)');
    s.push(ev('a', {}), 1_000);
    const state = JSON.parse(JSON.stringify(s.snapshot()));
    const back = stream('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)', { state });
    assert.ok((back.nextDeadline() as number) <= 60_000);
    assert.deepEqual(rows(back.advance(60_000)), [{ n: 1 }]);
  });

  it('keeps bigints, bytes and undefined through JSON', () => {
    const s = stream('SELECT payload as p, x, collect(x) as xs FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)');
    s.push({ topic: 's/a', payload: Buffer.from([0xff, 0]), x: 12345678901234567890n }, 0);
    s.push({ topic: 's/a', payload: Buffer.from([1]), x: undefined }, 1);
    const back = stream('SELECT payload as p, x, collect(x) as xs FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)', { state: JSON.parse(JSON.stringify(s.snapshot())) });
    const [row] = rows(back.flush());
    assert.deepEqual(row.p, Buffer.from([1]));
    assert.ok('x' in row && row.x === undefined);
    assert.deepEqual(row.xs, [12345678901234567890n, null]);
  });
});
