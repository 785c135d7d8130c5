// Specification of the dynamodb-connector config node (DESIGN.md 1.1 and 5) with
// node-red-node-test-helper, against real DynamoDB Local: every property has a test that fails
// when the property is ignored, the editor's connectivity test endpoint and its create-table endpoint.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import connectorNode from '../../src/nodes/dynamodb-connector';
import type { DynamoConnection, HealthState } from '../../src/dynamo/connection/connection';
import { createSeedTable, startDynalite, startDynamoDbLocal, TEST_CREDENTIALS, type DynamoServer } from '../support/dynamodb';
import { startSignatureCheckingProxy, type SignatureCheckingProxy } from '../support/signature-check';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

type Connector = DynamoConnection & { id: string; credentials: Record<string, string> };
const SECRET = 'public';
const SESSION = 'session-token-secret-value';

function load(flow: unknown[], credentials: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve) => helper.load([connectorNode], flow, credentials, resolve));
}

function connectorDef(extra: Record<string, unknown> = {}) {
  return { id: 'c1', type: 'dynamodb-connector', name: 'db', region: 'us-west-2', ...extra };
}

function getConnector(): Connector {
  return helper.getNode('c1') as Connector;
}

function waitForHealth(connection: DynamoConnection, status: HealthState['status'], timeoutMs = 10000): Promise<HealthState> {
  return new Promise((resolve, reject) => {
    if (connection.health().status === status) return resolve(connection.health());
    const timer = setTimeout(() => reject(new Error(`health still ${JSON.stringify(connection.health())}`)), timeoutMs);
    const off = connection.onHealthChange((s) => {
      if (s.status === status) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

/** Everything the runtime logged during the test, as text. */
function loggedText(): string {
  return helper
    .log()
    .getCalls()
    .map((call: { args: unknown[] }) => JSON.stringify(call.args))
    .join('\n');
}

/** An HTTP server that accepts connections and never answers, counting connections. */
async function startSilentServer(): Promise<{ url: string; most: () => number; stop: () => Promise<void> }> {
  let open = 0;
  let most = 0;
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => held.push(res));
  server.on('connection', (socket: Socket) => {
    most = Math.max(most, ++open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    most: () => most,
    stop: () =>
      new Promise<void>((resolve) => {
        held.forEach((res) => res.destroy());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('dynamodb-connector node', function () {
  this.timeout(60000);
  let dynamo: DynamoServer;
  let signed: SignatureCheckingProxy;

  before(async function () {
    this.timeout(90000);
    dynamo = await startDynamoDbLocal();
    await createSeedTable(dynamo.url);
    // Real DynamoDB checks the secret; DynamoDB Local does not, so check signatures in front.
    signed = await startSignatureCheckingProxy(dynamo.url, { root: SECRET });
  });
  after(async () => {
    await signed?.stop();
    await dynamo?.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('registers with accessKeyId (text), secretAccessKey and sessionToken (password) credentials', async () => {
    await load([connectorDef({ url: signed.url })], { c1: { ...TEST_CREDENTIALS, sessionToken: SESSION } });
    const c = getConnector();
    assert.deepEqual(c.credentials, { ...TEST_CREDENTIALS, sessionToken: SESSION });
  });

  it('url: talks to the given endpoint and names it', async () => {
    await load([connectorDef({ url: signed.url, healthCheckInterval: 60000 })], { c1: TEST_CREDENTIALS });
    const c = getConnector();
    await waitForHealth(c, 'up');
    assert.equal(c.describeEndpoint(), `${signed.url} (region us-west-2)`);
    const out = await c.client.send(new ListTablesCommand({}));
    assert.deepEqual(out.TableNames, ['mqtt_msg']);
  });

  it('url: host:port without a scheme means http://host:port, as EMQX reads it', async () => {
    const bare = signed.url.replace(/^http:\/\//, '');
    await load([connectorDef({ url: bare, healthCheckInterval: 60000 })], { c1: TEST_CREDENTIALS });
    const c = getConnector();
    await waitForHealth(c, 'up');
    assert.equal(c.describeEndpoint(), `${signed.url} (region us-west-2)`);
    assert.deepEqual((await c.client.send(new ListTablesCommand({}))).TableNames, ['mqtt_msg']);
  });

  it('region: signs for the given region and defaults to us-east-1', async () => {
    await load([connectorDef({ url: signed.url, region: 'eu-central-1' })], { c1: TEST_CREDENTIALS });
    assert.equal(await getConnector().client.config.region(), 'eu-central-1');
    assert.match(getConnector().describeEndpoint(), /\(region eu-central-1\)$/);
    await helper.unload();
    await load([{ id: 'c1', type: 'dynamodb-connector', url: signed.url }], { c1: TEST_CREDENTIALS });
    assert.equal(await getConnector().client.config.region(), 'us-east-1');
  });

  it('table: is the default table sinks read from settings', async () => {
    await load([connectorDef({ url: signed.url, table: 'mqtt_msg' })], { c1: TEST_CREDENTIALS });
    assert.equal(getConnector().settings.table, 'mqtt_msg');
  });

  it('credentials: a wrong secret is refused and reported down without showing the secret', async () => {
    const wrong = 'wrong-secret-value';
    await load([connectorDef({ url: signed.url })], { c1: { accessKeyId: 'root', secretAccessKey: wrong } });
    const down = (await waitForHealth(getConnector(), 'down')) as { reason: string };
    assert.match(down.reason, new RegExp(`^DynamoDB at ${signed.url} \\(region us-west-2\\) refused the credentials \\(InvalidSignatureException`));
    assert.ok(!down.reason.includes(wrong));
    await helper.unload();
    await load([connectorDef({ url: signed.url })], { c1: TEST_CREDENTIALS });
    await waitForHealth(getConnector(), 'up');
    assert.ok(!loggedText().includes(wrong));
    assert.ok(!loggedText().includes(`"${SECRET}"`));
  });

  it('credentials: half a pair is reported at deploy and keeps the connection down with the reason', async () => {
    await load([connectorDef({ url: signed.url })], { c1: { accessKeyId: 'root' } });
    const c = getConnector();
    assert.equal(c.health().status, 'down');
    assert.match((c.health() as { reason: string }).reason, /secret access key is empty/);
    assert.match(loggedText(), /dynamodb-connector.errors.config/);
  });

  it('poolSize: opens at most poolSize connections, numbers given as strings', async () => {
    const silent = await startSilentServer();
    try {
      await load([connectorDef({ url: silent.url, poolSize: '2', requestTimeout: '500', healthCheckInterval: '60000' })], { c1: TEST_CREDENTIALS });
      const c = getConnector();
      await Promise.allSettled(Array.from({ length: 6 }, () => c.client.send(new ListTablesCommand({}))));
      assert.equal(c.settings.poolSize, 2);
      assert.equal(silent.most(), 2);
    } finally {
      await helper.unload();
      await silent.stop();
    }
  });

  it('requestTimeout: an attempt without answer fails after requestTimeout ms', async () => {
    const silent = await startSilentServer();
    try {
      await load([connectorDef({ url: silent.url, requestTimeout: 400, healthCheckInterval: 60000 })], { c1: TEST_CREDENTIALS });
      const c = getConnector();
      const down = (await waitForHealth(c, 'down', 5000)) as { reason: string; since: number };
      assert.match(down.reason, /no answer from DynamoDB at .* within requestTimeout \(400 ms\)/);
      const started = Date.now();
      await assert.rejects(c.client.send(new ListTablesCommand({})), /requestTimeout/);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 380 && elapsed < 1500, `failed after ${elapsed} ms`);
    } finally {
      await helper.unload();
      await silent.stop();
    }
  });

  it('healthCheckInterval: checks that often', async () => {
    await load([connectorDef({ url: signed.url, healthCheckInterval: 200 })], { c1: TEST_CREDENTIALS });
    const before = signed.accepted;
    await new Promise((r) => setTimeout(r, 1100));
    const checks = signed.accepted - before;
    assert.ok(checks >= 4 && checks <= 7, `${checks} checks in 1.1 s at 200 ms`);
  });

  it('accepts a saved config without a version (the first format)', async () => {
    await load([{ id: 'c1', type: 'dynamodb-connector', url: signed.url, region: 'us-west-2', poolSize: 8 }], { c1: TEST_CREDENTIALS });
    await waitForHealth(getConnector(), 'up');
  });

  it('on close waits for registered users, then destroys the client, within 15 s', async () => {
    await load([connectorDef({ url: signed.url })], { c1: TEST_CREDENTIALS });
    const c = getConnector();
    c.register('sink-1');
    setTimeout(() => c.deregister('sink-1'), 300);
    const started = Date.now();
    await helper.unload();
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 15000, `closed after ${took} ms`);
    // A destroyed client has no sockets left to use.
    const agent = (c.client.config.requestHandler as unknown as { config?: { httpAgent?: http.Agent } }).config?.httpAgent;
    assert.ok(!agent || Object.keys(agent.sockets).length === 0);
  });

  describe('POST /dynamodb-connector/test', () => {
    const post = (body: Record<string, unknown>) => helper.request().post('/dynamodb-connector/test').send(body).expect(200);

    it('lists tables and describes the table with the dialog settings', async () => {
      await load([]);
      const res = await post({ url: signed.url, region: 'us-west-2', table: 'mqtt_msg', accessKeyId: 'root', secretAccessKey: SECRET });
      assert.deepEqual(res.body, {
        ok: true,
        tables: ['mqtt_msg'],
        table: { name: 'mqtt_msg', status: 'ACTIVE', keySchema: [{ attributeName: 'id', keyType: 'HASH', attributeType: 'S' }] },
      });
    });

    it('tests a url without a scheme as http://', async () => {
      await load([]);
      const res = await post({ url: signed.url.replace(/^http:\/\//, ''), region: 'us-west-2', table: 'mqtt_msg', accessKeyId: 'root', secretAccessKey: SECRET });
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
      assert.deepEqual(res.body.tables, ['mqtt_msg']);
    });

    it('reports a missing table by name and endpoint', async () => {
      await load([]);
      const res = await post({ url: signed.url, region: 'us-west-2', table: 'nope', accessKeyId: 'root', secretAccessKey: SECRET });
      assert.equal(res.body.ok, false);
      assert.equal(res.body.error, `table "nope" not found at ${signed.url} (region us-west-2): create it, or fix the table name in the sink or connector`);
    });

    it('reports refused credentials and never echoes the secret', async () => {
      await load([]);
      const wrong = 'typed-wrong-secret';
      const res = await post({ url: signed.url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: wrong, sessionToken: SESSION });
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, /refused the credentials/);
      assert.ok(!res.text.includes(wrong) && !res.text.includes(SESSION));
    });

    it('uses the stored secret of the node id when the field is unchanged (__PWRD__)', async () => {
      await load([connectorDef({ url: signed.url, table: 'mqtt_msg' })], { c1: TEST_CREDENTIALS });
      const refusedBefore = signed.refused;
      const res = await post({ id: 'c1', url: signed.url, region: 'us-west-2', table: 'mqtt_msg', accessKeyId: 'root', secretAccessKey: '__PWRD__' });
      assert.equal(res.body.ok, true, res.text);
      assert.equal(signed.refused, refusedBefore, 'signed with the stored secret, not "__PWRD__"');
      assert.ok(!res.text.includes(SECRET));
    });

    it('does not send the stored secret to another URL or region', async () => {
      await load([connectorDef({ url: signed.url })], { c1: TEST_CREDENTIALS });
      for (const body of [
        { id: 'c1', url: dynamo.url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: '__PWRD__' },
        { id: 'c1', url: signed.url, region: 'eu-west-1', accessKeyId: 'root', secretAccessKey: '__PWRD__' },
      ]) {
        const res = await post(body);
        assert.equal(res.body.ok, false);
        assert.equal(res.body.error, 'dynamodb-connector.errors.storedSecretElsewhere');
      }
    });

    it('needs a deployed node to reuse a stored secret', async () => {
      await load([]);
      const res = await post({ id: 'not-deployed', url: signed.url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: '__PWRD__' });
      assert.deepEqual(res.body, { ok: false, error: 'dynamodb-connector.errors.noStoredSecret' });
    });

    it('reports an unreachable endpoint and bad numbers', async () => {
      await load([]);
      const silent = await startSilentServer();
      const url = silent.url;
      await silent.stop();
      const res = await post({ url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: SECRET });
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, new RegExp(`^cannot reach DynamoDB at ${url} \\(region us-west-2\\): connection refused`));
      const bad = await post({ url, region: 'us-west-2', poolSize: 'many' });
      assert.deepEqual(bad.body, { ok: false, error: 'poolSize must be a whole number of at least 1, not "many"' });
    });

    it('logs no secret', async () => {
      await load([connectorDef({ url: signed.url })], { c1: { ...TEST_CREDENTIALS, sessionToken: SESSION } });
      await post({ id: 'c1', url: signed.url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: '__PWRD__', sessionToken: '__PWRD__' });
      assert.ok(!loggedText().includes(SESSION));
      assert.ok(!loggedText().includes(`"${SECRET}"`));
    });
  });

  describe('POST /dynamodb-connector/create-table (against DynamoDB Local)', () => {
    const post = (body: Record<string, unknown>) => helper.request().post('/dynamodb-connector/create-table').send(body).expect(200);
    const dialog = { url: '', region: 'us-west-2', accessKeyId: 'root', secretAccessKey: SECRET };
    let client: DynamoDBClient;
    const created: string[] = [];
    before(() => {
      dialog.url = signed.url;
      client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-west-2', credentials: TEST_CREDENTIALS });
    });
    after(async () => {
      for (const t of created) await client.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
      client.destroy();
    });

    it('creates a provisioned table with partition and sort key and TTL on, ACTIVE when it answers', async () => {
      await load([]);
      created.push('telemetry_prov');
      const res = await post({
        ...dialog,
        table: 'telemetry_prov',
        hashKey: { name: 'clientid', type: 'S' },
        rangeKey: { name: 'ts', type: 'N' },
        billing: { read: 5, write: 7 },
        ttlAttribute: 'expires_at',
      });
      assert.deepEqual(res.body, {
        ok: true,
        table: {
          name: 'telemetry_prov',
          status: 'ACTIVE',
          billing: 'PROVISIONED',
          ttlAttribute: 'expires_at',
          keySchema: [
            { attributeName: 'clientid', keyType: 'HASH', attributeType: 'S' },
            { attributeName: 'ts', keyType: 'RANGE', attributeType: 'N' },
          ],
        },
      });
      const t = (await client.send(new DescribeTableCommand({ TableName: 'telemetry_prov' }))).Table!;
      assert.equal(t.TableStatus, 'ACTIVE');
      assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 5);
      assert.equal(t.ProvisionedThroughput?.WriteCapacityUnits, 7);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'telemetry_prov' }));
      assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');
      assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expires_at');
      // "Test connectivity" now finds it.
      const test = await helper.request().post('/dynamodb-connector/test').send({ ...dialog, table: 'telemetry_prov' }).expect(200);
      assert.equal(test.body.table.status, 'ACTIVE');
    });

    it('creates an on-demand (PAY_PER_REQUEST) table with a partition key only, TTL left off', async () => {
      await load([]);
      created.push('mqtt_on_demand');
      const res = await post({ ...dialog, table: 'mqtt_on_demand', hashKey: { name: 'id', type: 'S' }, billing: 'PAY_PER_REQUEST' });
      assert.equal(res.body.ok, true, res.text);
      assert.equal(res.body.table.billing, 'PAY_PER_REQUEST');
      const t = (await client.send(new DescribeTableCommand({ TableName: 'mqtt_on_demand' }))).Table!;
      assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(t.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'mqtt_on_demand' }));
      assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED');
    });

    it('says so when the table exists already', async () => {
      await load([]);
      const res = await post({ ...dialog, table: 'mqtt_msg', hashKey: { name: 'id', type: 'S' }, billing: 'PAY_PER_REQUEST' });
      assert.deepEqual(res.body, { ok: false, error: `table "mqtt_msg" already exists at ${signed.url} (region us-west-2): use it, or choose another name` });
    });

    it('refuses bad input with the field and the fix, before calling DynamoDB', async () => {
      await load([]);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ table: 'a', hashKey: { name: 'id', type: 'S' } }, /table name "a" is not valid: DynamoDB table names are 3 to 255 characters/],
        [{ table: 'ok_name', hashKey: { name: '' } }, /^hashKey: give the name of the table's partition key attribute/],
        [{ table: 'ok_name', hashKey: { name: 'id', type: 'BOOL' } }, /type "BOOL" is not a key type; use S \(string\), N \(number\) or B \(binary\)/],
        [{ table: 'ok_name', hashKey: { name: 'id' }, billing: { read: 0, write: 5 } }, /billing.read: provisioned read capacity must be a whole number/],
        [{ table: 'ok_name', hashKey: { name: 'id' }, billing: 'ON_DEMAND' }, /use "PAY_PER_REQUEST" \(on-demand\) or \{ "read": n, "write": n \} \(provisioned\)/],
        [{ table: 'ok_name', hashKey: { name: 'id' }, ttlAttribute: 'id' }, /ttlAttribute "id" is a key attribute/],
      ];
      for (const [body, error] of cases) {
        const res = await post({ ...dialog, ...body });
        assert.equal(res.body.ok, false);
        assert.match(res.body.error, error);
      }
      const tables = await client.send(new ListTablesCommand({}));
      assert.ok(!tables.TableNames?.includes('ok_name'));
    });

    it('reports refused credentials without the secret', async () => {
      await load([]);
      const wrong = 'typed-wrong-secret';
      const res = await post({ ...dialog, secretAccessKey: wrong, table: 'never_made', hashKey: { name: 'id', type: 'S' } });
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, /^creating table "never_made" failed: .*refused the credentials/);
      assert.ok(!res.text.includes(wrong));
    });

    it('against dynalite (no UpdateTimeToLive): the table is created and the error says TTL is not implemented there', async function () {
      this.timeout(60000);
      const lite = await startDynalite();
      try {
        await load([]);
        const res = await post({ ...dialog, url: lite.url, table: 'ttl_on_dynalite', hashKey: { name: 'id', type: 'S' }, billing: 'PAY_PER_REQUEST', ttlAttribute: 'expires_at' });
        assert.equal(res.body.ok, false);
        assert.equal(res.body.table?.status, 'ACTIVE');
        assert.match(res.body.error, /^table "ttl_on_dynalite" was created, but turning TTL on for "expires_at" failed: .*This endpoint does not implement TTL \(dynalite/);
      } finally {
        await lite.stop();
      }
    });
  });
});
