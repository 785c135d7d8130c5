// DESIGN.md 6 under injected faults: a flow with a dynamodb-sink writes through the fault proxy
// into DynamoDB Local. Retryable faults must cost nothing (every item lands, nothing fails);
// non-retryable ones fail only the messages concerned, quickly, each reaching a Catch node.
import { strict as assert } from 'node:assert';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { countersAddUp } from '../../src/dynamo/delivery/metrics';
import { createSeedTable, freePort, scanAll, startDynamoDbLocal, testClient, type DynamoServer } from '../support/dynamodb';
import { startFaultProxy, type FaultAction, type FaultProxy } from '../support/fault-proxy';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until, watchSink, type SinkWatch } from '../support/sink-flow';

const EVERY_RETRYABLE_FAULT: FaultAction[] = [
  'throughput',
  'throttling',
  'request-limit',
  'server-error',
  'unavailable',
  'reset',
  'reset-after',
  'delay',
  'partial',
];

describe('reliability under injected faults (e2e, DynamoDB Local + fault proxy)', function () {
  this.timeout(120000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  let loads = 0;

  before(async function () {
    server = await startDynamoDbLocal();
    proxy = await startFaultProxy(server.url);
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    await proxy?.stop();
    await server?.stop();
  });
  afterEach(async function () {
    proxy.setRules([]);
    await helper.unload();
  });

  async function load(sink: Record<string, unknown>, connector: Record<string, unknown> = {}, url = proxy.url) {
    const sinkId = `rel-${++loads}`;
    await helper.load(SINK_NODES, sinkFlow({ url, sink, connector, sinkId }), CONNECTOR_CREDENTIALS);
    return { w: watchSink(sinkId), sinkId };
  }

  it('10,000 messages while 20% of requests fault in every retryable way: all written, none failed', async function () {
    const table = 'reliability_10k';
    await createSeedTable(server.url, table);
    for (const k of Object.keys(proxy.counts) as (keyof typeof proxy.counts)[]) proxy.counts[k] = 0;
    for (const k of Object.keys(proxy.operations)) delete proxy.operations[k];
    proxy.setRules([{ action: EVERY_RETRYABLE_FAULT, probability: 0.2, delayMs: 1500 }]);
    const { w, sinkId } = await load(
      { table, batchSize: 25, batchTime: 5, inflightWindow: 16, requestTtl: 120000 },
      { requestTimeout: 1000, healthCheckInterval: 1000, poolSize: 16 },
    );
    const started = Date.now();
    for (let i = 0; i < 10000; i++) w.send({ payload: { id: `m${i}`, seq: i, text: `message ${i}` } });
    await until('10,000 outputs', () => w.outputs.length + w.caught.length >= 10000, 100000);
    const seconds = (Date.now() - started) / 1000;
    const m = (await sinkMetrics(sinkId)).body.counters;
    const items = await scanAll(server.url, table);
    const faults = { ...proxy.counts };
    const requests = Object.values(proxy.operations).reduce((a, b) => a + b, 0);
    console.log(
      `      10k run: ${seconds.toFixed(1)} s, ${requests} requests (${JSON.stringify(proxy.operations)}), ` +
        `faults ${JSON.stringify(faults)}, counters ${JSON.stringify(m)}`,
    );
    assert.equal(w.caught.length, 0, w.caught[0]?.error?.message);
    assert.equal(w.outputs.length, 10000);
    assert.equal(items.length, 10000);
    assert.equal(new Set(items.map((i) => i.id.S)).size, 10000);
    assert.deepEqual([m.matched, m.success, m.failed, m.dropped, m.queuing, m.inflight], [10000, 10000, 0, 0, 0, 0]);
    assert.ok(m.retried > 0);
    assert.ok(countersAddUp(m));
    const faulted = requests - faults.forwarded;
    assert.ok(faulted / requests > 0.15 && faulted / requests < 0.25, `faulted ${faulted} of ${requests}`);
    for (const action of EVERY_RETRYABLE_FAULT) assert.ok(faults[action] > 0, `no ${action} injected`);
  });

  it('non-retryable errors fail only the messages concerned, quickly, each caught with its message', async function () {
    const table = 'reliability_bad';
    await createSeedTable(server.url, table);
    proxy.setRules([
      { action: 'condition-failed', operations: ['UpdateItem'], when: (r) => r.body.includes('"condition"') },
    ]);
    const { w, sinkId } = await load({ table, operation: 'msg', batchSize: 25, batchTime: 20 });
    const started = Date.now();
    for (let i = 0; i < 20; i++) w.send({ payload: { id: `ok${i}` }, operation: 'put', tag: `ok${i}` });
    // Validation: the key is a number where the table's is a string (DynamoDB rejects the batch).
    w.send({ payload: { id: 12345 }, operation: 'put', tag: 'validation' });
    w.send({ payload: { id: 'cond', mark: 'condition' }, operation: 'update', tag: 'condition' });
    for (let i = 20; i < 30; i++) w.send({ payload: { id: `ok${i}` }, operation: 'put', tag: `ok${i}` });
    await until('32 outcomes', () => w.outputs.length + w.caught.length === 32);
    const elapsed = Date.now() - started;
    const caught = Object.fromEntries(w.caught.map((m) => [m.tag as string, m.error!.message]));
    console.log(`      non-retryable: 2 caught in ${elapsed} ms: ${JSON.stringify(caught)}`);
    assert.deepEqual(Object.keys(caught).sort(), ['condition', 'validation']);
    assert.match(caught.validation, /ValidationException/);
    assert.match(caught.condition, /ConditionalCheckFailedException/);
    assert.deepEqual((w.caught.find((m) => m.tag === 'validation')!.payload as { id: number }).id, 12345, 'the original message');
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    const ids = (await scanAll(server.url, table)).map((i) => i.id.S);
    assert.equal(ids.filter((id) => id?.startsWith('ok')).length, 30);
    const m = (await sinkMetrics(sinkId)).body.counters;
    assert.deepEqual([m.success, m.failed, m.dropped], [30, 2, 0]);

    // Credentials refused (DynamoDB Local accepts any key, so the proxy refuses this one, as AWS
    // answers an unknown key): the health check fails too, yet the messages fail fast, not
    // held until requestTtl.
    await helper.unload();
    proxy.setRules([{ action: 'unrecognized-client', when: (r) => r.authorization.includes('Credential=refused-key/') }]);
    const sinkIdRefused = `rel-${++loads}`;
    await helper.load(SINK_NODES, sinkFlow({ url: proxy.url, sink: { table }, sinkId: sinkIdRefused }), {
      connector: { accessKeyId: 'refused-key', secretAccessKey: 'whatever' },
    });
    const refused = watchSink(sinkIdRefused);
    const t1 = Date.now();
    for (let i = 0; i < 5; i++) refused.send({ payload: { id: `r${i}` }, tag: `r${i}` });
    await until('5 caught', () => refused.caught.length === 5, 5000);
    console.log(`      credentials refused: 5 caught in ${Date.now() - t1} ms: ${refused.caught[0].error!.message}`);
    assert.ok(Date.now() - t1 < 3000);
    assert.match(refused.caught[0].error!.message, /refused the credentials \(UnrecognizedClientException.*check the connector's access key ID/);
    assert.ok(!refused.caught[0].error!.message.includes('whatever'), 'no secret in the error');

    // A missing table: all its messages fail at once, nothing retried.
    await helper.unload();
    const missing = await load({ table: 'reliability_missing' });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) missing.w.send({ payload: { id: `x${i}` } });
    await until('5 caught', () => missing.w.caught.length === 5);
    assert.ok(Date.now() - t0 < 2000);
    assert.match(missing.w.caught[0].error!.message, /table "reliability_missing" not found at http:\/\/127\.0\.0\.1:\d+/);
    const mm = (await sinkMetrics(missing.sinkId)).body.counters;
    assert.deepEqual([mm.failed, mm.retried], [5, 0]);
  });

  it('requestTtl expiry while DynamoDB is down drops as dropped.expired, each message caught and logged', async function () {
    const port = await freePort();
    const { w, sinkId } = await load({ table: 'any', requestTtl: 1000 }, {}, `http://127.0.0.1:${port}`);
    for (let i = 0; i < 5; i++) w.send({ payload: { id: `e${i}` }, tag: i });
    await until('5 caught', () => w.caught.length === 5, 5000);
    assert.deepEqual(w.caught.map((m) => m.tag), [0, 1, 2, 3, 4]);
    assert.match(w.caught[0].error!.message, /dropped \(expired\): not written within requestTtl 1000 ms.*cannot reach DynamoDB/);
    assert.equal(w.errors.filter((e) => /expired/.test(e)).length, 5, 'each one logged');
    const m = (await sinkMetrics(sinkId)).body.counters;
    assert.deepEqual([m.matched, m['dropped.expired'], m.dropped, m.failed, m.queuing], [5, 5, 5, 0, 0]);
  });

  it('a batch with a wrongly typed key is split: its other items land', async function () {
    const table = 'reliability_numkey';
    await testClient(server.url).send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const { w } = await load({ table, batchTime: 50 });
    for (let i = 0; i < 24; i++) w.send({ payload: { id: i } });
    w.send({ payload: { id: 'not-a-number' }, tag: 'bad' });
    await until('25 outcomes', () => w.outputs.length + w.caught.length === 25);
    assert.deepEqual(w.caught.map((m) => m.tag), ['bad']);
    assert.equal((await scanAll(server.url, table)).length, 24);
  });
});

export type { SinkWatch };
