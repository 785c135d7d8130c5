// The sink's status while DynamoDB throttles one hot partition key (DESIGN.md 6, ThrottlingReasons
// TableWriteKeyRangeThroughputExceeded): a few words, about 30 characters, told apart from a
// throttle of the whole table (errors.ts words both).
import { strict as assert } from 'node:assert';
import type { Node, NodeAPI } from 'node-red';
import { classifyError } from '../../../src/dynamo/connection/errors';
import { SinkMetrics } from '../../../src/dynamo/delivery/metrics';
import { SinkStatus, causeOf } from '../../../src/nodes/dynamodb-sink/status';
import { nodeText } from '../../../src/nodes/catalog';

const text = nodeText({ _: (key: string) => key } as unknown as NodeAPI, 'dynamodb-sink');

function throttled(reason?: string): Error {
  const err = Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' });
  return reason ? Object.assign(err, { ThrottlingReasons: [{ reason, resource: 'arn:aws:dynamodb:us-west-2:000000000000:table/t' }] }) : err;
}

describe('dynamodb-sink status: throttling reasons', function () {
  it('a hot key reads "throttled: hot key", a table budget and no reason "throttled"', function () {
    const hot = classifyError(throttled('TableWriteKeyRangeThroughputExceeded'));
    assert.equal(hot.throttle, 'key_range');
    assert.equal(causeOf(hot.message), 'hotKey');
    const budget = classifyError(throttled('TableWriteProvisionedThroughputExceeded'));
    assert.equal(budget.throttle, 'budget');
    assert.equal(causeOf(budget.message), 'throttled');
    const plain = classifyError(throttled());
    assert.equal(plain.throttle, undefined);
    assert.equal(causeOf(plain.message), 'throttled');
    // ThrottlingException spells the member throttlingReasons in the SDK's model.
    const lower = Object.assign(new Error('x'), { name: 'ThrottlingException', throttlingReasons: [{ reason: 'TableWriteAccountLimitExceeded' }] });
    assert.equal(classifyError(lower).throttle, 'budget');
  });

  it('shows it short, with the writes still queued', function () {
    const shown: { text?: string }[] = [];
    const node = { status: (s: { text?: string }) => shown.push(s) } as unknown as Node;
    const metrics = new SinkMetrics();
    metrics.success = 120;
    metrics.queuing = 12;
    const lastError = classifyError(throttled('TableWriteKeyRangeThroughputExceeded')).message;
    new SinkStatus(node, text, () => ({ counters: metrics.snapshot(), connecting: false, lastError })).show();
    assert.equal(shown[0].text, 'throttled: hot key · 12 queued');
    assert.ok(shown[0].text!.length <= 32);
  });
});
