// "No value" (DESIGN.md section 7, src/rules/no-value.ts): lag, latest and changed_col give it
// where eKuiper gives nil; comparisons with it are false, arithmetic gives it again, a column
// holding it is left out of the row. Cases from eKuiper's docs
// (docs/en_US/sqls/functions/analytic_functions.md, "Examples") and from issue 20.

import assert from 'node:assert/strict';
import { compileRule } from '../../../src';
import type { Row, StreamOptions } from '../../../src';

type Cols = Record<string, unknown>;

const demo = (payload: Cols, clientid = 'demo'): Cols => ({
  event: 'message.publish', topic: `s/${clientid}`, clientid, payload: JSON.stringify(payload),
});

function run(sql: string, events: Cols[], options: StreamOptions = {}): Row[] {
  const s = compileRule(sql, { id: 'r' }).stream(options);
  const out: Row[] = [];
  events.forEach((e, i) => out.push(...s.push(e, i)));
  out.push(...s.flush());
  return out;
}

// eKuiper's example stream (analytic_functions.md, "Examples").
const DEMO = [
  [1, 23, 88], [2, 23, 88], [3, 23, 88], [4, 25, 88], [5, 25, 90], [6, 25, 91], [7, 25, 91], [8, 25, 91],
].map(([ts, temperature, humidity]) => demo({ ts, temperature, humidity }));

describe('no value: eKuiper\'s documented examples', () => {
  const cases: [string, string, Row[]][] = [
    [
      // eKuiper's sink leaves out the empty results (omitEmpty); the rows here are {} there.
      'CHANGED_COL, two columns with their own names',
      'SELECT changed_col(true, payload.temperature) AS myTemp, changed_col(true, payload.humidity) AS myHum FROM "s/#"',
      [{ myTemp: 23, myHum: 88 }, {}, {}, { myTemp: 25 }, { myHum: 90 }, { myHum: 91 }, {}, {}],
    ],
    [
      'CHANGED_COL in WHERE: an unchanged value is no value, and no value > 24 is false',
      'SELECT payload.ts as ts, payload.temperature as temperature, payload.humidity as humidity FROM "s/#" WHERE changed_col(true, payload.temperature) > 24',
      [{ ts: 4, temperature: 25, humidity: 88 }],
    ],
    [
      'HAD_CHANGED over two columns',
      'SELECT payload.ts as ts FROM "s/#" WHERE had_changed(true, payload.temperature, payload.humidity) = true',
      [{ ts: 1 }, { ts: 4 }, { ts: 5 }, { ts: 6 }],
    ],
    [
      'HAD_CHANGED of one and not the other',
      'SELECT payload.ts as ts FROM "s/#" WHERE had_changed(true, payload.temperature) = true AND had_changed(true, payload.humidity) = false',
      [{ ts: 4 }],
    ],
    [
      'LAG without a default: nothing earlier is no value, left out of the first row',
      'SELECT payload.ts as ts, lag(payload.temperature) as prev FROM "s/#" WHERE payload.ts <= 4',
      [{ ts: 1 }, { ts: 2, prev: 23 }, { ts: 3, prev: 23 }, { ts: 4, prev: 23 }],
    ],
    [
      // The doc's duration example: ts - lag(ts, 1, ts, true) OVER (WHEN had_changed(...)).
      'LAG with a default and WHEN: the duration since the temperature last changed',
      'SELECT payload.ts as ts, payload.ts - lag(payload.ts, 1, payload.ts, true) OVER (WHEN had_changed(true, payload.temperature)) as duration FROM "s/#"',
      [{ ts: 1, duration: 0 }, { ts: 2, duration: 1 }, { ts: 3, duration: 2 }, { ts: 4, duration: 3 }, { ts: 5, duration: 1 },
        { ts: 6, duration: 2 }, { ts: 7, duration: 3 }, { ts: 8, duration: 4 }],
    ],
    [
      'LATEST: the latest non-null value, no value before one, the default when given',
      'SELECT latest(payload.x) as l, latest(payload.x, 0) as d FROM "s/#"',
      [{ d: 0 }, { l: 1, d: 1 }, { l: 1, d: 1 }],
    ],
  ];
  const latestEvents = [demo({}), demo({ x: 1 }), demo({ x: null })];
  for (const [title, sql, expected] of cases) {
    it(title, () => {
      assert.deepEqual(run(sql, title.startsWith('LATEST') ? latestEvents : DEMO), expected);
    });
  }
});

