// BatchWriter against Amazon DynamoDB Local, with the fault proxy in between where DynamoDB
// Local cannot make the fault happen itself (throttling, 5xx, UnprocessedItems, resets).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { DiskStore } from '../../../src/dynamo/delivery/disk-buffer';
import { countersAddUp } from '../../../src/dynamo/delivery/metrics';
import type { WriteRequest } from '../../../src/dynamo/delivery/queue';
import { BatchWriter, type BatchWriterOptions } from '../../../src/dynamo/delivery/writer';
import { TEST_CREDENTIALS, TEST_REGION, createSeedTable, scanAll, startDynamoDbLocal, testClient, type DynamoServer } from '../../support/dynamodb';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';

const TABLE = 'writer_items';

function put(id: string, extra: Record<string, string> = {}, table = TABLE): WriteRequest {
  const item: WriteRequest['item'] = { id: { S: id } };
  for (const [k, v] of Object.entries(extra)) item[k] = { S: v };
  return { table, operation: 'put', key: { id: { S: id } }, item };
}

interface Outcome {
  id: string;
  ok: boolean;
  attempts: number;
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

describe('BatchWriter (against DynamoDB Local through the fault proxy)', function () {
  let server: DynamoServer;
  let proxy: FaultProxy;
  let client: DynamoDBClient;
  const writers: BatchWriter[] = [];
  let tableNo = 0;
  let table: string;

  before(async function () {
    this.timeout(90000);
    server = await startDynamoDbLocal();
    proxy = await startFaultProxy(server.url);
    client = createDynamoClient(
      { url: proxy.url, region: TEST_REGION, table: '', poolSize: 32, requestTimeout: 1500, healthCheckInterval: 15000 },
      TEST_CREDENTIALS,
    );
  });
  after(async function () {
    client?.destroy();
    await proxy?.stop();
    await server?.stop();
  });
  beforeEach(async function () {
    table = `${TABLE}_${++tableNo}`;
    await createSeedTable(server.url, table);
    proxy.setRules([]);
    proxy.maxActive = 0;
    for (const k of Object.keys(proxy.operations)) delete proxy.operations[k];
  });
  afterEach(async function () {
    for (const w of writers.splice(0)) await w.close(0, 5000);
  });

  function writer(overrides: Partial<BatchWriterOptions> = {}): BatchWriter {
    const w = new BatchWriter({
      client,
      queryMode: 'async',
      batchSize: 25,
      batchTime: 10,
      inflightWindow: 8,
      requestTtl: 20000,
      maxBufferBytes: 64 * 1024 * 1024,
      backoff: { baseMs: 20, capMs: 200 },
      describeEndpoint: () => `${server.url} (region ${TEST_REGION})`,
      ...overrides,
    });
    writers.push(w);
    return w;
  }

  function send(w: BatchWriter, reqs: WriteRequest[], outcomes: Outcome[]): void {
    for (const r of reqs) {
      const id = (r.key.id.S ?? r.key.id.N) as string;
      w.enqueue(r, {
        written: (attempts) => outcomes.push({ id, ok: true, attempts }),
        failed: (err, attempts) => outcomes.push({ id, ok: false, attempts, error: err.message }),
        dropped: (reason, err, attempts) => outcomes.push({ id, ok: false, attempts, error: err.message, dropped: reason }),
      });
    }
  }

  it('writes puts in BatchWriteItem calls of at most 25 and acknowledges each', async function () {
    const w = writer({ batchSize: 100 });
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 120 }, (_, i) => put(`m${i}`, { v: String(i) }, table)), outcomes);
    await until('120 outcomes', () => outcomes.length === 120);
    assert.ok(outcomes.every((o) => o.ok && o.attempts === 1));
    assert.equal(proxy.operations.BatchWriteItem, 5, '120 writes = 5 calls of <= 25');
    assert.equal((await scanAll(server.url, table)).length, 120);
    const m = w.metrics.snapshot();
    assert.deepEqual([m.matched, m.success, m.failed, m.queuing, m.inflight], [120, 120, 0, 0, 0]);
  });

  it('flushes a partial batch after batchTime, not before', async function () {
    const w = writer({ batchSize: 25, batchTime: 300 });
    const outcomes: Outcome[] = [];
    send(w, [put('a', {}, table), put('b', {}, table)], outcomes);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(proxy.operations.BatchWriteItem ?? 0, 0, 'nothing sent before batchTime');
    await until('both written', () => outcomes.length === 2);
    assert.equal(proxy.operations.BatchWriteItem, 1, 'both in one call');
  });

  it('never puts two writes to the same key in one call; the later write wins', async function () {
    const w = writer();
    const outcomes: Outcome[] = [];
    const reqs: WriteRequest[] = [];
    for (let round = 0; round < 10; round++) for (const id of ['k1', 'k2', 'k3']) reqs.push(put(id, { round: String(round) }, table));
    send(w, reqs, outcomes);
    await until('30 outcomes', () => outcomes.length === 30);
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.filter((o) => !o.ok)));
    const items = await scanAll(server.url, table);
    assert.deepEqual(items.map((i) => i.round.S), ['9', '9', '9']);
  });

  it('does not retry a tokened update past its ClientRequestToken window: dropped.expired, never applied twice', async function () {
    proxy.setRules([{ action: 'reset-after', operations: ['TransactWriteItems'] }]);
    const w = writer({ clientTokenWindowMs: 1500, requestTtl: 20000 });
    const outcomes: Outcome[] = [];
    const add: WriteRequest = {
      table,
      operation: 'update',
      key: { id: { S: 'c' } },
      item: { id: { S: 'c' } },
      expression: { update: 'ADD #u0 :u0', names: { '#u0': 'n' }, values: { ':u0': { N: '1' } }, token: 'writer-test-token-window' },
    };
    send(w, [add], outcomes);
    await until('outcome', () => outcomes.length === 1);
    assert.equal(outcomes[0].dropped, 'expired');
    assert.match(outcomes[0].error!, /ClientRequestToken/);
    assert.ok(outcomes[0].attempts >= 2, `attempts ${outcomes[0].attempts}`);
    // Every attempt reached DynamoDB (reset after the write), yet the token applied it once.
    const item = (await testClient(server.url).send(new GetItemCommand({ TableName: table, Key: { id: { S: 'c' } }, ConsistentRead: true }))).Item;
    assert.deepEqual(item?.n, { N: '1' });
    assert.equal(w.metrics.dropsFor('expired'), 1);
  });

  it('keeps at most inflightWindow calls in flight (async)', async function () {
    proxy.setRules([{ action: 'delay', delayMs: 150 }]);
    const w = writer({ batchSize: 5, inflightWindow: 3 });
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 60 }, (_, i) => put(`w${i}`, {}, table)), outcomes);
    await until('60 outcomes', () => outcomes.length === 60);
    assert.equal(proxy.maxActive, 3);
  });

  it('sync mode: one call at a time, writes acknowledged strictly in order', async function () {
    proxy.setRules([{ action: 'throttling', probability: 0.3 }, { action: 'partial', probability: 0.3 }]);
    const w = writer({ queryMode: 'sync', batchSize: 4, inflightWindow: 8 });
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 40 }, (_, i) => put(`s${String(i).padStart(2, '0')}`, {}, table)), outcomes);
    await until('40 outcomes', () => outcomes.length === 40, 30000);
    assert.equal(proxy.maxActive, 1);
    // Within one BatchWriteItem the order is DynamoDB's; across calls it is strict.
    const ids = outcomes.map((o) => o.id);
    const batches = ids.map((id) => Math.floor(Number(id.slice(1)) / 4));
    assert.deepEqual(batches, [...batches].sort((a, b) => a - b), `order: ${ids.join(' ')}`);
  });

  it('re-sends only the UnprocessedItems of a BatchWriteItem', async function () {
    proxy.setRules([{ action: 'partial', times: 1 }]);
    const w = writer();
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 20 }, (_, i) => put(`u${i}`, {}, table)), outcomes);
    await until('20 outcomes', () => outcomes.length === 20);
    assert.equal(proxy.counts.partial > 0, true);
    assert.equal(outcomes.filter((o) => o.attempts === 2).length, 10, 'half of the batch was sent again');
    assert.equal(outcomes.filter((o) => o.attempts === 1).length, 10);
    assert.equal(w.metrics.retried, 10);
    assert.equal((await scanAll(server.url, table)).length, 20);
  });

  for (const action of ['throughput', 'throttling', 'request-limit', 'server-error', 'reset', 'delay'] as const) {
    it(`retries after ${action} and writes everything`, async function () {
      proxy.setRules([{ action, times: 3, delayMs: 2500 }]);
      const w = writer({ batchSize: 5 });
      const outcomes: Outcome[] = [];
      send(w, Array.from({ length: 15 }, (_, i) => put(`r${i}`, {}, table)), outcomes);
      await until('15 outcomes', () => outcomes.length === 15);
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.filter((o) => !o.ok)));
      assert.ok(w.metrics.retried >= 5, `retried ${w.metrics.retried}`);
      assert.equal((await scanAll(server.url, table)).length, 15);
      assert.ok(countersAddUp(w.metrics.snapshot()));
    });
  }

  it('splits a batch rejected as a whole: the good writes land, only the bad one fails', async function () {
    const w = writer();
    const outcomes: Outcome[] = [];
    const reqs = Array.from({ length: 10 }, (_, i) => put(`v${i}`, {}, table));
    // The table's key is a string; a number key makes DynamoDB reject the whole batch.
    reqs[4] = { table, operation: 'put', key: { id: { N: '4' } }, item: { id: { N: '4' } } };
    send(w, reqs, outcomes);
    await until('10 outcomes', () => outcomes.length === 10);
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(failed.map((o) => o.id), ['4']);
    assert.match(failed[0].error!, /ValidationException/);
    assert.match(failed[0].error!, new RegExp(`table "${table}"`));
    assert.equal((await scanAll(server.url, table)).length, 9);
    const m = w.metrics.snapshot();
    assert.deepEqual([m.success, m.failed], [9, 1]);
  });

  it('retried counts the good writes of a split batch, sent again, not the bad one (DESIGN.md 6)', async function () {
    const w = writer();
    const outcomes: Outcome[] = [];
    const reqs = Array.from({ length: 10 }, (_, i) => put(`q${i}`, {}, table));
    reqs[4] = { table, operation: 'put', key: { id: { N: '4' } }, item: { id: { N: '4' } } };
    send(w, reqs, outcomes);
    await until('10 outcomes', () => outcomes.length === 10);
    const m = w.metrics.snapshot();
    assert.deepEqual([m.success, m.failed, m.retried], [9, 1, 9]);
    assert.ok(countersAddUp(m), JSON.stringify(m));
  });

  it('a table per message, one missing: its writes fail unretried; retried counts only the good writes split off', async function () {
    const other = `${table}_b`;
    await createSeedTable(server.url, other);
    const w = writer();
    const outcomes: Outcome[] = [];
    const tables = [table, other, `${table}_missing`];
    send(w, Array.from({ length: 60 }, (_, i) => put(`p${i}`, {}, tables[i % 3])), outcomes);
    await until('60 outcomes', () => outcomes.length === 60);
    const failed = outcomes.filter((o) => !o.ok);
    assert.equal(failed.length, 20);
    assert.ok(failed.every((o) => /not found/.test(o.error!)), failed[0]?.error);
    const m = w.metrics.snapshot();
    // Each good write was sent twice at most (in the refused batch, then alone): retried counts
    // it once; the missing table's writes, refused again alone, are not retried.
    assert.deepEqual([m.matched, m.success, m.failed, m.retried], [60, 40, 20, 40]);
    assert.ok(outcomes.filter((o) => o.ok).every((o) => o.attempts === 2));
    assert.ok(countersAddUp(m), JSON.stringify(m));
  });

  it('does not retry a missing table: every write fails at once, naming table and endpoint', async function () {
    const w = writer();
    const outcomes: Outcome[] = [];
    const started = Date.now();
    send(w, Array.from({ length: 5 }, (_, i) => put(`n${i}`, {}, 'no_such_table')), outcomes);
    await until('5 outcomes', () => outcomes.length === 5);
    assert.ok(Date.now() - started < 2000);
    assert.ok(outcomes.every((o) => !o.ok && o.attempts === 1));
    assert.match(outcomes[0].error!, /table "no_such_table" not found at http:\/\/127\.0\.0\.1:\d+ \(region us-west-2\)/);
    assert.equal(w.metrics.retried, 0);
    assert.equal(w.metrics.failed, 5);
    // The status's cause, known whatever the language of lastError (issue 22).
    assert.equal(w.lastCause, 'notFound');
  });

  for (const [action, pattern] of [
    ['unrecognized-client', /refused the credentials/],
    ['access-denied', /refused the credentials/],
    ['condition-failed', /condition on the item failed/],
  ] as const) {
    it(`does not retry ${action}: only the writes concerned fail`, async function () {
      proxy.setRules([{ action, when: (r) => r.body.includes('"bad"') }]);
      const w = writer({ batchSize: 1 });
      const outcomes: Outcome[] = [];
      send(w, [put('good1', {}, table), put('x', { mark: 'bad' }, table), put('good2', {}, table)], outcomes);
      await until('3 outcomes', () => outcomes.length === 3);
      assert.deepEqual(outcomes.filter((o) => !o.ok).map((o) => o.id), ['x']);
      assert.match(outcomes.find((o) => !o.ok)!.error!, pattern);
      assert.equal(w.metrics.retried, 0);
    });
  }

  it('update sets the given attributes (creating the item), delete removes it', async function () {
    const w = writer({ queryMode: 'sync' });
    const outcomes: Outcome[] = [];
    const key = { id: { S: 'dev1' } };
    send(
      w,
      [
        { table, operation: 'update', key, item: { id: { S: 'dev1' }, status: { S: 'online' } } },
        { table, operation: 'update', key, item: { id: { S: 'dev1' }, since: { N: '42' } } },
        { table, operation: 'put', key: { id: { S: 'dev2' } }, item: { id: { S: 'dev2' } } },
        { table, operation: 'delete', key: { id: { S: 'dev2' } }, item: { id: { S: 'dev2' } } },
      ],
      outcomes,
    );
    await until('4 outcomes', () => outcomes.length === 4);
    assert.ok(outcomes.every((o) => o.ok));
    const got = await testClient(server.url).send(new GetItemCommand({ TableName: table, Key: key }));
    assert.deepEqual(got.Item, { id: { S: 'dev1' }, status: { S: 'online' }, since: { N: '42' } });
    const items = await scanAll(server.url, table);
    assert.deepEqual(items.map((i) => i.id.S), ['dev1']);
  });

  it('drops writes past requestTtl as dropped.expired, with a clear error', async function () {
    proxy.setRules([{ action: 'throttling' }]);
    const warnings: string[] = [];
    const w = writer({ requestTtl: 400, log: { info() {}, warn: (t) => warnings.push(t) } });
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 3 }, (_, i) => put(`e${i}`, {}, table)), outcomes);
    await until('3 outcomes', () => outcomes.length === 3);
    assert.ok(outcomes.every((o) => !o.ok && /dropped \(expired\).*requestTtl 400 ms.*throttled/.test(o.error!)), outcomes[0].error);
    const m = w.metrics.snapshot();
    assert.deepEqual([m.dropped, m['dropped.expired'], m.failed, m.queuing, m.inflight], [3, 3, 0, 0, 0]);
    assert.ok(outcomes.every((o) => o.dropped === 'expired'));
  });

  it('waits while paused (DynamoDB down) but for one probe a second, then sends oldest first', async function () {
    const w = writer({ queryMode: 'sync', batchSize: 2 });
    w.setAvailable(false, 'cannot reach DynamoDB: connection refused');
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 6 }, (_, i) => put(`p${i}`, {}, table)), outcomes);
    await new Promise((r) => setTimeout(r, 300));
    // One probe call at most per second tests whether DynamoDB is still down; the rest waits.
    assert.ok((proxy.operations.BatchWriteItem ?? 0) <= 1);
    assert.ok(w.metrics.queuing >= 4);
    assert.equal(w.paused()?.reason, 'cannot reach DynamoDB: connection refused');
    w.setAvailable(true);
    await until('6 outcomes', () => outcomes.length === 6);
    assert.deepEqual(outcomes.map((o) => o.id).map((id) => Math.floor(Number(id.slice(1)) / 2)), [0, 0, 1, 1, 2, 2]);
  });

  it('over maxBufferBytes drops the oldest as dropped.queue_full and logs the burst once', async function () {
    const warnings: string[] = [];
    const w = writer({ maxBufferBytes: 20000, log: { info() {}, warn: (t) => warnings.push(t) } });
    w.setAvailable(false, 'down');
    const outcomes: Outcome[] = [];
    send(w, Array.from({ length: 200 }, (_, i) => put(`q${String(i).padStart(3, '0')}`, { pad: 'x'.repeat(100) }, table)), outcomes);
    assert.ok(w.queuedBytes() <= 20000);
    const m = w.metrics.snapshot();
    assert.ok(m['dropped.queue_full'] > 100, `dropped ${m['dropped.queue_full']}`);
    assert.ok(countersAddUp(m));
    // The dropped ones are the oldest: the first outcomes, in order.
    assert.ok(outcomes.every((o) => o.dropped === 'queue_full'));
    assert.deepEqual(outcomes.map((o) => o.id), Array.from({ length: outcomes.length }, (_, i) => `q${String(i).padStart(3, '0')}`));
    await until('the burst is logged', () => warnings.length > 0, 3000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`dropped the ${m['dropped.queue_full']} oldest`));
    w.setAvailable(true);
    await until('the rest written', () => outcomes.length === 200);
    assert.equal((await scanAll(server.url, table)).length, 200 - m['dropped.queue_full']);
  });

  it('disk store: writes queued at close are written by the next writer on the same directory, once', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-disk-'));
    try {
      const first = writer({ store: new DiskStore(dir), batchSize: 10 });
      const outcomes: Outcome[] = [];
      send(first, Array.from({ length: 30 }, (_, i) => put(`d${i}`, {}, table)), outcomes);
      await until('30 written', () => outcomes.length === 30);
      first.setAvailable(false, 'down');
      send(first, Array.from({ length: 40 }, (_, i) => put(`D${i}`, {}, table)), outcomes);
      const left = await first.close(100);
      assert.equal(left.length, 40);
      const second = writer({ store: new DiskStore(dir), batchSize: 10 });
      assert.equal(second.restore(), 40, 'only the unwritten ones come back');
      await until('restored written', () => second.metrics.success === 40);
      assert.equal((await scanAll(server.url, table)).length, 70);
      await second.close(1000);
      const third = writer({ store: new DiskStore(dir) });
      assert.equal(third.restore(), 0, 'nothing is replayed twice');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a key typed as a number is one key whatever its spelling (no duplicate in a call)', async function () {
    const numTable = `${table}_n`;
    await testClient(server.url).send(
      new CreateTableCommand({
        TableName: numTable,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const w = writer();
    const outcomes: Outcome[] = [];
    send(
      w,
      [
        { table: numTable, operation: 'put', key: { id: { N: '1' } }, item: { id: { N: '1' }, v: { S: 'a' } } },
        { table: numTable, operation: 'put', key: { id: { N: '1.0' } }, item: { id: { N: '1.0' }, v: { S: 'b' } } },
      ],
      outcomes,
    );
    await until('2 outcomes', () => outcomes.length === 2);
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes));
    const items = await scanAll(server.url, numTable);
    assert.deepEqual(items.map((i) => i.v.S), ['b']);
  });
});
