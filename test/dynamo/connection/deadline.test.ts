// DESIGN.md 6, "a deadline over the whole call, body included": the connector's client against
// dynalite behind the fault proxy, whose answers hang, stall after their headers, or drop the
// connection mid-body. Each call ends within requestTimeout as a retryable timeout (or network
// error) and its socket is freed; the health check does the same and does not freeze the state.
import { strict as assert } from 'node:assert';
import { ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../../src/dynamo/connection/client';
import { CONNECTOR_DEFAULTS } from '../../../src/dynamo/connection/connector';
import type { ConnectorSettings } from '../../../src/dynamo/connection/connection';
import { classifyError } from '../../../src/dynamo/connection/errors';
import { HealthMonitor } from '../../../src/dynamo/connection/health';
import { createSeedTable, startDynalite, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../../support/dynamodb';
import { startFaultProxy, type FaultAction, type FaultProxy } from '../../support/fault-proxy';

const REQUEST_TIMEOUT = 600;

async function until(what: string, cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('whole-call deadline (dynalite + fault proxy)', function () {
  this.timeout(30000);
  let server: DynamoServer;
  let proxy: FaultProxy;
  const settings = (): ConnectorSettings => ({
    ...CONNECTOR_DEFAULTS,
    url: proxy.url,
    region: TEST_REGION,
    requestTimeout: REQUEST_TIMEOUT,
    healthCheckInterval: 200,
    poolSize: 2,
  });

  before(async function () {
    server = await startDynalite();
    await createSeedTable(server.url, 'deadline');
    proxy = await startFaultProxy(server.url);
  });
  after(async function () {
    await proxy?.stop();
    await server?.stop();
  });
  afterEach(() => proxy.setRules([]));

  const faults: [FaultAction, RegExp, string][] = [
    ['hang', /stalled before the response headers/, 'timeout'],
    ['stall-body', /stalled while reading the response body/, 'timeout'],
    ['drop-mid-response', /./, 'network'],
  ];
  for (const [action, words, kind] of faults) {
    it(`${action}: the call ends within requestTimeout as a retryable ${kind} and frees its socket; the pool still works`, async function () {
      const client = createDynamoClient(settings(), TEST_CREDENTIALS);
      try {
        // One more stalled call than the pool has sockets: without the deadline the pool wedges.
        proxy.setRules([{ action, operations: ['PutItem'] }]);
        const started = Date.now();
        const results = await Promise.all(
          [0, 1, 2].map((i) =>
            client.send(new PutItemCommand({ TableName: 'deadline', Item: { id: { S: `${action}-${i}` } } })).then(
              () => assert.fail('expected an error'),
              (e: unknown) => e,
            ),
          ),
        );
        const elapsed = Date.now() - started;
        for (const err of results) {
          const c = classifyError(err, { requestTimeout: REQUEST_TIMEOUT });
          assert.equal(c.kind, kind, `${c.code}: ${c.message}`);
          assert.equal(c.retryable, true);
          if (kind === 'timeout') assert.match((err as Error).message, /within 600 ms \(requestTimeout; stalled/);
        }
        // The third call waited for a socket: its deadline may pass before it had headers.
        assert.ok(results.some((e) => words.test((e as Error).message)), String(results[0]));
        // Three calls on two sockets: at most two deadlines in a row, with a generous margin.
        assert.ok(elapsed < REQUEST_TIMEOUT * 2 + 2500, `took ${elapsed} ms`);
        await until('the stalled sockets closed', () => proxy.connections() === 0 || action === 'drop-mid-response', 5000);
        proxy.setRules([]);
        const listed = await client.send(new ListTablesCommand({ Limit: 1 }));
        assert.ok(Array.isArray(listed.TableNames));
      } finally {
        client.destroy();
      }
    });
  }

  it('a stalled health check (ListTables) reports down, and up again once DynamoDB answers', async function () {
    const client = createDynamoClient(settings(), TEST_CREDENTIALS);
    const monitor = new HealthMonitor({ client, settings: settings() });
    const seen: string[] = [];
    monitor.onChange((s) => seen.push(s.status === 'down' ? `down: ${s.reason}` : s.status));
    try {
      monitor.start();
      await until('up', () => monitor.state().status === 'up');
      proxy.setRules([{ action: 'stall-body', operations: ['ListTables'] }]);
      await until('down', () => monitor.state().status === 'down', 5000);
      assert.match(seen.at(-1)!, /down: no answer from DynamoDB.*requestTimeout \(600 ms\)/);
      proxy.setRules([]);
      await until('up again', () => monitor.state().status === 'up', 5000);
    } finally {
      monitor.stop();
      client.destroy();
    }
  });
});