describe('no value: comparison, arithmetic, CASE, functions and rows (issue 20)', () => {
  // Each: SQL, the rows of v = 10, 20, 12 (one partition).
  const events = [demo({ v: 10 }), demo({ v: 20 }), demo({ v: 12 })];
  const cases: [string, Row[]][] = [
    ['SELECT payload.v as v FROM "s/#" WHERE payload.v - lag(payload.v) > 5', [{ v: 20 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE payload.v - lag(payload.v) <= 5', [{ v: 12 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE lag(payload.v) > 0', [{ v: 20 }, { v: 12 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE lag(payload.v) != 99', [{ v: 20 }, { v: 12 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE lag(payload.v) = lag(payload.v)', [{ v: 20 }, { v: 12 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE lag(payload.v) IN (10, 20)', [{ v: 20 }, { v: 12 }]],
    ['SELECT payload.v as v FROM "s/#" WHERE lag(payload.v) NOT IN (10)', [{ v: 12 }]],
    // NOT over a comparison that is false (no value > 15) holds, as in eKuiper.
    ['SELECT payload.v as v FROM "s/#" WHERE NOT lag(payload.v) > 15', [{ v: 10 }, { v: 20 }]],
    ['SELECT CASE WHEN payload.v > lag(payload.v) THEN \'up\' ELSE \'flat\' END as dir FROM "s/#"', [{ dir: 'flat' }, { dir: 'up' }, { dir: 'flat' }]],
    ['SELECT CASE lag(payload.v) WHEN 10 THEN \'ten\' ELSE \'other\' END as c FROM "s/#"', [{ c: 'other' }, { c: 'ten' }, { c: 'other' }]],
    ['SELECT CASE WHEN true THEN lag(payload.v) END as c FROM "s/#"', [{}, { c: 10 }, { c: 20 }]],
    ['SELECT payload.v - lag(payload.v) as delta, -lag(payload.v) as neg FROM "s/#"', [{}, { delta: 10, neg: -10 }, { delta: -8, neg: -20 }]],
    ['SELECT abs(payload.v - lag(payload.v)) as d, str(lag(payload.v)) as s FROM "s/#"', [{}, { d: 10, s: '10' }, { d: 8, s: '20' }]],
    ['SELECT \'was \' + lag(payload.v) as t, lag(payload.v) div 3 as q FROM "s/#"', [{}, { t: 'was 10', q: 3 }, { t: 'was 20', q: 6 }]],
    ['SELECT coalesce(lag(payload.v), 0) as c, is_null(lag(payload.v)) as n, is_not_null(lag(payload.v)) as nn FROM "s/#"',
      [{ c: 0, n: true, nn: false }, { c: 10, n: false, nn: true }, { c: 20, n: false, nn: true }]],
    ['SELECT [lag(payload.v), payload.v] as pair FROM "s/#"', [{ pair: [undefined, 10] }, { pair: [10, 20] }, { pair: [20, 12] }]],
    ['SELECT lag(payload.v) as a.b FROM "s/#"', [{}, { a: { b: 10 } }, { a: { b: 20 } }]],
    ['SELECT latest(changed_col(true, payload.v)) as l FROM "s/#"', [{ l: 10 }, { l: 20 }, { l: 12 }]],
  ];
  for (const [sql, expected] of cases) {
    it(sql, () => {
      assert.deepEqual(run(sql, events), expected);
    });
  }

  it('aggregates skip no value as they skip a missing value', () => {
    const rows = run('SELECT count(lag(payload.v)) as n, sum(payload.v - lag(payload.v)) as s, collect(lag(payload.v)) as c FROM "s/#" GROUP BY COUNTWINDOW(3)', events);
    assert.deepEqual(rows, [{ n: 2, s: 2, c: [null, 10, 20] }]);
  });

  it('per partition: each partition\'s first event has no value', () => {
    const rows = run('SELECT clientid, payload.v - lag(payload.v) OVER (PARTITION BY clientid) as d FROM "s/#"',
      [demo({ v: 1 }, 'a'), demo({ v: 5 }, 'b'), demo({ v: 4 }, 'a'), demo({ v: 9 }, 'b')]);
    assert.deepEqual(rows, [{ clientid: 'a' }, { clientid: 'b' }, { clientid: 'a', d: 3 }, { clientid: 'b', d: 4 }]);
  });

  it('survives a snapshot: a lag queue still holding no value', () => {
    const sql = 'SELECT payload.v as v, lag(payload.v, 2) as l FROM "s/#"';
    const s = compileRule(sql).stream();
    assert.deepEqual(s.push(demo({ v: 1 }), 0), [{ v: 1 }]);
    const back = compileRule(sql).stream({ state: JSON.parse(JSON.stringify(s.snapshot())) });
    assert.deepEqual(back.push(demo({ v: 2 }), 1), [{ v: 2 }]);
    assert.deepEqual(back.push(demo({ v: 3 }), 2), [{ v: 3, l: 1 }]);
  });

  it('a stateless statement never meets it: EMQX\'s undefined still compares and computes as before', () => {
    const rule = compileRule('SELECT payload.nope = payload.nada as eq, is_null(payload.nope) as n FROM "s/#"');
    assert.deepEqual(rule.evaluate(demo({ v: 1 })), [{ eq: true, n: true }]);
  });
});
