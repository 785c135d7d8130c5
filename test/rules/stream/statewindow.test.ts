// STATEWINDOW(begin, emit) [OVER (PARTITION BY ...)] (DESIGN.md section 7; eKuiper's
// docs/en_US/sqls/windows.md "Conditional state window" and window_v2_op.go StateWindowOp).

import assert from 'node:assert/strict';
import { compileRule, RuleSyntaxError } from '../../../src';
import type { Row, RuleStream, StreamOptions } from '../../../src';
import { joinSnapshotParts } from '../../../src/rules/stream/snapshot-parts';

type Cols = Record<string, unknown>;
const ev = (clientid: string, payload: Cols): Cols => ({ topic: `s/${clientid}`, clientid, payload });

const RUN = 'SELECT clientid, collect(payload.v) as vs, window_start() as ws, window_end() as we FROM "s/#" GROUP BY STATEWINDOW(payload.s = \'on\', payload.s = \'off\')';

/** Pushes [clientid, s, v] at times 0, 1, 2, ...; gives each push's rows and the flush's. */
function run(sql: string, events: [string, string, number][], options: StreamOptions = {}): { pushed: Row[][]; flushed: Row[]; s: RuleStream } {
  const s = compileRule(sql).stream(options);
  const pushed = events.map(([c, st, v], t) => s.push(ev(c, { s: st, v, ts: 1000 + 10 * t }), t));
  return { pushed, flushed: s.flush(), s };
}

