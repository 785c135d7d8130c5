// The sink's status (src/nodes/dynamodb-sink/status.ts): the words and colour for each state,
// about 30 characters (issue 22: the state and the one count that matters), and at most one change every STATUS_INTERVAL_MS however often asked.
import { strict as assert } from 'node:assert';
import type { Node, NodeAPI } from 'node-red';
import { SinkMetrics } from '../../../src/dynamo/delivery/metrics';
import { STATUS_INTERVAL_MS, SinkStatus, clip, type StatusFacts } from '../../../src/nodes/dynamodb-sink/status';
import { nodeText } from '../../../src/nodes/catalog';

// The real catalog (nodes/locales/en-US/dynamodb-sink.json), as a runtime without it loaded reads it.
const text = nodeText({ _: (key: string) => key } as unknown as NodeAPI, 'dynamodb-sink');

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
    assert.deepEqual(shown, [{ fill: 'green', shape: 'dot', text: 'written 3' }]);
  });

  it('says why the writer holds back (yellow), that it connects (grey), the last error (red)', function () {
    const down = statusOf({ pause: { reason: 'connect ECONNREFUSED' } });
    down.status.show();
    assert.deepEqual(down.shown[0], { fill: 'yellow', shape: 'ring', text: 'DynamoDB down' });
    const connecting = statusOf({ connecting: true });
    connecting.status.show();
    assert.deepEqual(connecting.shown[0], { fill: 'grey', shape: 'ring', text: 'connecting' });
    const failed = statusOf({ lastError: 'table "t" not found' });
    failed.metrics.failed = 1;
    failed.metrics.drop('expired');
    failed.metrics.drop('expired');
    failed.status.show();
    assert.deepEqual(failed.shown[0], { fill: 'red', shape: 'dot', text: 'table not found · failed 1' });
  });

  it('stays about 30 characters with large counts: the state and the one count that matters (issue 22)', function () {
    const big = (facts: Partial<StatusFacts>, set: (m: SinkMetrics) => void) => {
      const s = statusOf(facts);
      set(s.metrics);
      s.status.show();
      return s.shown[0];
    };
    const reason = 'cannot reach DynamoDB at http://127.0.0.1:8000 (region us-west-2): connection refused; check the connector\'s url';
    const down = big({ pause: { reason } }, (m) => { m.success = 1204; m.queuing = 12; m.drop('expired'); });
    assert.deepEqual(down, { fill: 'yellow', shape: 'ring', text: 'DynamoDB down · 12 queued' });
    assert.equal(big({}, (m) => (m.success = 1234567)).text, 'written 1,234,567');
    assert.equal(big({ connecting: true }, (m) => (m.queuing = 3)).text, 'connecting · 3 queued');
    assert.equal(big({}, (m) => { m.success = 99; m.drop('queue_full'); }).text, 'written 99 · dropped 1');
    const failing = [
      ['table "mqtt_msg" not found at http://127.0.0.1:8000 (region us-west-2): create it', 'table not found · failed 1,000'],
      ['DynamoDB at http://x (region r) refused the credentials (UnrecognizedClientException)', 'credentials refused · failed 1,000'],
      ['http://127.0.0.1:1880 answered, but it is not DynamoDB (HTTP 404, text/html)', 'not DynamoDB · failed 1,000'],
      ['msg.payload is a number; expected an object', 'bad input · failed 1,000'],
      ['something new', 'error · failed 1,000'],
    ];
    for (const [lastError, expected] of failing) {
      const shown = big({ lastError }, (m) => (m.failed = 1000));
      assert.deepEqual(shown, { fill: 'red', shape: 'dot', text: expected });
      assert.ok(expected.length <= 35, expected);
    }
    const expired = big({ lastError: 'the put to "t" was dropped (expired): older than requestTtl' }, (m) => m.drop('expired'));
    assert.equal(expired.text, 'expired · dropped 1');
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
