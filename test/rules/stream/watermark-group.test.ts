// `watermark: "group"` (DESIGN.md section 7, src/rules/stream/group-time.ts): each GROUP BY
// group's own event time. One device an hour behind the others: with the statement's
// watermark ('rule', eKuiper's) its readings are late and dropped; with 'group' they are
// aggregated, and its windows close by its own time, or by the clock from its own last event.

import assert from 'node:assert/strict';
import { compileRule } from '../../../src';
import type { Row, RuleStream, StreamOptions } from '../../../src';

const HOUR = 3_600_000;
const T0 = 10 * HOUR;
const SQL = 'SELECT clientid, count(*) as n, window_start() as ws FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(mi, 1)';
const ev = (clientid: string, ts: number): Record<string, unknown> => ({ topic: `s/${clientid}`, clientid, payload: { ts } });

/** a and b on time, c an hour behind, every 10 s for 3 minutes (arrival = a's time), as the node runs a stream. */
function drive(s: RuleStream, until = T0 + 3 * 60_000): Row[] {
  const out: Row[] = [];
  for (let now = T0; now < until; now += 10_000) {
    for (const [c, ts] of [['a', now], ['b', now], ['c', now - HOUR]] as [string, number][]) {
      const d = s.nextDeadline();
      if (d !== undefined && d <= now) out.push(...s.advance(now));
      out.push(...s.push(ev(c, ts), now));
    }
  }
  return out;
}

const rowsOf = (out: Row[], client: string): [number, unknown][] =>
  out.filter((r) => r.clientid === client).map((r) => [(r.ws as number) - T0, r.n]);

describe('watermark: "group"', () => {
  const options: StreamOptions = { eventTime: 'payload.ts', lateness: 5_000 };

  it('rule (the default): the device an hour behind is late, its readings dropped and counted', () => {
    const s = compileRule(SQL).stream(options);
    const out = drive(s);
    assert.deepEqual(rowsOf(out, 'c'), []);
    assert.equal(s.stats.late, 18);
    assert.deepEqual(rowsOf(out, 'a'), [[0, 6], [60_000, 6]]);
  });

  it('group: its readings are aggregated in its own windows, the others\' rows unchanged', () => {
    const s = compileRule(SQL).stream({ ...options, watermark: 'group' });
    const out = drive(s);
    assert.equal(s.stats.late, 0);
    assert.deepEqual(rowsOf(out, 'a'), [[0, 6], [60_000, 6]]);
    assert.deepEqual(rowsOf(out, 'c'), [[-HOUR, 6], [-HOUR + 60_000, 6]]);
    assert.deepEqual(rowsOf(s.flush(), 'c'), [[-HOUR + 120_000, 6]]);
  });

  it('group: a silent group closes its window by the clock from its own last event (lateness + size later)', () => {
    const s = compileRule(SQL).stream({ ...options, watermark: 'group' });
    drive(s);
    const last = T0 + 3 * 60_000 - 10_000; // the last push
    // c's open window [T0-1h+2min, +1min) holds up to T0-1h+2min50s: 10 s short of its end.
    assert.equal(s.nextDeadline(), last + 5_000 + 60_000 + 10_000);
    assert.deepEqual(s.advance(last + 60_000).length, 0);
    const closed = s.advance(last + 75_000);
    assert.deepEqual(rowsOf(closed, 'c'), [[-HOUR + 120_000, 6]]);
    // Closed by its clock: a later reading of that window is late in c, not a new window.
    s.push(ev('c', T0 - HOUR + 150_000), last + 80_000);
    assert.equal(s.stats.late, 1);
  });

  it('group: a late reading of the group\'s own closed window is still dropped, as with rule', () => {
    const s = compileRule(SQL).stream({ ...options, watermark: 'group' });
    s.push(ev('c', T0 - HOUR), T0);
    s.push(ev('c', T0 - HOUR + 70_000), T0 + 1);
    assert.deepEqual(rowsOf(s.advance(T0 + 2), 'c'), [[-HOUR, 1]]);
    s.push(ev('c', T0 - HOUR + 10_000), T0 + 3);
    assert.equal(s.stats.late, 1);
  });

  it('refuses another watermark', () => {
    assert.throws(() => compileRule(SQL).stream({ ...options, watermark: 'stream' as 'rule' }), /watermark must be "rule" or "group"/);
  });

  for (const sql of [SQL, 'SELECT clientid, count(*) as n FROM "s/#" GROUP BY clientid, HOPPINGWINDOW(ss, 60, 20)',
    'SELECT clientid, count(*) as n FROM "s/#" GROUP BY clientid, SESSIONWINDOW(ss, 15, 60)',
    'SELECT clientid, sum(payload.ts) as s FROM "s/#" GROUP BY clientid, SLIDINGWINDOW(ss, 30)']) {
    it(`group: a snapshot resumes the groups' clocks: ${sql.slice(40, 110)}`, () => {
      const go = (cut: number): Row[] => {
        let s = compileRule(sql).stream({ ...options, watermark: 'group' });
        const out: Row[] = [];
        let i = 0;
        for (let now = T0; now < T0 + 4 * 60_000; now += 7_000) {
          for (const [c, ts] of [['a', now - (i % 3) * 4_000], ['c', now - HOUR]] as [string, number][]) {
            if (i++ === cut) s = compileRule(sql).stream({ ...options, watermark: 'group', state: JSON.parse(JSON.stringify(s.snapshot())) });
            const d = s.nextDeadline();
            if (d !== undefined && d <= now) out.push(...s.advance(now));
            out.push(...s.push(ev(c, ts), now));
          }
        }
        return [...out, ...s.flush()];
      };
      const whole = go(-1);
      assert.ok(whole.length > 5);
      assert.deepEqual(go(21), whole);
    });
  }
});
