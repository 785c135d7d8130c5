// stream.stats (types.ts StreamStats), read by the node for its status, metrics and Prometheus
// (DESIGN.md section 7: over maxGroups, `evicted` windows and `forgotten` partitions are
// counted), and stream.version, which tells the node whether a checkpoint is due.

import assert from 'node:assert/strict';
import { compileRule } from '../../../src';
import type { StreamOptions } from '../../../src';

const ev = (clientid: string, v: number): Record<string, unknown> => ({ topic: `s/${clientid}`, clientid, payload: { v } });

describe('stream stats', () => {
  // SQL, options, the clients of the events pushed (at 0, 1, 2, ...), the stats expected after.
  const cases: [string, string, StreamOptions, string[], Record<string, number>][] = [
    ['partitions over maxGroups are forgotten, counted',
      'SELECT lag(payload.v) OVER (PARTITION BY clientid) as l FROM "s/#"', { maxGroups: 3 },
      ['a', 'b', 'c', 'd', 'e', 'a'], { forgotten: 3, partitions: 3, openWindows: 0, evicted: 0 }],
    ['two analytic functions: partitions and forgotten add up',
      'SELECT lag(payload.v) OVER (PARTITION BY clientid) as l, latest(payload.v) as t FROM "s/#"', { maxGroups: 2 },
      ['a', 'b', 'c'], { forgotten: 1, partitions: 3 }],
    ['open (window, group) pairs',
      'SELECT clientid, count(*) as n FROM "s/#" GROUP BY clientid, HOPPINGWINDOW(ss, 10, 5)', {},
      ['a', 'b', 'a'], { openWindows: 4, groups: 2, evicted: 0, forgotten: 0, partitions: 0 }],
    ['windows over maxGroups are evicted, counted',
      'SELECT clientid, count(*) as n FROM "s/#" GROUP BY clientid, TUMBLINGWINDOW(ss, 10)', { maxGroups: 2 },
      ['a', 'b', 'c', 'd'], { openWindows: 2, evicted: 2 }],
  ];
  for (const [title, sql, options, clients, expected] of cases) {
    it(title, () => {
      const s = compileRule(sql).stream(options);
      clients.forEach((c, i) => s.push(ev(c, i), i));
      const stats = s.stats as unknown as Record<string, number>;
      for (const [k, v] of Object.entries(expected)) assert.equal(stats[k], v, k);
    });
  }

  it('version moves with every change of state and stands still otherwise', () => {
    const s = compileRule('SELECT count(*) as n FROM "s/#" GROUP BY TUMBLINGWINDOW(ss, 10)').stream();
    const v0 = s.version;
    s.push({ topic: 'other/x' }, 0);
    assert.equal(s.version, v0, 'FROM did not match');
    s.push(ev('a', 1), 0);
    const v1 = s.version;
    assert.ok(v1 > v0);
    s.advance(5_000);
    assert.equal(s.version, v1, 'nothing closed');
    assert.equal(s.advance(10_000).length, 1);
    assert.ok(s.version > v1);
    const v2 = s.version;
    s.advance(20_000);
    assert.equal(s.version, v2);
  });
});
