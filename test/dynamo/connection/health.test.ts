// Health checks and the connectivity test, against real DynamoDB Local and dynalite.
import { strict as assert } from 'node:assert';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConnectorSettings, HealthState } from '../../../src/dynamo/connection/connection';
import { CONNECTOR_DEFAULTS, openDynamoConnection } from '../../../src/dynamo/connection/connector';
import { testConnectivity } from '../../../src/dynamo/connection/health';
import { BACKENDS, createSeedTable, forEachBackend, freePort, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../../support/dynamodb';

const settingsFor = (url: string, extra: Partial<ConnectorSettings> = {}): ConnectorSettings => ({
  ...CONNECTOR_DEFAULTS,
  url,
  region: TEST_REGION,
  ...extra,
});

/** Resolves with the first state that satisfies `test` (the current one included). */
function waitForHealth(
  connection: { health(): HealthState; onHealthChange(l: (s: HealthState) => void): () => void },
  test: (s: HealthState) => boolean,
  timeoutMs = 10000,
): Promise<HealthState> {
  return new Promise((resolve, reject) => {
    if (test(connection.health())) return resolve(connection.health());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`health still ${JSON.stringify(connection.health())} after ${timeoutMs} ms`));
    }, timeoutMs);
    const off = connection.onHealthChange((state) => {
      if (test(state)) {
        clearTimeout(timer);
        off();
        resolve(state);
      }
    });
  });
}

/** Counts requests the client sends (the SDK caches middleware handlers, so wrap send). */
function countRequests(client: DynamoDBClient, onRequest: () => void): void {
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { send: typeof send }).send = (...args) => {
    onRequest();
    return send(...args);
  };
}

describe('health monitor', () => {
  for (const backend of BACKENDS) {
    if (process.env.DYNAMO_BACKENDS && !process.env.DYNAMO_BACKENDS.split(',').includes(backend.name)) continue;

    it(`against ${backend.name}: up, down with the reason while the server is stopped, up again`, async function () {
      this.timeout(120000);
      let server: DynamoServer | undefined = await backend.start();
      const port = server.port;
      const connection = openDynamoConnection(settingsFor(server.url, { healthCheckInterval: 200, requestTimeout: 5000 }), TEST_CREDENTIALS);
      const seen: string[] = [];
      connection.onHealthChange((s) => {
        if (seen[seen.length - 1] !== s.status) seen.push(s.status);
      });
      try {
        // requestTimeout is generous: a stopped server refuses at once, while the first check of
        // a freshly started DynamoDB Local on a loaded machine can take over a second.
        assert.equal(connection.health().status, 'connecting');
        await waitForHealth(connection, (s) => s.status === 'up');

        await server.stop();
        server = undefined;
        const down = await waitForHealth(connection, (s) => s.status === 'down');
        // A kept-alive connection may first be reset; every later check is refused.
        assert.match((down as { reason: string }).reason, /: connection (reset|refused); /);
        const refused = await waitForHealth(connection, (s) => s.status === 'down' && s.reason.includes('refused'));
        assert.equal(
          (refused as { reason: string }).reason,
          `cannot reach DynamoDB at http://127.0.0.1:${port} (region us-west-2): connection refused; check the connector's url and that DynamoDB is running`,
        );

        server = await backend.start({ port });
        await waitForHealth(connection, (s) => s.status === 'up', 15000);
        assert.deepEqual(seen, ['up', 'down', 'up']);
      } finally {
        await connection.close();
        await server?.stop();
      }
    });
  }

  forEachBackend((ctx) => {
    it('coalesces checkNow() calls made while a check is running', async () => {
      const connection = openDynamoConnection(settingsFor(ctx.url, { healthCheckInterval: 60000 }), TEST_CREDENTIALS);
      try {
        await waitForHealth(connection, (s) => s.status === 'up');
        await new Promise((r) => setTimeout(r, 200)); // let the first check finish
        let requests = 0;
        countRequests(connection.client, () => requests++);
        for (let i = 0; i < 20; i++) connection.checkNow();
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(requests, 2, 'one check now and one follow-up, not twenty');
      } finally {
        await connection.close();
      }
    });

    it('checks every healthCheckInterval ms', async () => {
      const connection = openDynamoConnection(settingsFor(ctx.url, { healthCheckInterval: 150 }), TEST_CREDENTIALS);
      let requests = 0;
      countRequests(connection.client, () => requests++);
      try {
        await new Promise((r) => setTimeout(r, 1000));
        assert.ok(requests >= 4 && requests <= 8, `${requests} checks in 1 s at 150 ms`);
      } finally {
        await connection.close();
      }
      const after = requests;
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(requests, after, 'no checks after close');
    });
  });

  it('close waits for registered users to deregister before destroying the client', async () => {
    const connection = openDynamoConnection(settingsFor('http://127.0.0.1:1'), TEST_CREDENTIALS, { healthCheck: false });
    connection.register('sink-1');
    let closed = false;
    const closing = connection.close(5000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, false);
    connection.deregister('sink-1');
    await closing;
    assert.equal(closed, true);
  });

  it('close gives up waiting for users after the given time', async () => {
    const connection = openDynamoConnection(settingsFor('http://127.0.0.1:1'), TEST_CREDENTIALS, { healthCheck: false });
    connection.register('stuck');
    const started = Date.now();
    await connection.close(200);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('testConnectivity', () => {
  forEachBackend((ctx) => {
    before(() => createSeedTable(ctx.url));

    it('lists tables and describes the named table', async () => {
      const result = await testConnectivity(settingsFor(ctx.url), TEST_CREDENTIALS, 'mqtt_msg');
      assert.deepEqual(result, {
        ok: true,
        tables: ['mqtt_msg'],
        table: { name: 'mqtt_msg', status: 'ACTIVE', keySchema: [{ attributeName: 'id', keyType: 'HASH', attributeType: 'S' }] },
      });
    });

    it('reports a missing table by name and endpoint, with the tables that exist', async () => {
      const result = await testConnectivity(settingsFor(ctx.url), TEST_CREDENTIALS, 'missing_table');
      assert.equal(result.ok, false);
      assert.deepEqual(result.tables, ['mqtt_msg']);
      assert.match(result.error ?? '', new RegExp(`^table "missing_table" not found at ${ctx.url} \\(region us-west-2\\)`));
    });

    it('succeeds without a table', async () => {
      const result = await testConnectivity(settingsFor(ctx.url), TEST_CREDENTIALS);
      assert.deepEqual(result, { ok: true, tables: ['mqtt_msg'] });
    });

    if (ctx.backend.name === 'dynamodb-local') {
      it('reports refused credentials without echoing the secret', async () => {
        const secret = 'super-secret-value';
        const result = await testConnectivity(settingsFor(ctx.url), { accessKeyId: 'not-valid!', secretAccessKey: secret }, 'mqtt_msg');
        assert.equal(result.ok, false);
        assert.match(result.error ?? '', /refused the credentials \(UnrecognizedClientException/);
        assert.ok(!JSON.stringify(result).includes(secret));
      });
    }
  });

  it('reports an unreachable endpoint', async () => {
    const port = await freePort();
    const result = await testConnectivity(settingsFor(`http://127.0.0.1:${port}`), TEST_CREDENTIALS, 'mqtt_msg');
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', new RegExp(`^cannot reach DynamoDB at http://127.0.0.1:${port} \\(region us-west-2\\): connection refused`));
  });

  it('reports half a credential pair as a configuration error', async () => {
    const result = await testConnectivity(settingsFor('http://127.0.0.1:1'), { accessKeyId: 'root' });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /secret access key is empty/);
  });
});