describe('STATEWINDOW', () => {
  const cases: [string, string, [string, string, number][], Row[]][] = [
    ['opens at begin, closes at the first later emit; both events are in it', RUN,
      [['a', 'off', 0], ['a', 'on', 1], ['a', 'idle', 2], ['a', 'off', 3], ['a', 'idle', 4]],
      [{ clientid: 'a', vs: [1, 2, 3], ws: 1, we: 3 }]],
    ['an emit before any begin is ignored, and so are the events before a begin', RUN,
      [['a', 'off', 0], ['a', 'idle', 1], ['a', 'off', 2], ['a', 'on', 3], ['a', 'off', 4]],
      [{ clientid: 'a', vs: [3, 4], ws: 3, we: 4 }]],
    ['begin and emit on the same event: it opens the window only (eKuiper does not ask emit of the begin event)',
      'SELECT collect(payload.v) as vs, window_start() as ws, window_end() as we FROM "s/#" GROUP BY STATEWINDOW(payload.v >= 1, payload.v >= 1)',
      [['a', '', 0], ['a', '', 1], ['a', '', 2], ['a', '', 3], ['a', '', 4], ['a', '', 5]],
      [{ vs: [1, 2], ws: 1, we: 2 }, { vs: [3, 4], ws: 3, we: 4 }]],
    ['a begin while open is one more event of the window', RUN,
      [['a', 'on', 0], ['a', 'on', 1], ['a', 'off', 2], ['a', 'on', 3], ['a', 'off', 4]],
      [{ clientid: 'a', vs: [0, 1, 2], ws: 0, we: 2 }, { clientid: 'a', vs: [3, 4], ws: 3, we: 4 }]],
    ['without OVER, one state machine for the statement: another client\'s emit closes it', RUN,
      [['a', 'on', 0], ['b', 'idle', 1], ['b', 'off', 2]],
      [{ clientid: 'b', vs: [0, 1, 2], ws: 0, we: 2 }]],
    ['GROUP BY besides: one row per group of the window, emitted together',
      'SELECT clientid, count(*) as n, window_start() as ws, window_end() as we FROM "s/#" GROUP BY clientid, STATEWINDOW(payload.s = \'on\', payload.s = \'off\')',
      [['a', 'on', 0], ['b', 'idle', 1], ['a', 'idle', 2], ['c', 'off', 3]],
      [{ clientid: 'a', n: 2, ws: 0, we: 3 }, { clientid: 'b', n: 1, ws: 0, we: 3 }, { clientid: 'c', n: 1, ws: 0, we: 3 }]],
    ['OVER (PARTITION BY clientid): one state machine per client',
      `${RUN} OVER (PARTITION BY clientid)`,
      [['a', 'on', 0], ['b', 'on', 1], ['b', 'idle', 2], ['a', 'off', 3], ['b', 'off', 4], ['c', 'off', 5]],
      [{ clientid: 'a', vs: [0, 3], ws: 0, we: 3 }, { clientid: 'b', vs: [1, 2, 4], ws: 1, we: 4 }]],
    ['analytic functions in the conditions: a window per run of a changed state',
      'SELECT count(*) as n FROM "s/#" GROUP BY STATEWINDOW(had_changed(true, payload.s) AND payload.s = \'on\', lag(payload.s) = \'on\' AND payload.s != \'on\')',
      [['a', 'on', 0], ['a', 'on', 1], ['a', 'off', 2], ['a', 'off', 3], ['a', 'on', 4], ['a', 'x', 5]],
      [{ n: 3 }, { n: 2 }]],
  ];
  for (const [title, sql, events, expected] of cases) {
    it(title, () => {
      const { pushed } = run(sql, events);
      assert.deepEqual(pushed.flat(), expected);
    });
  }

  it('eKuiper\'s example: statewindow(a = 1, a = 5) over (partition by b); b = 2 never emits', () => {
    const s = compileRule('SELECT collect(payload.a) as a, collect(payload.b) as b FROM "s/#" GROUP BY STATEWINDOW(payload.a = 1, payload.a = 5) OVER (PARTITION BY payload.b)').stream();
    const out = [{ a: 1, b: 1 }, { a: 1, b: 2 }, { a: 5, b: 1 }].flatMap((p, t) => s.push(ev('x', p), t));
    assert.deepEqual(out, [{ a: [1, 5], b: [1, 1] }]);
    assert.equal(s.stats.openWindows, 1);
  });

  it('window_start() and window_end() are the begin and emit events\' own times with eventTime; the origin says so', () => {
    const s = compileRule(`${RUN} OVER (PARTITION BY clientid)`).stream({ eventTime: 'payload.ts' });
    s.push(ev('a', { s: 'on', v: 1, ts: 5_000 }), 100);
    const [row] = s.push(ev('a', { s: 'off', v: 2, ts: 9_000 }), 101);
    assert.deepEqual(row, { clientid: 'a', vs: [1, 2], ws: 5_000, we: 9_000 });
    assert.deepEqual(s.origin(row)?.window, { start: 5_000, end: 9_000 });
  });

  it('time closes nothing: no deadline, advance gives nothing; flush gives the open window', () => {
    const s = compileRule(RUN).stream();
    s.push(ev('a', { s: 'on', v: 1 }), 0);
    s.push(ev('a', { s: 'idle', v: 2 }), 5);
    assert.equal(s.nextDeadline(), undefined);
    assert.deepEqual(s.advance(1e12), []);
    assert.deepEqual(s.flush(), [{ clientid: 'a', vs: [1, 2], ws: 0, we: 5 }]);
    assert.equal(s.stats.openWindows, 0);
  });

  it('over maxGroups an open window is evicted (emitted early, counted); its partition stays open', () => {
    const s = compileRule(`${RUN} OVER (PARTITION BY clientid)`).stream({ maxGroups: 2 });
    s.push(ev('a', { s: 'on', v: 1 }), 0);
    s.push(ev('b', { s: 'on', v: 2 }), 1);
    const early = s.push(ev('c', { s: 'on', v: 3 }), 2);
    assert.deepEqual(early, [{ clientid: 'a', vs: [1], ws: 0, we: 0 }]);
    assert.equal(s.stats.evicted, 1);
    assert.equal(s.stats.openWindows, 2);
    // b is now the least recently used: a's window comes back and b's goes.
    assert.deepEqual(s.push(ev('a', { s: 'off', v: 4 }), 3), [{ clientid: 'b', vs: [2], ws: 1, we: 1 }, { clientid: 'a', vs: [4], ws: 0, we: 3 }]);
  });

  it('a snapshot mid-window resumes it: the same rows as an uninterrupted run', () => {
    const sql = `SELECT clientid, count(*) as n, collect(payload.v) as vs, window_start() as ws, window_end() as we FROM "s/#" GROUP BY payload.k, STATEWINDOW(payload.s = 'on', payload.s = 'off') OVER (PARTITION BY clientid)`;
    const events: Cols[] = [];
    for (let i = 0; i < 120; i++) events.push(ev(`d${i % 3}`, { s: ['on', 'idle', 'off', 'idle'][(i * 7) % 4], v: i, k: i % 2 }));
    const go = (cuts: Set<number>): Row[] => {
      let s = compileRule(sql).stream();
      const out: Row[] = [];
      events.forEach((e, t) => {
        if (cuts.has(t)) s = compileRule(sql).stream({ state: JSON.parse(JSON.stringify(s.snapshot())) });
        out.push(...s.push(e, t));
      });
      return [...out, ...s.flush()];
    };
    const whole = go(new Set());
    assert.ok(whole.length > 10);
    assert.deepEqual(go(new Set([1, 2, 17, 50, 51, 99])), whole);
  });

  it('snapshotParts carries the open state windows too', () => {
    const s = compileRule(`${RUN} OVER (PARTITION BY clientid)`).stream();
    s.push(ev('a', { s: 'on', v: 1 }), 0);
    s.push(ev('b', { s: 'on', v: 2 }), 1);
    const back = compileRule(`${RUN} OVER (PARTITION BY clientid)`).stream({ state: joinSnapshotParts([...s.snapshotParts(1)].map((p) => JSON.parse(JSON.stringify(p)))) });
    assert.deepEqual(back.push(ev('b', { s: 'off', v: 3 }), 2), [{ clientid: 'b', vs: [2, 3], ws: 1, we: 2 }]);
  });

  it('an old snapshot (format 2, before STATEWINDOW) still restores', () => {
    const sql = 'SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)';
    const old = {
      v: 2, sig: `${sql}\n`, watermark: null, maxT: null, lastArrival: null, lastNow: 5, seq: 1, stamp: 1,
      counters: { late: 0, evicted: 0, failed: 0, passed: 1 }, kept: [[{}, null, 's/a', null]],
      groups: [['', [[0, 10_000, 0, 0, 1, [1], 0, 0]], null, 0, 1]], partitions: [],
    };
    assert.deepEqual(compileRule(sql).stream({ state: old }).advance(10_000), [{ n: 1 }]);
  });

  it('compile errors name the fix', () => {
    const cases: [string, RegExp][] = [
      ['SELECT count(*) FROM "t" GROUP BY STATEWINDOW(a = 1)', /STATEWINDOW\(begin, emit\) takes 2 arguments, got 1/],
      ['SELECT count(*) FROM "t" GROUP BY STATEWINDOW(a = 1, a = 2) OVER (WHEN a > 1)', /PARTITION BY only, not WHEN/],
      ['SELECT count(*) FROM "t" GROUP BY TUMBLINGWINDOW(ss, 1) OVER (PARTITION BY a)', /OVER follows only STATEWINDOW and analytic functions/],
      ['SELECT count(*) FROM "t" GROUP BY STATEWINDOW(count(*) > 1, a = 2)', /aggregate function count\(\) is only allowed in SELECT and HAVING/],
    ];
    for (const [sql, message] of cases) {
      assert.throws(() => compileRule(sql), (err: unknown) => err instanceof RuleSyntaxError && message.test(err.message), sql);
    }
  });
});
