// The parts of a stream (src/rules/stream/): the operator registry, group keys and the group
// table, eviction, the event clock and snapshot markers, each on its own.

import assert from 'node:assert/strict';
import { Scope } from '../../../src/rules/scope';
import { compileRule } from '../../../src/rules/compile-rule';
import { EventClock } from '../../../src/rules/stream/event-time';
import { makeRoom } from '../../../src/rules/stream/eviction';
import { Group, GroupTable, Win } from '../../../src/rules/stream/groups';
import { keyOf, keyPart } from '../../../src/rules/stream/keys';
import { PartitionStates } from '../../../src/rules/stream/partitions';
import { planStream, WindowSpec } from '../../../src/rules/stream/plan';
import { StreamProgram } from '../../../src/rules/stream/program';
import { RowBuilder } from '../../../src/rules/stream/rows';
import { restoreSnapshot, takeSnapshot } from '../../../src/rules/stream/snapshot';
import type { StreamCounters, StreamRow } from '../../../src/rules/stream/types';
import { CountWindows, HoppingCountWindows } from '../../../src/rules/stream/windows/count';
import { HoppingWindows } from '../../../src/rules/stream/windows/hopping';
import { windowOperator } from '../../../src/rules/stream/windows/registry';
import { SessionWindows } from '../../../src/rules/stream/windows/session';
import { SlidingWindows } from '../../../src/rules/stream/windows/sliding';
import { TumblingWindows } from '../../../src/rules/stream/windows/tumbling';
import { parseStatement } from '../../../src/rules/parser';

function partsFor(sql: string, options: { eventTime?: string; lateness?: number; maxGroups?: number } = {}) {
  const { statement, map } = parseStatement(sql);
  const plan = planStream(statement, map);
  const program = new StreamProgram('r', sql, plan, { map });
  const counters: StreamCounters = { late: 0, evicted: 0, failed: 0, passed: 0 };
  const groups = new GroupTable(options.maxGroups ?? 100);
  const clock = new EventClock(options.eventTime, options.lateness ?? 0);
  const rows = new RowBuilder(program, counters);
  return { program, counters, groups, clock, rows, window: plan.window as WindowSpec };
}

