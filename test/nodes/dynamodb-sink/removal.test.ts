// A dynamodb-sink deleted from the flows while it holds queued writes (DynamoDB down): every
// message fails with done(err) as dropped.resource_stopped, so a Catch node gets each one, and
// the log gets one line for the deletion (error when some reached no Catch node), not one per message.
import { strict as assert } from 'node:assert';
import { freePort } from '../../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, until, watchSink } from '../../support/sink-flow';

describe('dynamodb-sink removed with queued writes', function () {
  this.timeout(30000);
  before(async function () {
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
  });
  afterEach(async function () {
    await helper.unload();
  });

  async function removeWithQueued(withCatch: boolean, count: number) {
    const port = await freePort(); // nothing listens: DynamoDB is down, the writes wait
    const flow = sinkFlow({ url: `http://127.0.0.1:${port}`, sink: { table: 'gone', requestTtl: 60000 }, sinkId: 'doomed' });
    // The Catch node listens to the whole tab: scoped to the sink, the deploy would restart it.
    const kept = withCatch ? flow.map((n) => (n.id === 'catch' ? { ...n, scope: null } : n)) : flow.filter((n) => n.id !== 'catch');
    await helper.load(SINK_NODES, kept, CONNECTOR_CREDENTIALS);
    const w = watchSink('doomed');
    await until('down', () => w.statuses.some((s) => /DynamoDB down/.test(s.text ?? '')), 10000);
    for (let i = 0; i < count; i++) w.send({ payload: { id: `r${i}` }, n: i });
    await until('queued', () => (w.sink as any).runtime.metrics().counters.queuing === count, 5000);
    const without = kept.filter((n) => n.id !== 'doomed');
    await (helper as any).setFlows(without, 'nodes', CONNECTOR_CREDENTIALS);
    await new Promise((r) => setTimeout(r, 100));
    return w;
  }

  it('no Catch node: one error line for the whole burst, naming the count and the reason', async function () {
    const w = await removeWithQueued(false, 300);
    const lines = w.errors.filter((t) => /resource_stopped/.test(t));
    assert.equal(lines.length, 1, lines.slice(0, 3).join('\n'));
    assert.match(lines[0], /^300 queued writes were dropped \(resource_stopped\).*the sink node was removed/);
  });

  it('a Catch node still gets every dropped message, with its error; the log gets one warning for the deletion, no error', async function () {
    const w = await removeWithQueued(true, 50);
    await until('caught', () => w.caught.length === 50, 5000);
    assert.deepEqual(w.caught.map((m) => m.n), Array.from({ length: 50 }, (_, i) => i));
    assert.ok(w.caught.every((m) => /dropped \(resource_stopped\)/.test(m.error!.message)));
    assert.equal(w.errors.filter((t) => /resource_stopped/.test(t)).length, 0);
    await until('the warning', () => w.warnings.some((t) => /resource_stopped/.test(t)), 5000);
    const lines = w.warnings.filter((t) => /resource_stopped/.test(t));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^50 queued writes were dropped \(resource_stopped\) because the sink node was removed \(deleted\).*: 50 reached a Catch node, 0 did not/);
  });
});
