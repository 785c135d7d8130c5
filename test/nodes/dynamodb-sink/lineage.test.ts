// Where a message's outcome goes when the sink instance it arrived at closes (lineage.ts,
// message.ts; DESIGN.md 6: every input message ends in exactly one output or Catch on a running
// flow, whichever node wrote it). Issue 21: a write the closing instance finishes itself, while a
// successor is expected, completes on that successor (once its flow runs), never on the closed
// node, whose send and Catch Node-RED has already disconnected; with no successor (deleted,
// disabled, Node-RED stopping) it completes on its own node as before.
import { strict as assert } from 'node:assert';
import type { Node, NodeMessage } from 'node-red';
import { sinkDrops } from '../../../src/nodes/dynamodb-sink/completion';
import { SinkLineage, type SinkInstance } from '../../../src/nodes/dynamodb-sink/lineage';
import { MessageWrite } from '../../../src/nodes/dynamodb-sink/message';

/** A node that records what reaches it: sends, completions (with their error), log lines. */
function fakeNode(name: string, log: string[]) {
  const node = {
    id: 'sink',
    send: (m: NodeMessage) => log.push(`${name} send ${(m.payload as { id: string }).id}`),
    _complete: (m: NodeMessage, err?: Error) => log.push(`${name} complete ${(m.payload as { id: string }).id}${err ? ` error` : ''}`),
    warn: (t: string) => log.push(`${name} warn ${t}`),
    error: (t: unknown) => log.push(`${name} error ${String(t)}`),
  };
  return node as unknown as Node;
}

function instanceOf(node: Node): SinkInstance {
  return { node, drops: sinkDrops(node), adopt: () => undefined };
}

/** A message taken by `instance`: its own send and done record into `log` under `name`. */
function messageAt(lineage: SinkLineage, instance: SinkInstance, id: string, name: string, log: string[]) {
  const msg = { _msgid: id, payload: { id } } as NodeMessage & Record<string, unknown>;
  return new MessageWrite(
    msg,
    (m) => log.push(`${name} own send ${(m.payload as { id: string }).id}`),
    (err) => log.push(`${name} own done ${id}${err ? ' error' : ''}`),
    't',
    'put',
    { id: { S: id } },
    instance.drops,
    { lineage, instance },
  );
}

describe('dynamodb-sink lineage: outcomes across a close', function () {
  it('running: an outcome completes on the instance the message arrived at, at once', function () {
    const log: string[] = [];
    const lineage = new SinkLineage('sink');
    const a = instanceOf(fakeNode('A', log));
    lineage.attach(a);
    lineage.markReady(a);
    messageAt(lineage, a, 'm1', 'A', log).written(1);
    assert.deepEqual(log, ['A own send m1', 'A own done m1']);
  });

  it('redeployed: what the closing instance finishes waits for the successor, then completes there once, output or Catch', function () {
    const log: string[] = [];
    const lineage = new SinkLineage('sink');
    const a = instanceOf(fakeNode('A', log));
    lineage.attach(a);
    lineage.markReady(a);
    const ok = messageAt(lineage, a, 'ok', 'A', log);
    const bad = messageAt(lineage, a, 'bad', 'A', log);
    // The close begins (a successor is expected); the closing node's flush writes both.
    lineage.handOver(a);
    a.closing = true;
    ok.written(1);
    bad.failed(new Error('ValidationException'));
    assert.deepEqual(log, [], 'nothing on the closed node');
    lineage.detach(a, false);
    const b = instanceOf(fakeNode('B', log));
    lineage.attach(b);
    assert.deepEqual(log, [], 'nothing before the successor\'s flow runs');
    lineage.markReady(b);
    assert.deepEqual(log, ['B send ok', 'B complete ok', 'B complete bad error']);
  });

  it('deleted or disabled (no hand-over): the closing instance completes its own messages, as before', function () {
    const log: string[] = [];
    const lineage = new SinkLineage('sink');
    const a = instanceOf(fakeNode('A', log));
    lineage.attach(a);
    lineage.markReady(a);
    a.closing = true;
    messageAt(lineage, a, 'm1', 'A', log).written(1);
    lineage.detach(a, true);
    assert.deepEqual(log, ['A own send m1', 'A own done m1']);
  });

  it('handing over but no successor comes (Node-RED stops): the outcomes go to their own node when the lineage ends, once', function () {
    const log: string[] = [];
    const lineage = new SinkLineage('sink');
    const a = instanceOf(fakeNode('A', log));
    lineage.attach(a);
    lineage.markReady(a);
    lineage.handOver(a);
    a.closing = true;
    messageAt(lineage, a, 'm1', 'A', log).failed(new Error('no'));
    lineage.detach(a, false);
    assert.deepEqual(log, []);
    lineage.retire(); // what endClosedLineages does on a stop that is not a deploy
    assert.deepEqual(log, ['A own done m1 error']);
    messageAt(lineage, a, 'm2', 'A', log).written(1);
    assert.deepEqual(log, ['A own done m1 error', 'A own send m2', 'A own done m2']);
  });

  it('handOver is idempotent and ignores an instance that is not the live one', function () {
    const log: string[] = [];
    const lineage = new SinkLineage('sink');
    const a = instanceOf(fakeNode('A', log));
    const stale = instanceOf(fakeNode('S', log));
    lineage.attach(a);
    lineage.markReady(a);
    lineage.handOver(stale);
    assert.equal(stale.handingOver, undefined);
    lineage.handOver(a);
    lineage.handOver(a);
    assert.equal(a.handingOver, true);
  });
});