describe('streams: parts', () => {
  it('the registry gives each window kind its operator', () => {
    const cases: [string, Function][] = [
      ['TUMBLINGWINDOW(ss, 10)', TumblingWindows],
      ['HOPPINGWINDOW(ss, 10, 5)', HoppingWindows],
      ['HOPPINGWINDOW(ss, 10, 10)', TumblingWindows],
      ['SLIDINGWINDOW(ss, 10)', SlidingWindows],
      ['SESSIONWINDOW(ss, 5, 30)', SessionWindows],
      ['COUNTWINDOW(3)', CountWindows],
      ['COUNTWINDOW(4, 2)', HoppingCountWindows],
    ];
    for (const [w, kind] of cases) {
      const parts = partsFor(`SELECT count(*) as n FROM "t" GROUP BY ${w}`);
      const op = windowOperator(parts.window, parts);
      assert.equal(op.constructor, kind, w);
    }
  });

  it('an operator folds events per group and closes windows into rows', () => {
    const parts = partsFor('SELECT clientid, count(*) as n, window_start() as ws FROM "t" GROUP BY clientid, TUMBLINGWINDOW(ms, 10)');
    const op = windowOperator(parts.window, parts);
    const out: StreamRow[] = [];
    for (const [clientid, t] of [['a', 1], ['a', 5], ['b', 7], ['a', 12]] as [string, number][]) {
      const cols = { topic: 't', clientid };
      parts.rows.begin(cols, cols, null);
      op.add(keyPart(clientid), t, [1], new Scope(cols, 'r'), out);
    }
    assert.equal(parts.groups.openWindows, 3);
    assert.equal(op.nextDeadline(), 10);
    op.advance(10, out);
    assert.deepEqual(out.map((r) => [r.row, r.window]), [
      [{ clientid: 'a', n: 2, ws: 0 }, { start: 0, end: 10 }],
      [{ clientid: 'b', n: 1, ws: 0 }, { start: 0, end: 10 }],
    ]);
    assert.equal(parts.groups.openWindows, 1);
  });

  it('keys keep types apart and text as itself', () => {
    assert.equal(keyPart('dev-1'), 'dev-1');
    assert.notEqual(keyPart(1), keyPart('1'));
    assert.notEqual(keyPart(null), keyPart(undefined));
    assert.notEqual(keyPart('\u0001n1'), keyPart(1));
    assert.equal(keyOf(['a']), 'a');
    assert.notEqual(keyOf(['a', 1]), keyOf(['a', '1']));
  });

  it('the group table stamps use and forgets empty groups', () => {
    const table = new GroupTable(10);
    const a = table.touch('a');
    const b = table.touch('b');
    assert.equal(table.touch('a'), a);
    assert.ok(a.used > b.used);
    table.dropIfEmpty(b);
    assert.deepEqual([...table.map.keys()], ['a']);
  });

  it('eviction closes the least recently used group\'s oldest window, never the one asking', () => {
    const table = new GroupTable(2);
    const counters: StreamCounters = { late: 0, evicted: 0, failed: 0, passed: 0 };
    const win = (g: Group, end: number): Win => {
      const w: Win = { start: 0, end, last: 0, first: 0, n: 0, accs: [], kept: null, group: g, closed: false, seq: 0, due: 0 };
      g.wins.push(w);
      table.openWindows++;
      return w;
    };
    const old = table.touch('old');
    const early = win(old, 5);
    win(old, 9);
    const asking = table.touch('new');
    const closed: Win[] = [];
    const owner = {
      close: (w: Win) => { closed.push(w); w.group.wins.splice(w.group.wins.indexOf(w), 1); table.openWindows--; },
      releaseEntries: () => assert.fail('no buffers here'),
    };
    makeRoom(table, asking, owner, counters, []);
    assert.deepEqual(closed, [early]);
    assert.equal(counters.evicted, 1);
  });

  it('the event clock reads epoch ms or RFC 3339, and closes by the clock after lateness + size of silence', () => {
    const clock = new EventClock('payload.ts', 100);
    assert.equal(clock.timeOf(new Scope({ payload: '{"ts":1500.7}' }, 'r')), 1500);
    assert.equal(clock.timeOf(new Scope({ payload: '{"ts":"1970-01-01T00:00:02Z"}' }, 'r')), 2000);
    assert.throws(() => clock.timeOf(new Scope({ payload: '{"ts":"soon"}' }, 'r')), /eventTime payload.ts gave/);
    clock.observe(1000);
    clock.lastArrival = 5000;
    assert.equal(clock.watermark, 900);
    assert.equal(clock.closingTime(5050, 10), 900);
    assert.equal(clock.byClock, false);
    assert.equal(clock.closingTime(5200, 10), 5090);
    assert.equal(clock.byClock, true);
    assert.equal(clock.deadlineOf(2000, 10), 5110);
    assert.equal(new EventClock(undefined, 0).closingTime(42, 10), 42);
  });

  it('partition states forget the least recently used over their bound', () => {
    const ps = new PartitionStates(2);
    ps.set('a', 1);
    ps.set('b', 2);
    ps.get('a');
    ps.set('c', 3);
    assert.deepEqual([...ps.states.keys()], ['a', 'c']);
    assert.equal(ps.forgotten, 1);
  });

  it('a snapshot keeps values JSON cannot hold, and resumes only its own statement', () => {
    const rule = compileRule('SELECT collect(payload.v) as c FROM "t" GROUP BY TUMBLINGWINDOW(ss, 10)');
    const s = rule.stream();
    s.push({ topic: 't', payload: '{"v":18446744073709551615}' }, 1000);
    s.push({ topic: 't', payload: '{"w":1}' }, 1001);
    const saved = JSON.parse(JSON.stringify(s.snapshot())) as unknown;
    const back = rule.stream({ state: saved });
    assert.deepEqual(back.flush(), [{ c: [18446744073709551615n, null] }]);
    const parts = partsFor('SELECT count(*) as n FROM "t" GROUP BY TUMBLINGWINDOW(ss, 10)');
    const state = { signature: 'other', clock: parts.clock, groups: parts.groups, counters: parts.counters, partitions: [], op: undefined };
    assert.throws(() => restoreSnapshot(state, saved), /another statement or eventTime/);
    assert.throws(() => restoreSnapshot(state, { v: 1 }), /not a snapshot of this version/);
    assert.equal((takeSnapshot(state) as { v: number }).v, 2);
  });
});
