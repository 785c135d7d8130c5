// A flow with many dynamodb-sink nodes (the demo plus the six examples has 17) must not make
// Node print "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11
// flows:started listeners" at each deploy: the sinks wait for flows:started through one
// shared runtime listener (src/nodes/dynamodb-sink/backlog.ts), not one listener each.
import { strict as assert } from 'node:assert';
import { freePort } from '../../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow } from '../../support/sink-flow';

describe('dynamodb-sink: many sinks in one deploy', function () {
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

  it('adds no flows:started listener per sink (no MaxListenersExceededWarning with 15 sinks)', async function () {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const port = await freePort(); // nothing is written: DynamoDB need not run
      const flow = sinkFlow({ url: `http://127.0.0.1:${port}`, sink: { table: 'mqtt_msg' }, sinkId: 's0' });
      const sink = flow.find((n) => n.id === 's0')!;
      const more = Array.from({ length: 14 }, (_, i) => ({ ...sink, id: `s${i + 1}`, name: `sink ${i + 1}` }));
      let events: { listenerCount(e: string): number } | undefined;
      await helper.load([...SINK_NODES, (RED: { events: typeof events }) => { events = RED.events; }], [...flow, ...more], CONNECTOR_CREDENTIALS);
      // A second deploy of the same 15 sinks, as the editor's full deploy does.
      await (helper as any).setFlows([...flow, ...more].map((n) => ({ ...n })), 'full', CONNECTOR_CREDENTIALS);
      await new Promise((r) => setTimeout(r, 200)); // process warnings are emitted on the next tick
      assert.ok(events, 'runtime events');
      assert.ok(events.listenerCount('flows:started') < 10, `flows:started listeners: ${events.listenerCount('flows:started')}`);
      const leaks = warnings.filter((w) => w.name === 'MaxListenersExceededWarning');
      assert.deepEqual(leaks.map((w) => w.message), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
