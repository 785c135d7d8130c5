// The Prometheus text of GET /dynamodb-sink/metrics?format=prometheus (DESIGN.md 5), read back
// with a real text-format parser: names, types, labels (escaped), values.
import * as assert from 'node:assert/strict';
import { SinkMetrics } from '../../src/dynamo/delivery/metrics';
import { prometheusText, sinkMetricName } from '../../src/plugins/prometheus';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';

describe('Prometheus text format of sink and rule counters', () => {
  function counters(success: number, wcu: number) {
    const m = new SinkMetrics();
    m.matched = success + 3;
    m.success = success;
    m.queuing = 2;
    m.inflight = 1;
    m.consumedWcu = wcu;
    return m.snapshot();
  }

  it('names counters dynamodb_sink_<counter>_total with dots as _, and gauges queuing/inflight', () => {
    assert.equal(sinkMetricName('dropped.queue_full'), 'dynamodb_sink_dropped_queue_full_total');
    assert.equal(sinkMetricName('consumed.wcu'), 'dynamodb_sink_consumed_wcu_total');
    assert.equal(sinkMetricName('queuing'), 'dynamodb_sink_queuing');
    assert.equal(sinkMetricName('inflight'), 'dynamodb_sink_inflight');
  });

  it('gives every sink and rule a series that a Prometheus parser reads back exactly', async () => {
    const text = await prometheusText(
      [
        { id: 'a1', name: 'to "mqtt_msg"\nline two \\ end', table: 'mqtt_msg', counters: counters(10, 12.5) },
        { id: 'b2', name: '', table: 'telemetry', counters: counters(0, 0) },
      ],
      [
        { id: 'r1', name: 'all of t/#', counters: { matched: 7, passed: 5, failed: 1, noResult: 1 } },
        { id: 'w1', name: 'per minute', counters: { matched: 9, passed: 6, failed: 0, noResult: 3, late: 2, evicted: 1 } },
      ],
    );
    const f = parsePrometheusText(text);
    assert.equal(f.get('dynamodb_sink_success_total')?.type, 'COUNTER');
    assert.equal(f.get('dynamodb_sink_queuing')?.type, 'GAUGE');
    assert.equal(f.get('dynamodb_sink_inflight')?.type, 'GAUGE');
    assert.equal(f.get('rule_sql_matched_total')?.type, 'COUNTER');
    const a = { sink: 'a1', name: 'to "mqtt_msg"\nline two \\ end', table: 'mqtt_msg' };
    assert.equal(sampleValue(f, 'dynamodb_sink_success_total', a), 10);
    assert.equal(sampleValue(f, 'dynamodb_sink_matched_total', a), 13);
    assert.equal(sampleValue(f, 'dynamodb_sink_consumed_wcu_total', a), 12.5);
    assert.equal(sampleValue(f, 'dynamodb_sink_dropped_queue_full_total', a), 0);
    assert.equal(sampleValue(f, 'dynamodb_sink_queuing', a), 2);
    assert.equal(sampleValue(f, 'dynamodb_sink_inflight', { sink: 'b2', name: '', table: 'telemetry' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_matched_total', { rule: 'r1', name: 'all of t/#' }), 7);
    assert.equal(sampleValue(f, 'rule_sql_passed_total', { rule: 'r1' }), 5);
    assert.equal(sampleValue(f, 'rule_sql_failed_total', { rule: 'r1' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_no_result_total', { rule: 'r1' }), 1);
    // late and evicted: series only for the rule with a window.
    assert.equal(sampleValue(f, 'rule_sql_late_total', { rule: 'w1', name: 'per minute' }), 2);
    assert.equal(sampleValue(f, 'rule_sql_evicted_total', { rule: 'w1' }), 1);
    assert.equal(sampleValue(f, 'rule_sql_no_result_total', { rule: 'w1' }), 3);
    assert.deepEqual(f.get('rule_sql_late_total')!.metrics.map((m) => m.labels?.rule), ['w1']);
    for (const family of f.values()) assert.ok(family.help.length > 0, `${family.name} has HELP`);
  });

  it('gives stateful rules rule_sql_forgotten_total and the gauges rule_sql_open_windows, rule_sql_partitions; stateless rules none', async () => {
    const text = await prometheusText([], [
      { id: 'chg', name: 'changes', counters: { matched: 4, passed: 4, failed: 0 }, stream: { forgotten: 2, openWindows: 0, partitions: 2 } },
      { id: 'win', name: 'per minute', counters: { matched: 9, passed: 9, failed: 0, late: 1, evicted: 0 }, stream: { forgotten: 0, openWindows: 7, partitions: 0 } },
      { id: 'plain', name: '', counters: { matched: 1, passed: 1, failed: 0 } },
    ]);
    const f = parsePrometheusText(text);
    assert.equal(f.get('rule_sql_forgotten_total')?.type, 'COUNTER');
    assert.equal(f.get('rule_sql_open_windows')?.type, 'GAUGE');
    assert.equal(f.get('rule_sql_partitions')?.type, 'GAUGE');
    assert.equal(sampleValue(f, 'rule_sql_forgotten_total', { rule: 'chg', name: 'changes' }), 2);
    assert.equal(sampleValue(f, 'rule_sql_partitions', { rule: 'chg' }), 2);
    assert.equal(sampleValue(f, 'rule_sql_open_windows', { rule: 'win' }), 7);
    for (const name of ['rule_sql_forgotten_total', 'rule_sql_open_windows', 'rule_sql_partitions']) {
      assert.deepEqual((f.get(name)?.metrics ?? []).map((m) => m.labels?.rule), ['chg', 'win'], name);
    }
  });

  it('answers families without series when nothing runs', async () => {
    const f = parsePrometheusText(await prometheusText([], []));
    assert.deepEqual(f.get('dynamodb_sink_success_total')?.metrics ?? [], []);
  });
});
