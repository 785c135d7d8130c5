// The dynamodb-connector dialog in a real Node-RED editor (chromium): every property has a field,
// validation marks bad values, "Test connectivity" shows the tables and the table's status
// against DynamoDB Local, offers to create a missing table and creates it (keys, provisioned
// capacity, TTL), the help renders its sections, and saved numbers are numbers.
// Needs the compiled dist/ (npm run build), like every e2e test.
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSeedTable, startDynamoDbLocal, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../support/dynamodb';
import { openEditor, type Editor } from './support/editor-page';
import { startNodeRed, type NodeRedProcess } from './support/node-red-process';

interface EditorRED {
  RED: {
    editor: { editConfig(name: string, type: string, id: string): void };
    nodes: { node(id: string): Record<string, unknown> | null; getType(type: string): { credentials?: Record<string, unknown> } | null };
  };
}

const flows = [
  { id: 'f1', type: 'tab', label: 'Flow 1' },
  { id: 'c1', type: 'dynamodb-connector', name: 'local', url: '', region: 'us-west-2', table: 'mqtt_msg', poolSize: 8, requestTimeout: 10000, healthCheckInterval: 15000, version: 1 },
];

async function openConnectorDialog(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as EditorRED).RED.editor.editConfig('', 'dynamodb-connector', 'c1'));
  await page.locator('#node-config-input-url').waitFor({ state: 'visible' });
}

