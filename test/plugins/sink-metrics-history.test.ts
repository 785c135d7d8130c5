// Specification of the sidebar's runtime history: what is kept, for how long, and when a sink
// starts over.
import * as assert from 'node:assert/strict';
import type { MetricsSnapshot } from '../../src/dynamo/delivery/metrics';
import { SinkMetricsHistory } from '../../src/plugins/sink-metrics-history';

function answer(success: number, queuing = 0): { counters: MetricsSnapshot } {
  return {
    counters: {
      matched: success + queuing,
      success,
      failed: 0,
      dropped: 0,
      'dropped.expired': 0,
      'dropped.queue_full': 0,
      'dropped.resource_stopped': 0,
      'dropped.condition': 0,
      retried: 0,
      queuing,
      inflight: 0,
      'consumed.wcu': success * 2,
      'throttled.key_range': 0,
      'throttled.budget': 0,
      'tables.created': 0,
    },
  };
}

describe('SinkMetricsHistory (sidebar chart data)', () => {
  it('keeps one sample per round per running sink, with the counters the chart draws', () => {
    const h = new SinkMetricsHistory(60000);
    h.record(1000, new Map([['a', answer(0, 3)]]));
    h.record(3000, new Map([['a', answer(10, 1)]]));
    const [a] = h.all();
    assert.equal(a.id, 'a');
    assert.deepEqual(
      a.samples.map((s) => [s.t, s.success, s.queuing, s.wcu]),
      [
        [1000, 0, 3, 0],
        [3000, 10, 1, 20],
      ],
    );
    assert.equal(a.current.counters.success, 10);
  });

  it('drops samples older than the window', () => {
    const h = new SinkMetricsHistory(5000);
    for (let t = 0; t <= 10000; t += 1000) h.record(t, new Map([['a', answer(t / 1000)]]));
    assert.deepEqual(h.all()[0].samples.map((s) => s.t), [5000, 6000, 7000, 8000, 9000, 10000]);
  });

  it('forgets a sink that is no longer running', () => {
    const h = new SinkMetricsHistory(60000);
    h.record(0, new Map([['a', answer(1)], ['b', answer(2)]]));
    h.record(1000, new Map([['b', answer(3)]]));
    assert.deepEqual(h.all().map((s) => s.id), ['b']);
  });

  it('starts a sink over when its counters went down (redeployed under the same id)', () => {
    const h = new SinkMetricsHistory(60000);
    h.record(0, new Map([['a', answer(50)]]));
    h.record(1000, new Map([['a', answer(2)]]));
    assert.deepEqual(h.all()[0].samples.map((s) => s.success), [2]);
  });

  it('a round closer than minGapMs refreshes the current answer but adds no sample', () => {
    const h = new SinkMetricsHistory(60000, 1000);
    h.record(0, new Map([['a', answer(1)]]));
    h.record(200, new Map([['a', answer(5)]]));
    h.record(1500, new Map([['a', answer(9)]]));
    const [a] = h.all();
    assert.deepEqual(a.samples.map((s) => [s.t, s.success]), [
      [0, 1],
      [1500, 9],
    ]);
    assert.equal(a.current.counters.success, 9);
  });
});
