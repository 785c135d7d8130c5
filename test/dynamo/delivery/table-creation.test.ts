// Tables made on demand (DESIGN.md 1.3 createTable), at the BatchWriter, against dynalite with a
// creation that takes time (CREATING for createTableMs), and the fault proxy where dynalite cannot
// refuse (AccessDeniedException on CreateTable): one creation per table, writes to other tables
// not held up, a table someone else is creating waited for, requestTtl kept, deletes never
// creating, and a refused creation failing its writes clearly, tried again only after a backoff.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { countersAddUp } from '../../../src/dynamo/delivery/metrics';
import type { WriteRequest } from '../../../src/dynamo/delivery/queue';
import { BatchWriter, type BatchWriterOptions } from '../../../src/dynamo/delivery/writer';
import { TEST_CREDENTIALS, TEST_REGION, createSeedTable, scanAll, testClient } from '../../support/dynamodb';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';

function write(table: string, id: string, operation: WriteRequest['operation'] = 'put'): WriteRequest {
  const key = { id: { S: id } };
  return { table, operation, key, item: operation === 'delete' ? key : { ...key, n: { N: '1' } } };
}

interface Ended {
  id: string;
  at: number;
  ok: boolean;
  error?: string;
  dropped?: string;
}

async function until(what: string, cond: () => boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BatchWriter createTable (against dynalite, tables CREATING for 600 ms)', function () {
  this.timeout(20000);
  let server: http.Server;
  let url: string;
  let proxy: FaultProxy;
  let client: DynamoDBClient;
  const writers: BatchWriter[] = [];
  let n = 0;
  let prefix: string;

  before(async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dynalite = require('dynalite') as (opts: Record<string, unknown>) => http.Server;
    server = dynalite({ createTableMs: 600, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    proxy = await startFaultProxy(url);
    client = createDynamoClient({ url: proxy.url, region: TEST_REGION, table: '', poolSize: 16, requestTimeout: 3000, healthCheckInterval: 15000 }, TEST_CREDENTIALS);
  });
  after(async function () {
    client?.destroy();
    await proxy?.stop();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  beforeEach(function () {
    prefix = `made_${++n}`;
    proxy.setRules([]);
    for (const k of Object.keys(proxy.operations)) delete proxy.operations[k];
  });
  afterEach(async function () {
    for (const w of writers.splice(0)) await w.close(0, 5000);
  });

  function writer(overrides: Partial<BatchWriterOptions> = {}): { w: BatchWriter; ended: Ended[]; logs: string[] } {
    const ended: Ended[] = [];
    const logs: string[] = [];
    const w = new BatchWriter({
      client,
      queryMode: 'async',
      batchSize: 25,
      batchTime: 5,
      inflightWindow: 8,
      requestTtl: 10000,
      maxBufferBytes: 1 << 24,
      describeEndpoint: () => `${proxy.url} (region ${TEST_REGION})`,
      log: { info: (t) => logs.push(t), warn: (t) => logs.push(t) },
      createTable: { hashKey: 'id', retryAfterMs: 300 },
      ...overrides,
    });
    writers.push(w);
    return { w, ended, logs };
  }

  function send(w: BatchWriter, ended: Ended[], req: WriteRequest): void {
    const id = `${req.table}/${req.key.id.S}`;
    w.enqueue(req, {
      written: () => ended.push({ id, at: Date.now(), ok: true }),
      failed: (err) => ended.push({ id, at: Date.now(), ok: false, error: err.message }),
      dropped: (reason) => ended.push({ id, at: Date.now(), ok: false, dropped: reason }),
    });
  }

  it('makes a missing table once for all its waiting writes; an existing table is written meanwhile', async function () {
    await createSeedTable(url, `${prefix}_old`);
    const { w, ended, logs } = writer({ batchSize: 5 });
    const start = Date.now();
    for (let i = 0; i < 40; i++) send(w, ended, write(i % 2 ? `${prefix}_new` : `${prefix}_old`, `k${i}`));
    await until('40 ended', () => ended.length === 40);
    assert.ok(ended.every((e) => e.ok), JSON.stringify(ended.filter((e) => !e.ok)));
    assert.equal(proxy.operations.CreateTable, 1, 'one CreateTable for the table');
    const m = w.metrics.snapshot();
    assert.equal(m['tables.created'], 1);
    assert.equal(m.success, 40);
    assert.ok(countersAddUp(m));
    // Mixed batches are refused as a whole and split (DESIGN.md 6): the existing table's writes
    // go alone, while the new table's wait for its creation.
    const lastOld = Math.max(...ended.filter((e) => e.id.includes('_old/')).map((e) => e.at));
    const firstNew = Math.min(...ended.filter((e) => e.id.includes('_new/')).map((e) => e.at));
    assert.ok(lastOld < firstNew, `the existing table's writes did not wait for the creation (${lastOld - start} ms, new from ${firstNew - start} ms)`);
    assert.ok(firstNew - start >= 550, `the new table's writes waited until it was ACTIVE (${firstNew - start} ms)`);
    assert.equal((await scanAll(url, `${prefix}_new`)).length, 20);
    assert.ok(logs.some((l) => l.startsWith(`created table "${prefix}_new" (createTable): key id (S), on-demand billing`)), logs.join('\n'));
    const t = (await testClient(url).send(new DescribeTableCommand({ TableName: `${prefix}_new` }))).Table!;
    assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  });

  it('takes key types from the item (N) and waits for a table someone else is creating (ResourceInUseException)', async function () {
    const { w, ended } = writer({ createTable: { hashKey: 'id', rangeKey: 'ts' } });
    // Someone else's table, CREATING for 600 ms when the writes arrive.
    await testClient(url).send(
      new CreateTableCommand({
        TableName: `${prefix}_theirs`,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    send(w, ended, { ...write(`${prefix}_ours`, 'a'), key: { id: { S: 'a' }, ts: { N: '5' } }, item: { id: { S: 'a' }, ts: { N: '5' } } });
    const theirs = writer({ createTable: { hashKey: 'id' } });
    for (let i = 0; i < 5; i++) send(theirs.w, theirs.ended, write(`${prefix}_theirs`, `t${i}`));
    await until('6 ended', () => ended.length === 1 && theirs.ended.length === 5);
    assert.ok([...ended, ...theirs.ended].every((e) => e.ok), JSON.stringify([...ended, ...theirs.ended]));
    assert.equal(theirs.w.metrics.snapshot()['tables.created'], 0, 'not counted: someone else made it');
    const ours = (await testClient(url).send(new DescribeTableCommand({ TableName: `${prefix}_ours` }))).Table!;
    assert.deepEqual(ours.AttributeDefinitions?.find((d) => d.AttributeName === 'ts'), { AttributeName: 'ts', AttributeType: 'N' });
  });

  it('a delete never creates; held writes expire at requestTtl while the creation goes on', async function () {
    const { w, ended } = writer({ requestTtl: 300 });
    send(w, ended, write(`${prefix}_gone`, 'd', 'delete'));
    send(w, ended, write(`${prefix}_slow`, 'p'));
    await until('2 ended', () => ended.length === 2);
    const del = ended.find((e) => e.id.endsWith('/d'))!;
    assert.match(del.error!, /not found/);
    const put = ended.find((e) => e.id.endsWith('/p'))!;
    assert.equal(put.dropped, 'expired');
    assert.equal(proxy.operations.CreateTable, 1, 'only the put asked for a table');
    const m = w.metrics.snapshot();
    assert.deepEqual([m.failed, m['dropped.expired'], m.queuing, m.inflight], [1, 1, 0, 0]);
    await until('the table made anyway', () => w.metrics.snapshot()['tables.created'] === 1, 3000);
  });

  it('AccessDeniedException: every waiting write fails naming the table and dynamodb:CreateTable; tried again after the backoff', async function () {
    proxy.setRules([{ action: 'access-denied', operations: ['CreateTable'] }]);
    const { w, ended } = writer();
    for (let i = 0; i < 10; i++) send(w, ended, write(`${prefix}_denied`, `k${i}`));
    await until('10 ended', () => ended.length === 10);
    for (const e of ended) {
      assert.equal(e.ok, false);
      assert.match(e.error!, new RegExp(`^table "${prefix}_denied" not found at .* and could not be created: .*dynamodb:CreateTable permission \\(AccessDeniedException\\)`));
    }
    // Within the backoff: fails at once, no second CreateTable.
    send(w, ended, write(`${prefix}_denied`, 'soon'));
    await until('11 ended', () => ended.length === 11);
    assert.equal(proxy.operations.CreateTable, 1, 'no storm of CreateTable calls');
    assert.deepEqual([w.metrics.snapshot().failed, w.metrics.snapshot().success], [11, 0]);
    // Permission granted, backoff over: the next write makes the table.
    proxy.setRules([]);
    await new Promise((r) => setTimeout(r, 350));
    send(w, ended, write(`${prefix}_denied`, 'later'));
    await until('12 ended', () => ended.length === 12);
    assert.equal(ended[11].ok, true, JSON.stringify(ended[11]));
    assert.equal(proxy.operations.CreateTable, 2);
    assert.ok(countersAddUp(w.metrics.snapshot()));
  });
});