describe('dynamodb-connector editor dialog', function () {
  this.timeout(120000);
  let dynamo: DynamoServer;
  let red: NodeRedProcess;
  let editor: Editor;

  before(async function () {
    this.timeout(180000);
    // DynamoDB Local, not dynalite: the create-table dialog turns TTL on (UpdateTimeToLive).
    dynamo = await startDynamoDbLocal();
    await createSeedTable(dynamo.url);
    red = await startNodeRed({ flows });
    editor = await openEditor(red.url);
  });
  after(async () => {
    await editor?.close();
    await red?.stop();
    await dynamo?.stop();
  });

  it('has a field for every property and the three credentials', async () => {
    const { page } = editor;
    await openConnectorDialog(page);
    for (const p of ['name', 'url', 'region', 'table', 'poolSize', 'requestTimeout', 'healthCheckInterval', 'accessKeyId', 'secretAccessKey', 'sessionToken']) {
      assert.equal(await page.locator(`#node-config-input-${p}`).count(), 1, p);
    }
    assert.equal(await page.locator('#node-config-input-secretAccessKey').getAttribute('type'), 'password');
    assert.equal(await page.locator('#node-config-input-region').inputValue(), 'us-west-2');
    const labels = await page.locator('.red-ui-tray label').allInnerTexts();
    assert.ok(labels.some((l) => l.includes('Database URL')), `labels come from the locale: ${labels.join('|')}`);
  });

  it('"Test connectivity" lists the tables and describes the default table', async () => {
    const { page } = editor;
    await page.locator('#node-config-input-url').fill(dynamo.url);
    await page.locator('#node-config-input-accessKeyId').fill('root');
    await page.locator('#node-config-input-secretAccessKey').fill('public');
    await page.locator('#node-config-dynamodb-connector-test').click();
    const result = page.locator('#node-config-dynamodb-connector-test-result');
    await result.filter({ hasText: 'Table "mqtt_msg"' }).waitFor({ timeout: 15000 });
    const text = await result.innerText();
    assert.match(text, /Tables: .*mqtt_msg/);
    assert.match(text, /Table "mqtt_msg": ACTIVE, key id \(HASH, S\)/);
    assert.ok(!text.includes('public'));
  });

  it('shows the error of a missing table', async () => {
    const { page } = editor;
    await page.locator('#node-config-input-table').fill('nope');
    await page.locator('#node-config-dynamodb-connector-test').click();
    const result = page.locator('#node-config-dynamodb-connector-test-result');
    await result.filter({ hasText: 'not found' }).waitFor({ timeout: 15000 });
    assert.match(await result.innerText(), new RegExp(`table "nope" not found at ${dynamo.url} \\(region us-west-2\\)`));
    await page.locator('#node-config-input-table').fill('mqtt_msg');
  });

  it('offers to create a missing table, and "Create table" creates it ACTIVE with keys, capacity and TTL', async () => {
    const { page } = editor;
    const create = page.locator('#node-config-dynamodb-connector-create');
    await page.locator('#node-config-input-table').fill('sensor_data');
    await page.locator('#node-config-dynamodb-connector-test').click();
    await create.waitFor({ state: 'visible', timeout: 15000 });
    assert.match(await page.locator('#node-config-dynamodb-connector-create-offer').innerText(), /Table "sensor_data" does not exist/);
    assert.equal(await page.locator('#node-config-dynamodb-connector-create-table').inputValue(), 'sensor_data');
    assert.equal(await page.locator('#node-config-dynamodb-connector-create-hashKey').inputValue(), 'id', 'the sink\'s default hash key');
    await page.locator('#node-config-dynamodb-connector-create-hashKey').fill('clientid');
    await page.locator('#node-config-dynamodb-connector-create-rangeKey').fill('ts');
    await page.locator('#node-config-dynamodb-connector-create-rangeKeyType').selectOption('N');
    assert.ok(!(await page.locator('#node-config-dynamodb-connector-create-units').isVisible()), 'units only for provisioned');
    await page.locator('#node-config-dynamodb-connector-create-billing').selectOption('PROVISIONED');
    await page.locator('#node-config-dynamodb-connector-create-read').fill('3');
    await page.locator('#node-config-dynamodb-connector-create-write').fill('4');
    await page.locator('#node-config-dynamodb-connector-create-ttl').fill('expires_at');
    await page.locator('#node-config-dynamodb-connector-create-button').click();
    const result = page.locator('#node-config-dynamodb-connector-create-result');
    await result.filter({ hasText: 'created' }).waitFor({ timeout: 60000 });
    assert.equal(
      await result.innerText(),
      'Table "sensor_data" created: ACTIVE, key clientid (HASH, S), ts (RANGE, N), PROVISIONED, TTL on "expires_at".',
    );
    const client = new DynamoDBClient({ endpoint: dynamo.url, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    try {
      const t = (await client.send(new DescribeTableCommand({ TableName: 'sensor_data' }))).Table!;
      assert.equal(t.TableStatus, 'ACTIVE');
      assert.deepEqual(t.KeySchema, [{ AttributeName: 'clientid', KeyType: 'HASH' }, { AttributeName: 'ts', KeyType: 'RANGE' }]);
      assert.equal(t.ProvisionedThroughput?.WriteCapacityUnits, 4);
      assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 3);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'sensor_data' }));
      assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');
    } finally {
      client.destroy();
    }
    // Pressed again, the same table now exists: the error says so.
    await page.locator('#node-config-dynamodb-connector-create-button').click();
    await result.filter({ hasText: 'already exists' }).waitFor({ timeout: 15000 });
    // The test now finds it, and hides the offer.
    await page.locator('#node-config-dynamodb-connector-test').click();
    await page.locator('#node-config-dynamodb-connector-test-result').filter({ hasText: 'Table "sensor_data": ACTIVE' }).waitFor({ timeout: 15000 });
    assert.ok(!(await create.isVisible()));
    await page.locator('#node-config-input-table').fill('mqtt_msg');
  });

  it('marks invalid values and saves numbers as numbers', async () => {
    const { page } = editor;
    await page.locator('#node-config-input-poolSize').fill('0');
    await page.locator('#node-config-input-url').fill('ftp://nowhere');
    await page.locator('#node-config-input-region').click(); // leave the fields so validation runs
    await page.waitForTimeout(300);
    assert.ok(await page.locator('#node-config-input-poolSize.input-error').count(), 'poolSize 0 is marked');
    assert.ok(await page.locator('#node-config-input-url.input-error').count(), 'ftp:// is marked');
    // host:port without a scheme is http:// (as EMQX reads it): not marked.
    await page.locator('#node-config-input-url').fill(dynamo.url.replace(/^http:\/\//, ''));
    await page.locator('#node-config-input-region').click();
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#node-config-input-url.input-error').count(), 0, 'host:port is valid');
    await page.locator('#node-config-input-poolSize').fill('4');
    await page.locator('#node-config-input-url').fill(dynamo.url);
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-url').waitFor({ state: 'detached' });
    const saved = await page.evaluate(() => (globalThis as unknown as EditorRED).RED.nodes.node('c1'));
    assert.equal(saved?.poolSize, 4);
    assert.equal(saved?.url, dynamo.url);
    assert.equal(saved?.version, 1);
  });

  it('has help with Inputs, Outputs, Details and References', async () => {
    // The editor loads every node set's HTML (dialogs and help) from GET /nodes.
    const help = await editor.page.evaluate(async () => {
      const g = globalThis as unknown as { $: { get(url: string): Promise<string> } };
      return g.$.get('nodes');
    });
    for (const heading of ['<h3>Inputs</h3>', '<h3>Outputs</h3>', '<h3>Details</h3>', '<h3>References</h3>', 'data-help-name="dynamodb-connector"']) {
      assert.ok(help.includes(heading), heading);
    }
    assert.match(help, /<dl class="message-properties">/);
  });
});
