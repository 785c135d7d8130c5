// The connector's client and error wording, against real DynamoDB Local and dynalite.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ConnectorConfigError, createDynamoClient, describeEndpoint, endpointUrl } from '../../../src/dynamo/connection/client';
import { connectorSettingsFrom, CONNECTOR_DEFAULTS } from '../../../src/dynamo/connection/connector';
import type { ConnectorSettings } from '../../../src/dynamo/connection/connection';
import { ItemError } from '../../../src/dynamo/item/encoding';
import { classifyError } from '../../../src/dynamo/connection/errors';
import { createSeedTable, forEachBackend, freePort, scanAll, TEST_CREDENTIALS, TEST_REGION } from '../../support/dynamodb';

const settingsFor = (url: string, extra: Partial<ConnectorSettings> = {}): ConnectorSettings => ({
  ...CONNECTOR_DEFAULTS,
  url,
  region: TEST_REGION,
  ...extra,
});

describe('createDynamoClient', () => {
  forEachBackend((ctx) => {
    before(() => createSeedTable(ctx.url));

    it('writes with the given endpoint, region and credentials', async () => {
      const client = createDynamoClient(settingsFor(ctx.url), TEST_CREDENTIALS);
      try {
        await client.send(new PutItemCommand({ TableName: 'mqtt_msg', Item: { id: { S: 'client-test' } } }));
        assert.ok((await scanAll(ctx.url, 'mqtt_msg')).some((item) => item.id.S === 'client-test'));
        assert.equal(await client.config.region(), TEST_REGION);
        assert.equal(await client.config.maxAttempts(), 1);
      } finally {
        client.destroy();
      }
    });

    it('reports a missing table naming the table and the endpoint, not retryable', async () => {
      const settings = settingsFor(ctx.url);
      const client = createDynamoClient(settings, TEST_CREDENTIALS);
      try {
        const err = await client.send(new DescribeTableCommand({ TableName: 'nope' })).then(
          () => assert.fail('expected an error'),
          (e: unknown) => e,
        );
        const c = classifyError(err, { table: 'nope', endpoint: describeEndpoint(settings) });
        assert.equal(c.kind, 'not_found');
        assert.equal(c.retryable, false);
        assert.match(c.message, new RegExp(`^table "nope" not found at ${ctx.url} \\(region us-west-2\\)`));
      } finally {
        client.destroy();
      }
    });

    it('reports a bad item as a validation error, not retryable', async () => {
      const client = createDynamoClient(settingsFor(ctx.url), TEST_CREDENTIALS);
      try {
        // Wrong key type: the table's id is S.
        const err = await client.send(new PutItemCommand({ TableName: 'mqtt_msg', Item: { id: { N: '1' } } })).then(
          () => assert.fail('expected an error'),
          (e: unknown) => e,
        );
        const c = classifyError(err, { table: 'mqtt_msg' });
        assert.equal(c.kind, 'validation');
        assert.equal(c.retryable, false);
        assert.match(c.message, /ValidationException/);
      } finally {
        client.destroy();
      }
    });
  });

  it('fails fast with a retryable network error naming the endpoint when nothing listens', async () => {
    const port = await freePort();
    const settings = settingsFor(`http://127.0.0.1:${port}`);
    const client = createDynamoClient(settings, TEST_CREDENTIALS);
    try {
      const started = Date.now();
      const err = await client.send(new ListTablesCommand({})).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(Date.now() - started < 2000, 'no SDK retries');
      const c = classifyError(err, { endpoint: describeEndpoint(settings) });
      assert.deepEqual([c.kind, c.retryable, c.code], ['network', true, 'ECONNREFUSED']);
      assert.equal(c.message, `cannot reach DynamoDB at http://127.0.0.1:${port} (region us-west-2): connection refused; check the connector's url and that DynamoDB is running`);
    } finally {
      client.destroy();
    }
  });

  describe('against a server that never answers', () => {
    let server: http.Server;
    let url: string;
    const held: http.ServerResponse[] = [];
    before(async () => {
      server = http.createServer((_req, res) => held.push(res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      held.forEach((res) => res.destroy());
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up after requestTimeout with a retryable timeout error', async () => {
      const client = createDynamoClient(settingsFor(url, { requestTimeout: 300 }), TEST_CREDENTIALS);
      try {
        const started = Date.now();
        const err = await client.send(new ListTablesCommand({})).then(
          () => assert.fail('expected an error'),
          (e: unknown) => e,
        );
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 280 && elapsed < 2000, `timed out after ${elapsed} ms`);
        const c = classifyError(err, { requestTimeout: 300 });
        assert.deepEqual([c.kind, c.retryable], ['timeout', true]);
        assert.match(c.message, /within requestTimeout \(300 ms\)/);
      } finally {
        client.destroy();
      }
    });

    it('opens at most poolSize connections at once', async () => {
      let open = 0;
      let most = 0;
      const onConnection = (socket: import('node:net').Socket) => {
        open++;
        most = Math.max(most, open);
        socket.on('close', () => open--);
      };
      server.on('connection', onConnection);
      const client = createDynamoClient(settingsFor(url, { poolSize: 3, requestTimeout: 600 }), TEST_CREDENTIALS);
      try {
        await Promise.allSettled(Array.from({ length: 8 }, () => client.send(new ListTablesCommand({}))));
        assert.equal(most, 3);
      } finally {
        client.destroy();
        server.off('connection', onConnection);
      }
    });
  });

  it('uses AWS regional endpoint when url is empty', () => {
    assert.equal(endpointUrl({ url: '', region: 'eu-west-1' }), 'https://dynamodb.eu-west-1.amazonaws.com');
    assert.equal(describeEndpoint({ url: 'http://127.0.0.1:8000/', region: 'us-west-2' }), 'http://127.0.0.1:8000 (region us-west-2)');
  });

  it('takes credentials only when both key fields are set, and refuses half a pair', async () => {
    const withKeys = createDynamoClient(settingsFor('http://127.0.0.1:1'), { ...TEST_CREDENTIALS, sessionToken: 'tok' });
    const creds = await (withKeys.config.credentials as () => Promise<{ accessKeyId: string; sessionToken?: string }>)();
    assert.equal(creds.accessKeyId, 'root');
    assert.equal(creds.sessionToken, 'tok');
    withKeys.destroy();
    assert.throws(
      () => createDynamoClient(settingsFor(''), { accessKeyId: 'root' }),
      (err: unknown) => err instanceof ConnectorConfigError && /secret access key is empty/.test(err.message),
    );
    assert.throws(() => createDynamoClient(settingsFor('ftp://x'), {}), ConnectorConfigError);
  });
});

describe('connectorSettingsFrom', () => {
  it('fills defaults and accepts numbers or numeric strings', () => {
    assert.deepEqual(connectorSettingsFrom({}), CONNECTOR_DEFAULTS);
    assert.deepEqual(connectorSettingsFrom({ poolSize: '4', requestTimeout: 500, healthCheckInterval: ' 2000 ', region: '' }), {
      ...CONNECTOR_DEFAULTS,
      poolSize: 4,
      requestTimeout: 500,
      healthCheckInterval: 2000,
    });
  });

  it('reads a url without a scheme as http:// (EMQX), keeps http(s):// and leaves other schemes to be refused', () => {
    const url = (u: string) => connectorSettingsFrom({ url: u }).url;
    assert.equal(url('127.0.0.1:8000'), 'http://127.0.0.1:8000');
    assert.equal(url(' localhost:8000 '), 'http://localhost:8000');
    assert.equal(url('dynamodb.local'), 'http://dynamodb.local');
    assert.equal(url('[::1]:8000'), 'http://[::1]:8000');
    assert.equal(url('http://127.0.0.1:8000'), 'http://127.0.0.1:8000');
    assert.equal(url('HTTPS://dynamodb.eu-west-1.amazonaws.com'), 'HTTPS://dynamodb.eu-west-1.amazonaws.com');
    assert.equal(url(''), '');
    assert.equal(url('ftp://nowhere'), 'ftp://nowhere');
    assert.throws(() => createDynamoClient(connectorSettingsFrom({ url: 'ftp://nowhere' }), {}), /must start with http:\/\/ or https:\/\//);
    // Default ports: 80 for http, 443 for https (what the client will connect to).
    assert.equal(new URL(url('dynamodb.local')).port || '80', '80');
    assert.equal(new URL('https://dynamodb.local').port || '443', '443');
  });

  it('names the property of a bad number', () => {
    assert.throws(() => connectorSettingsFrom({ poolSize: 'lots' }), /poolSize must be a whole number of at least 1/);
    assert.throws(() => connectorSettingsFrom({ requestTimeout: 0 }), /requestTimeout/);
  });
});

describe('classifyError', () => {
  const sdkError = (name: string, status: number, message = name) =>
    Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

  const cases: [string, unknown, string, boolean][] = [
    ['ProvisionedThroughputExceededException', sdkError('ProvisionedThroughputExceededException', 400), 'throttle', true],
    ['ThrottlingException', sdkError('ThrottlingException', 400), 'throttle', true],
    ['RequestLimitExceeded', sdkError('RequestLimitExceeded', 400), 'throttle', true],
    ['HTTP 500', sdkError('InternalServerError', 500), 'server', true],
    ['HTTP 503 unknown name', sdkError('Something', 503), 'server', true],
    ['TimeoutError', Object.assign(new Error('t'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), 'timeout', true],
    ['ECONNRESET', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'network', true],
    ['socket hang up', new Error('socket hang up'), 'network', true],
    ['ValidationException', sdkError('ValidationException', 400), 'validation', false],
    ['ItemError', new ItemError('missing_key', 'item has no "id"'), 'validation', false],
    ['ResourceNotFoundException', sdkError('ResourceNotFoundException', 400), 'not_found', false],
    ['UnrecognizedClientException', sdkError('UnrecognizedClientException', 400), 'auth', false],
    ['InvalidSignatureException', sdkError('InvalidSignatureException', 400), 'auth', false],
    ['AccessDeniedException', sdkError('AccessDeniedException', 400), 'auth', false],
    ['ConditionalCheckFailedException', sdkError('ConditionalCheckFailedException', 400), 'condition', false],
    ['an unknown 400', sdkError('WeirdException', 400), 'other', false],
  ];
  for (const [what, err, kind, retryable] of cases) {
    it(`${what} → ${kind}, ${retryable ? 'retryable' : 'not retryable'}`, () => {
      const c = classifyError(err);
      assert.deepEqual([c.kind, c.retryable], [kind, retryable]);
    });
  }

  it('never repeats a secret or the signature details the server echoes', () => {
    const err = sdkError(
      'InvalidSignatureException',
      400,
      'The request signature we calculated does not match. key s3cr3t-value\n\nThe Canonical String for this request should have been ...',
    );
    const c = classifyError(err, { secrets: ['s3cr3t-value'] });
    assert.ok(!c.message.includes('s3cr3t-value'));
    assert.ok(!c.message.includes('Canonical'));
    assert.match(c.message, /check the connector's access key ID, secret access key and session token/);
  });
});
