// The sink's status (src/nodes/dynamodb-sink/status.ts): the words and colour for each state,
// clipped to 200 characters, and at most one change every STATUS_INTERVAL_MS however often asked.
import { strict as assert } from 'node:assert';
import type { Node } from 'node-red';
import { SinkMetrics } from '../../../src/dynamo/delivery/metrics';
import { STATUS_INTERVAL_MS, SinkStatus, clip, type StatusFacts } from '../../../src/nodes/dynamodb-sink/status';

const english: Record<string, string> = {
  'status.counts': 'written __success__ · failed __failed__ · queued __queued__',
  'status.dropped': ' · dropped __dropped__',
  'status.down': 'DynamoDB down · __counts__ · __reason__',
  'status.connecting': 'connecting · __counts__',
  'status.wcu': ' · __wcu__ WCU',
};
const text = (key: string, vars: Record<string, string | number> = {}) =>
  english[key].replace(/__([a-z]+)__/g, (_w, name: string) => String(vars[name]));

function statusOf(facts: Partial<StatusFacts> = {}) {
  const shown: { fill?: string; shape?: string; text?: string }[] = [];
  const node = { status: (s: { fill?: string; shape?: string; text?: string }) => shown.push(s) } as unknown as Node;
  const metrics = new SinkMetrics();
  const status = new SinkStatus(node, text, () => ({ counters: metrics.snapshot(), connecting: false, ...facts }));
  return { status, shown, metrics };
}

describe('dynamodb-sink status', function () {
  it('says the counts in green while all is well', function () {
    const { status, shown, metrics } = statusOf();
    metrics.success = 3;
    metrics.queuing = 1;
    metrics.inflight = 1;
    status.show();
    assert.deepEqual(shown, [{ fill: 'green', shape: 'dot', text: 'written 3 · failed 0 · queued 2' }]);
  });

  it('says why the writer holds back (yellow), that it connects (grey), the last error (red)', function () {
    const down = statusOf({ pause: { reason: 'connect ECONNREFUSED' } });
    down.status.show();
    assert.deepEqual(down.shown[0], { fill: 'yellow', shape: 'ring', text: 'DynamoDB down · written 0 · failed 0 · queued 0 · connect ECONNREFUSED' });
    const connecting = statusOf({ connecting: true });
    connecting.status.show();
    assert.deepEqual(connecting.shown[0], { fill: 'grey', shape: 'ring', text: 'connecting · written 0 · failed 0 · queued 0' });
    const failed = statusOf({ lastError: 'table "t" not found' });
    failed.metrics.failed = 1;
    failed.metrics.drop('expired');
    failed.metrics.drop('expired');
    failed.status.show();
    assert.deepEqual(failed.shown[0], { fill: 'red', shape: 'dot', text: 'written 0 · failed 1 · queued 0 · dropped 2 · table "t" not found' });
  });

  it('clips a long text to 200 characters', function () {
    assert.equal(clip('x'.repeat(300)).length, 200);
    assert.ok(clip('x'.repeat(300)).endsWith('...'));
    assert.equal(clip('short'), 'short');
  });

  it('changes at most once per interval however often it is asked, and never after stop', async function () {
    const { status, shown } = statusOf();
    for (let i = 0; i < 100; i++) status.schedule();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(shown.length, 1);
    status.schedule();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(shown.length, 1, 'the next change waits for the interval');
    status.stop();
    await new Promise((resolve) => setTimeout(resolve, STATUS_INTERVAL_MS + 50));
    assert.equal(shown.length, 1, 'stopped: the pending change is not shown');
  });
});
