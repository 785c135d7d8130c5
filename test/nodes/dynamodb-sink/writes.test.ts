// Issue 12 against DynamoDB Local, in a Node-RED flow: update expressions with counters and
// reserved words, only-newer conditions (skip or error), per-message tables, TTL; and under the
// fault proxy (20% of requests faulted, answers lost after the write included) counters that stay
// exact and only-newer writes that end with the newest value.
import { strict as assert } from 'node:assert';
import { GetItemCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createSeedTable, scanAll, startDynalite, startDynamoDbLocal, testClient, type DynamoServer } from '../../support/dynamodb';
import { startFaultProxy, type FaultAction, type FaultProxy } from '../../support/fault-proxy';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until, watchSink, type SinkWatch } from '../../support/sink-flow';

/** Every fault the proxy has, the lost answer (`reset-after`: the write happened) included. */
const FAULTS: FaultAction[] = ['throughput', 'throttling', 'server-error', 'unavailable', 'reset', 'reset-after', 'reset-after', 'reset-after'];

describe('dynamodb-sink writes: expressions, conditions, tables, TTL', function () {
  this.timeout(60000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  let n = 0;
  let table: string;
  let sinkId: string;

  before(async function () {
    this.timeout(90000);
    server = await startDynamoDbLocal();
    proxy = await startFaultProxy(server.url);
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    await proxy?.stop();
    await server?.stop();
  });
  beforeEach(async function () {
    table = `writes_${++n}`;
    await createSeedTable(server.url, table);
    proxy.setRules([]);
    for (const k of Object.keys(proxy.operations)) delete proxy.operations[k];
    for (const k of Object.keys(proxy.counts)) proxy.counts[k as FaultAction] = 0;
  });
  afterEach(async function () {
    await helper.unload();
  });

  async function load(sink: Record<string, unknown>, url = server.url): Promise<SinkWatch> {
    sinkId = `sink-w${n}`;
    await helper.load(SINK_NODES, sinkFlow({ url, sink: { table, ...sink }, sinkId }), CONNECTOR_CREDENTIALS);
    return watchSink(sinkId);
  }

  async function getItem(id: string, t = table): Promise<Record<string, AttributeValue> | undefined> {
    const c = testClient(server.url);
    try {
      return (await c.send(new GetItemCommand({ TableName: t, Key: { id: { S: id } }, ConsistentRead: true }))).Item;
    } finally {
      c.destroy();
    }
  }

  async function counters(): Promise<Record<string, number>> {
    return (await sinkMetrics(sinkId)).body.counters;
  }

  describe('update expressions', function () {
    it('keeps device state with counters: SET, if_not_exists, ADD, as issue 12 writes it', async function () {
      const w = await load({
        operation: 'update',
        updateExpression: 'SET last_temp = ${payload.temp}, last_seen = ${timestamp}, first_seen = if_not_exists(first_seen, ${timestamp}) ADD msg_count 1',
      });
      for (let i = 0; i < 5; i++) w.send({ payload: { id: 'dev1', payload: JSON.stringify({ temp: 20 + i }), timestamp: 1000 + i } });
      await until('5 outputs', () => w.outputs.length === 5);
      assert.deepEqual(await getItem('dev1'), {
        id: { S: 'dev1' },
        last_temp: { N: '24' },
        last_seen: { N: '1004' },
        first_seen: { N: '1000' },
        msg_count: { N: '5' },
      });
      assert.deepEqual(w.outputs[4].dynamodb, { table, operation: 'update', key: { id: 'dev1' }, attempts: 1 });
    });

    it('writes reserved words plainly: count, name, timestamp, data', async function () {
      const w = await load({
        operation: 'update',
        updateExpression: 'SET name = ${clientid}, timestamp = ${timestamp}, data = ${payload}, history = list_append(if_not_exists(history, []), ${timestamp}) ADD count 1 REMOVE status',
        encoding: 'native',
      });
      w.send({ payload: { id: 'r1', clientid: 'c-1', timestamp: 5, payload: { t: 1 }, status: 'x' } });
      w.send({ payload: { id: 'r1', clientid: 'c-1', timestamp: 6, payload: { t: 2 } } });
      await until('2 outputs', () => w.outputs.length === 2);
      assert.deepEqual(await getItem('r1'), {
        id: { S: 'r1' },
        name: { S: 'c-1' },
        timestamp: { N: '6' },
        data: { M: { t: { N: '2' } } },
        history: { L: [{ N: '5' }, { N: '6' }] },
        count: { N: '2' },
      });
    });

    it('sends ADD, list_append and + / - as TransactWriteItems with a token; plain SET as UpdateItem', async function () {
      const w = await load({ operation: 'update', updateExpression: 'SET v = ${v} ADD n 1' }, proxy.url);
      w.send({ payload: { id: 'a', v: 1 } });
      await until('output', () => w.outputs.length === 1);
      assert.equal(proxy.operations.TransactWriteItems, 1);
      assert.equal(proxy.operations.UpdateItem, undefined);
      await helper.unload();
      const w2 = await load({ operation: 'update', updateExpression: 'SET v = ${v}' }, proxy.url);
      w2.send({ payload: { id: 'a', v: 2 } });
      await until('output', () => w2.outputs.length === 1);
      assert.equal(proxy.operations.UpdateItem, 1);
    });

    it('DynamoDB Local honours ClientRequestToken: the same transaction three times adds once', async function () {
      const c = testClient(server.url);
      try {
        const tx = () =>
          new TransactWriteItemsCommand({
            ClientRequestToken: 'issue-12-token',
            TransactItems: [{ Update: { TableName: table, Key: { id: { S: 'tok' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }],
          });
        for (let i = 0; i < 3; i++) await c.send(tx());
      } finally {
        c.destroy();
      }
      assert.deepEqual((await getItem('tok'))?.n, { N: '1' });
    });

    it('refuses a wrong expression at deploy, with its position', async function () {
      const w = await load({ operation: 'update', updateExpression: 'SET a = ${a} ADD' });
      await until('error status', () => w.statuses.some((s) => s.fill === 'red'));
      assert.match(w.errors.join('\n'), /updateExpression line 1, column 17: expected an attribute name/);
      w.send({ payload: { id: 'x' } });
      await until('caught', () => w.caught.length === 1);
    });
  });

  describe('conditions', function () {
    const ONLY_NEWER = 'attribute_not_exists(id) OR ts < ${ts}';

    it('only newer: ts 3, 1, 2, 5, 4 leave ts 5; 3 skipped as dropped.condition, none failed', async function () {
      const w = await load({ condition: ONLY_NEWER });
      for (const ts of [3, 1, 2, 5, 4]) w.send({ payload: { id: 'k', ts, v: `v${ts}` } });
      await until('5 outputs', () => w.outputs.length === 5);
      assert.deepEqual(await getItem('k'), { id: { S: 'k' }, ts: { N: '5' }, v: { S: 'v5' } });
      const m = await counters();
      assert.equal(m['dropped.condition'], 3);
      assert.equal(m.failed, 0);
      assert.equal(m.success, 2);
      assert.deepEqual(w.outputs.filter((o) => o.dynamodb!.skipped === 'condition').map((o) => (o.payload as { ts: number }).ts), [1, 2, 4]);
      assert.equal(w.caught.length, 0);
    });

    it("onConditionFailed 'error': the 3 stale messages reach Catch and count failed", async function () {
      const w = await load({ condition: ONLY_NEWER, onConditionFailed: 'error' });
      for (const ts of [3, 1, 2, 5, 4]) w.send({ payload: { id: 'k', ts } });
      await until('2 outputs, 3 caught', () => w.outputs.length === 2 && w.caught.length === 3);
      assert.deepEqual((await getItem('k'))?.ts, { N: '5' });
      assert.deepEqual(w.caught.map((c) => (c.payload as { ts: number }).ts), [1, 2, 4]);
      assert.match(w.caught[0].error!.message, /condition failed \(ConditionalCheckFailedException\): attribute_not_exists\(id\) OR ts < :c0/);
      const m = await counters();
      assert.equal(m.failed, 3);
      assert.equal(m['dropped.condition'], 0);
    });

    it('conditions work on update and delete too', async function () {
      const w = await load({ operation: 'msg', condition: 'attribute_not_exists(id) OR ts < ${ts}', queryMode: 'sync' });
      w.send({ payload: { id: 'u', ts: 2, v: 'a' }, operation: 'put' });
      w.send({ payload: { id: 'u', ts: 1, v: 'old' }, operation: 'update' });
      w.send({ payload: { id: 'u', ts: 3, v: 'b' }, operation: 'update' });
      w.send({ payload: { id: 'u', ts: 2 }, operation: 'delete' });
      await until('4 outputs', () => w.outputs.length === 4);
      assert.deepEqual(w.outputs.map((o) => o.dynamodb!.skipped ?? 'written'), ['written', 'condition', 'written', 'condition']);
      assert.deepEqual(await getItem('u'), { id: { S: 'u' }, ts: { N: '3' }, v: { S: 'b' } });
    });
  });

  describe('per-message tables', function () {
    it('routes to two tables by ${payload.site}, in shared BatchWriteItem calls; a bad name fails that message only', async function () {
      await createSeedTable(server.url, `${table}_north`);
      await createSeedTable(server.url, `${table}_south`);
      const w = await load({ table: `${table}_\${site}`, batchTime: 200 }, proxy.url);
      for (let i = 0; i < 10; i++) w.send({ payload: { id: `m${i}`, site: i % 2 ? 'north' : 'south' } });
      w.send({ payload: { id: 'bad', site: 'no/slash' }, marker: 'bad-name' });
      await until('10 outputs, 1 caught', () => w.outputs.length === 10 && w.caught.length === 1);
      assert.equal((await scanAll(server.url, `${table}_north`)).length, 5);
      assert.equal((await scanAll(server.url, `${table}_south`)).length, 5);
      assert.equal(proxy.operations.BatchWriteItem, 1, 'both tables went in one call');
      assert.equal(w.caught[0].marker, 'bad-name');
      assert.match(w.caught[0].error!.message, /not a valid DynamoDB table name/);
      assert.deepEqual(new Set(w.outputs.map((o) => o.dynamodb!.table)), new Set([`${table}_north`, `${table}_south`]));
    });

    it('a missing table fails its own messages only, not the batch it shared', async function () {
      await createSeedTable(server.url, `${table}_here`);
      const w = await load({ table: `${table}_\${site}`, batchTime: 200 });
      for (let i = 0; i < 4; i++) w.send({ payload: { id: `m${i}`, site: i === 2 ? 'gone' : 'here' } });
      await until('3 outputs, 1 caught', () => w.outputs.length === 3 && w.caught.length === 1);
      assert.match(w.caught[0].error!.message, /_gone" not found/);
      assert.equal((await scanAll(server.url, `${table}_here`)).length, 3);
    });
  });

  describe('TTL', function () {
    it("ttlAttribute gets the row's timestamp (ms) / 1000, floored, + ttlSeconds; or now when it has none", async function () {
      const w = await load({ ttlAttribute: 'expires', ttlSeconds: 3600 });
      const before = Math.floor(Date.now() / 1000);
      w.send({ payload: { id: 'with-ts', timestamp: 1767225600999 } });
      w.send({ payload: { id: 'no-ts' } });
      await until('2 outputs', () => w.outputs.length === 2);
      const after = Math.floor(Date.now() / 1000);
      assert.deepEqual((await getItem('with-ts'))?.expires, { N: String(1767225600 + 3600) });
      const now = Number((await getItem('no-ts'))?.expires?.N);
      assert.ok(now >= before + 3600 && now <= after + 3600, `${now} within [${before + 3600}, ${after + 3600}]`);
    });

    it('an update expression gets the TTL in its SET clause', async function () {
      const w = await load({ operation: 'update', updateExpression: 'ADD n 1', ttlAttribute: 'expires', ttlSeconds: 60 });
      w.send({ payload: { id: 'u', timestamp: 2000 } });
      await until('output', () => w.outputs.length === 1);
      assert.deepEqual(await getItem('u'), { id: { S: 'u' }, n: { N: '1' }, expires: { N: '62' } });
    });
  });

  describe('the editor check (POST /dynamodb-sink/check)', function () {
    const check = async (body: Record<string, unknown>) => {
      const res = await (helper.request() as unknown as { post(p: string): { send(b: unknown): Promise<{ status: number; body: any }> } })
        .post('/dynamodb-sink/check')
        .send(body);
      return res;
    };

    it('answers a wrong expression with its field, line and column, and a valid one with the calls it takes', async function () {
      await load({});
      let res = await check({ operation: 'update', updateExpression: 'SET a = ${a},\n  b = ', condition: '' });
      assert.equal(res.status, 400);
      assert.deepEqual([res.body.field, res.body.line, res.body.column], ['updateExpression', 2, 6]);
      res = await check({ condition: 'ts < ${ts} OR OR' });
      assert.deepEqual([res.body.field, res.body.column], ['condition', 15]);
      res = await check({ table: 'x${a' });
      assert.equal(res.body.field, 'table');
      res = await check({ template: '{"id": ' });
      assert.equal(res.body.field, 'template');
      res = await check({ operation: 'update', updateExpression: 'ADD n 1', condition: 'attribute_exists(id)', ttlAttribute: 'exp' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.calls, { put: 'PutItem', update: 'TransactWriteItems', delete: 'DeleteItem' });
      res = await check({ updateExpression: 'SET a = ${a}' });
      assert.deepEqual(res.body.calls, { put: 'BatchWriteItem', update: 'UpdateItem', delete: 'BatchWriteItem' });
    });
  });

  describe('against dynalite (no TransactWriteItems, no item with a failed condition)', function () {
    let lite: DynamoServer;
    before(async function () {
      lite = await startDynalite();
    });
    after(async function () {
      await lite?.stop();
    });

    it('sends counter updates as UpdateItem with a warning, and only-newer still works', async function () {
      await createSeedTable(lite.url, table);
      const w = await load({ operation: 'update', updateExpression: 'SET ts = ${ts} ADD n 1', condition: 'attribute_not_exists(ts) OR ts < ${ts}', queryMode: 'sync' }, lite.url);
      for (const ts of [3, 1, 2, 5, 4]) w.send({ payload: { id: 'k', ts } });
      await until('5 outputs', () => w.outputs.length === 5);
      assert.match(w.warnings.join('\n'), /no TransactWriteItems/);
      const m = await counters();
      assert.equal(m['dropped.condition'], 3);
      const c = testClient(lite.url);
      const item = (await c.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'k' } }, ConsistentRead: true })).finally(() => c.destroy())).Item;
      assert.deepEqual([item?.ts, item?.n], [{ N: '5' }, { N: '2' }]);
    });
  });

  describe('under faults (20% of requests, lost answers included)', function () {
    this.timeout(240000);

    function faulty(): void {
      proxy.setRules([{ action: FAULTS, probability: 0.2 }]);
    }

    it('2,000 `ADD n 1` updates over 20 keys sum to exactly 2,000', async function () {
      const w = await load({ operation: 'update', updateExpression: 'ADD n 1', requestTtl: 600000 }, proxy.url);
      faulty();
      for (let i = 0; i < 2000; i++) w.send({ payload: { id: `key${i % 20}` } });
      await until('2000 outputs', () => w.outputs.length === 2000, 200000);
      proxy.setRules([]);
      const items = await scanAll(server.url, table);
      assert.equal(items.length, 20);
      assert.equal(items.reduce((sum, item) => sum + Number(item.n.N), 0), 2000);
      for (const item of items) assert.equal(item.n.N, '100', item.id.S);
      const m = await counters();
      assert.equal(m.success, 2000);
      assert.equal(m.failed + m.dropped, 0);
      assert.ok(proxy.counts['reset-after'] > 20, `answers lost after the write: ${proxy.counts['reset-after']}`);
      assert.ok(m.retried > 100, `retried ${m.retried}`);
    });

    it('only-newer puts and updates end with the newest value; counters exact', async function () {
      // 20 keys, each gets ts 1..12 in a shuffled order (the same for puts and updates). Writes to
      // one key go out one after another, and each throttle pauses the whole sink: 12 per key
      // keep the test near half a minute.
      const rounds: { id: string; ts: number }[] = [];
      const orders: number[][] = [];
      for (let k = 0; k < 20; k++) {
        const order = Array.from({ length: 12 }, (_, i) => i + 1);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        orders.push(order);
      }
      for (let i = 0; i < 12; i++) for (let k = 0; k < 20; k++) rounds.push({ id: `key${k}`, ts: orders[k][i] });
      // A message is written when its ts beats every earlier one of its key (the writer keeps per-key order).
      const newer = orders.reduce((sum, order) => sum + order.filter((ts, i) => order.slice(0, i).every((t) => t < ts)).length, 0);

      for (const variant of ['put', 'update'] as const) {
        const w = await load(
          variant === 'put'
            ? { condition: 'attribute_not_exists(id) OR ts < ${ts}', requestTtl: 600000 }
            : { operation: 'update', updateExpression: 'SET ts = ${ts}, v = ${v} ADD applied 1', condition: 'attribute_not_exists(ts) OR ts < ${ts}', requestTtl: 600000 },
          proxy.url,
        );
        faulty();
        for (const r of rounds) w.send({ payload: { id: `${variant}-${r.id}`, ts: r.ts, v: `v${r.ts}` } });
        await until(`${rounds.length} outputs`, () => w.outputs.length === rounds.length, 200000);
        proxy.setRules([]);
        const items = (await scanAll(server.url, table)).filter((i) => i.id.S!.startsWith(variant));
        assert.equal(items.length, 20);
        for (const item of items) assert.deepEqual([item.ts.N, item.v.S], ['12', 'v12'], `${variant} ${item.id.S}`);
        const m = await counters();
        assert.deepEqual([m.success, m['dropped.condition'], m.failed], [newer, rounds.length - newer, 0], variant);
        if (variant === 'update') assert.equal(items.reduce((s, i) => s + Number(i.applied.N), 0), newer);
        assert.ok(proxy.counts['reset-after'] > 5, `${variant}: answers lost after the write: ${proxy.counts['reset-after']}`);
        // The failed condition brought the item back (ReturnValuesOnConditionCheckFailure ALL_OLD): no reads needed.
        assert.equal(proxy.operations.GetItem, undefined);
        await helper.unload();
      }
    });
  });
});
