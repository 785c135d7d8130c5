// Completing a message on a node (src/nodes/dynamodb-sink/completion.ts): through Node-RED's own
// _complete when the node has one, and, for a burst of drops, done(err) for every message to the
// Catch nodes but one log line for what none of them took.
import { strict as assert } from 'node:assert';
import type { Node, NodeMessage } from 'node-red';
import { DropBurstLog, completeOn } from '../../../src/nodes/dynamodb-sink/completion';

/** A node whose flow's Catch nodes take the messages `caught` says. */
function nodeWithCatch(caught: (msg: unknown) => boolean) {
  const logged: unknown[] = [];
  class FakeNode {
    _flow = { handleError: (_node: unknown, _log: unknown, msg: unknown) => caught(msg) };
    error(logMessage: unknown, msg?: unknown) {
      // As Node.error: the flow's Catch nodes first, logged when none took it.
      if (msg === undefined || !this._flow.handleError(this, logMessage, msg)) logged.push(logMessage instanceof Error ? logMessage.message : logMessage);
    }
  }
  const node = new FakeNode() as unknown as Node;
  const done = (msg: NodeMessage) => (err?: Error) => node.error(err, msg);
  return { node, logged, done };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('dynamodb-sink completion', function () {
  it('completes through the node\'s _complete when it has one, else logs the error with the message', function () {
    const completed: unknown[] = [];
    const msg = { _msgid: '1' };
    completeOn({ _complete: (m: unknown, err?: Error) => completed.push([m, err?.message]) } as unknown as Node, msg, new Error('no'));
    assert.deepEqual(completed, [[msg, 'no']]);
    const errors: unknown[] = [];
    completeOn({ error: (err: Error, m: unknown) => errors.push([err.message, m]) } as unknown as Node, msg, new Error('no'));
    assert.deepEqual(errors, [['no', msg]]);
  });

  it('logs one line for a burst of drops no Catch node took, and nothing for the caught ones', async function () {
    const messages = [1, 2, 3, 4].map((n) => ({ _msgid: String(n) }));
    const { node, logged, done } = nodeWithCatch((msg) => msg === messages[0]);
    const burst = new DropBurstLog(node);
    for (const msg of messages) burst.fail(msg, done(msg), new Error(`dropped ${msg._msgid}`));
    assert.deepEqual(logged, [], 'the line comes once the burst has ended');
    await turn();
    assert.deepEqual(logged, [
      '3 queued writes were dropped (resource_stopped) because the sink was removed before it could write them; the first: dropped 2',
    ]);
  });

  it('adds no line of its own when someone else logs the burst (queue_full)', async function () {
    const msg = { _msgid: '1' };
    const { node, logged, done } = nodeWithCatch(() => false);
    new DropBurstLog(node, false).fail(msg, done(msg), new Error('queue full'));
    await turn();
    assert.deepEqual(logged, []);
  });
});
