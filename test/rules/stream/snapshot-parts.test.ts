// snapshotParts (DESIGN.md section 7: checkpoints while the node runs): the parts join into what
// snapshot() gives, and a stream restored from them goes on as the original does, even when
// events arrive between parts.
import { strict as assert } from 'node:assert';
import { compileRule } from '../../../src';
import { joinSnapshotParts } from '../../../src/rules/stream/snapshot-parts';

const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);
const SQL = `SELECT payload.d as d, count(*) as n, last_value(payload.v) as v, had_changed(true, payload.v) OVER (PARTITION BY payload.d) as ch
FROM "t/#" GROUP BY payload.d, HOPPINGWINDOW(ss, 10, 5)`;
const ev = (d: string, v: number, ts: number) => ({ event: 'message.publish', topic: `t/${d}`, payload: JSON.stringify({ d, v, ts }), timestamp: ts });

describe('snapshotParts', () => {
  it('joins into what snapshot() gives', () => {
    const s = compileRule(SQL).stream({ eventTime: 'payload.ts' });
    for (let i = 0; i < 50; i++) s.push(ev(`d${i % 7}`, i % 3, BASE + i * 100), BASE);
    const parts = [...s.snapshotParts(3)];
    assert.ok(parts.length > 5, 'several parts');
    assert.deepEqual(joinSnapshotParts(JSON.parse(JSON.stringify(parts))), JSON.parse(JSON.stringify(s.snapshot())));
  });

  it('takes each group once when events arrive between parts, and restores', () => {
    const rule = compileRule(SQL);
    const s = rule.stream({ eventTime: 'payload.ts' });
    for (let i = 0; i < 20; i++) s.push(ev(`d${i}`, 1, BASE + 1000), BASE);
    const parts: unknown[] = [];
    let n = 0;
    for (const part of s.snapshotParts(2)) {
      parts.push(JSON.parse(JSON.stringify(part)));
      s.push(ev(`d${n++ % 20}`, 2, BASE + 1500), BASE); // moves groups and partitions to the end
    }
    const state = joinSnapshotParts(parts) as { groups: [string][] };
    assert.equal(new Set(state.groups.map((g) => g[0])).size, state.groups.length);
    assert.equal(state.groups.length, 20);
    const back = rule.stream({ eventTime: 'payload.ts', state });
    assert.equal(back.stats.openWindows, 40);
    assert.equal(back.stats.partitions, 20);
  });

  it('refuses parts without their last one', () => {
    const s = compileRule(SQL).stream();
    s.push(ev('a', 1, BASE), BASE);
    const parts = [...s.snapshotParts(10)];
    assert.throws(() => joinSnapshotParts(parts.slice(0, -1)), /incomplete/);
  });
});
