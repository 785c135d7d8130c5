// The editor experience in a real browser (the chromium of the npm package @sparticuz/chromium, through playwright-core): a person
// builds the seed's "store MQTT messages" flow in a running Node-RED (4 under `npm test`, 5 in
// the Node 22 run) by dragging the nodes
// from the palette, tries the SQL and the connection from the dialogs, deploys, publishes with a
// real MQTT client, and watches the sink count the write in its status and in the DynamoDB
// sidebar tab. Saves the screenshots the README shows (docs/images/, from Node-RED 4).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { aedesBrokerNode } from '../../scripts/demo-flow';
import { createSeedTable, freePort, scanAll, startDynamoDbLocal, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../support/dynamodb';
import {
  screenshotDir,
  closeDialog,
  configNodeIds,
  deploy,
  dragFromPalette,
  editorNode,
  nodeStatusText,
  openEditor,
  openNodeDialog,
  wire,
  type Editor,
} from './support/editor-page';
import { adminGet, startNodeRed, type NodeRedProcess } from './support/node-red-process';

const redVersion = (require(require.resolve('node-red/package.json')) as { version: string }).version;
const IMAGES = screenshotDir();

describe(`the editor in a real browser (chromium, Node-RED ${redVersion}, DynamoDB Local)`, function () {
  this.timeout(60000);

  let dynamo: DynamoServer;
  let red: NodeRedProcess;
  let editor: Editor;
  let mqttPort: number;
  let ruleId: string;
  let sinkId: string;

  before(async function () {
    this.timeout(120000);
    dynamo = await startDynamoDbLocal();
    await createSeedTable(dynamo.url);
    mqttPort = await freePort();
    // The broker is already in the flow, as after following the README's first step.
    red = await startNodeRed({
      flows: [
        { id: 'demo-tab', type: 'tab', label: 'MQTT to DynamoDB' },
        aedesBrokerNode({ id: 'broker', z: 'demo-tab', mqttPort, x: 140, y: 160, wires: [[], []] }),
      ],
    });
    editor = await openEditor(red.url);
    fs.mkdirSync(IMAGES, { recursive: true });
  });

  after(async function () {
    this.timeout(60000);
    await editor?.close();
    await red?.stop();
    await dynamo?.stop();
  });

  it('drags rule-sql and dynamodb-sink from the palette into the flow', async () => {
    const { page } = editor;
    ruleId = await dragFromPalette(page, 'rule-sql', { x: 470, y: 240 });
    sinkId = await dragFromPalette(page, 'dynamodb-sink', { x: 760, y: 240 });
    assert.equal((await editorNode(page, ruleId))?.type, 'rule-sql');
    assert.equal((await editorNode(page, sinkId))?.type, 'dynamodb-sink');
    assert.equal((await editorNode(page, ruleId))?.sql, 'SELECT * FROM "t/#"');
  });

  it('runs the SQL test in the rule dialog and shows the resulting row', async () => {
    const { page } = editor;
    await openNodeDialog(page, ruleId);
    await page.locator('#node-input-name').fill('store MQTT messages');
    // The seed's statement from the examples menu; its event type comes with it.
    await page.locator('#rule-sql-examples').selectOption('store');
    await page.locator('#rule-sql-validation', { hasText: 'Valid' }).waitFor();
    // The event list arrives from the runtime (GET rule-sql/events) after the dialog opens; on a
    // busy machine that is after the example was picked, and the list's own guess sets it then.
    await page
      .waitForFunction(() => (globalThis as unknown as { $: (s: string) => { val(): unknown } }).$('#rule-sql-event-type').val() === 'message_publish')
      .catch(() => undefined);
    assert.equal(await page.locator('#rule-sql-event-type').inputValue(), 'message_publish');
    await page.locator('#rule-sql-run').click();
    await page.locator('#rule-sql-outcome', { hasText: 'Result' }).waitFor();
    // As EMQX's rule test: a SELECT answers with its one row, EMQX's example columns for
    // message.publish passed through by `SELECT *`.
    const row = JSON.parse((await page.locator('#rule-sql-result').textContent()) ?? '') as Record<string, unknown>;
    assert.equal(row.event, 'message.publish');
    assert.equal(typeof row.topic, 'string');
    assert.ok('payload' in row && 'clientid' in row && 'timestamp' in row, JSON.stringify(row));
    await page.screenshot({ path: path.join(IMAGES, 'sql-test.png') });
    await closeDialog(page);
    assert.match(String((await editorNode(page, ruleId))?.sql), /SELECT\s+\*\s+FROM\s+"t\/#"/);
  });

  it('runs a windowed statement over several sample events and shows the row of each window', async () => {
    const { page } = editor;
    await openNodeDialog(page, ruleId);
    try {
      await page.locator('#rule-sql-examples').selectOption('window');
      await page.locator('#rule-sql-validation', { hasText: 'stateful' }).waitFor({ timeout: 30000 });
      await page.locator('#rule-sql-run').click();
      // Whatever the answer, once it is there (a loaded machine can take a while).
      await page.waitForFunction(() => {
        const t = document.querySelector('#rule-sql-outcome')?.textContent ?? '';
        return t !== '' && !/Running/.test(t);
      }, undefined, { timeout: 30000 });
      const outcome = (await page.locator('#rule-sql-outcome').textContent()) ?? '';
      const text = (await page.locator('#rule-sql-result').textContent()) ?? '';
      assert.match(outcome, /Result/, `${outcome}\n${text}`);
      // The example's four events: three in the minute from 22:13, one in the next (issue 13).
      assert.match(text, /window 2023-11-14T22:13:00\.000Z – 2023-11-14T22:14:00\.000Z:\n\{[^}]*"clientid": "d1",\n\s+"avg_temp": 21\.5/);
      assert.match(text, /"clientid": "d2",\n\s+"avg_temp": 18/);
      assert.match(text, /window 2023-11-14T22:14:00\.000Z – 2023-11-14T22:15:00\.000Z:/);
    } finally {
      // Cancel, and wait until the dialog is gone (the next steps work on the workspace).
      const cancel = await page.locator('#node-dialog-cancel').elementHandle();
      await cancel!.click();
      await page.waitForFunction((el) => !(el as unknown as { isConnected: boolean }).isConnected, cancel);
      await cancel!.dispose();
    }
    assert.match(String((await editorNode(page, ruleId))?.sql), /SELECT\s+\*\s+FROM\s+"t\/#"/);
  });

  it('adds a connector from the sink dialog and tests connectivity against DynamoDB Local', async () => {
    const { page } = editor;
    await openNodeDialog(page, sinkId);
    await page.locator('#node-input-name').fill('mqtt_msg table');
    // The + beside the empty connector field opens a new connector's dialog.
    await page.locator('#node-input-btn-connector-add').click();
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
    await page.locator('#node-config-input-name').fill('DynamoDB Local');
    await page.locator('#node-config-input-url').fill(dynamo.url);
    await page.locator('#node-config-input-region').fill(TEST_REGION);
    await page.locator('#node-config-input-table').fill('mqtt_msg');
    await page.locator('#node-config-input-accessKeyId').fill(TEST_CREDENTIALS.accessKeyId);
    await page.locator('#node-config-input-secretAccessKey').fill(TEST_CREDENTIALS.secretAccessKey);
    await page.locator('#node-config-dynamodb-connector-test').click();
    const result = page.locator('#node-config-dynamodb-connector-test-result');
    await result.locator('text=Connected to').waitFor();
    const text = (await result.textContent()) ?? '';
    assert.match(text, new RegExp(`Connected to ${dynamo.url.replace(/[.]/g, '\\.')}`));
    assert.match(text, /mqtt_msg/);
    await result.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(IMAGES, 'connector-test.png') });
    await closeDialog(page); // Add (the connector)
    const connectors = await configNodeIds(page, 'dynamodb-connector');
    assert.equal(connectors.length, 1);
    await closeDialog(page); // Done (the sink)
    assert.equal((await editorNode(page, sinkId))?.connector, connectors[0]);
  });

  it('wires broker → rule → sink, deploys, and the sink status counts a message published over MQTT', async () => {
    const { page } = editor;
    await wire(page, 'broker', 1, ruleId); // aedes output 2: publish
    await wire(page, ruleId, 0, sinkId);
    await page.mouse.click(300, 700); // deselect, so the screenshot shows the flow as it runs
    await deploy(page);
    await waitFor(async () => /connected|written/.test(await nodeStatusText(page, sinkId)), 'the sink to connect');

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'emqx_c' });
    await client.publishAsync('t/1', '{ "msg": "hello DynamoDB" }', { qos: 1 });
    await client.endAsync();

    await waitFor(async () => /written 1\b/.test(await nodeStatusText(page, sinkId)), 'the sink status to count the write');
    assert.match(await nodeStatusText(page, ruleId), /matched 1\b/);
    const items = await scanAll(dynamo.url, 'mqtt_msg');
    assert.equal(items.length, 1);
    assert.deepEqual(items[0].payload, { S: '{ "msg": "hello DynamoDB" }' });
    assert.deepEqual(items[0].topic, { S: 't/1' });
    assert.deepEqual(items[0].clientid, { S: 'emqx_c' });
    // Let the "Successfully deployed" notice fade, so the picture shows just the flow.
    await page.locator('.red-ui-notification').first().waitFor({ state: 'hidden' }).catch(() => undefined);
    await page.screenshot({ path: path.join(IMAGES, 'built-flow.png') });
  });

  it('shows the sink in the DynamoDB sidebar tab with its counters and chart', async () => {
    const { page } = editor;
    await openSidebarTab(editor, 'dynamodb', 'DynamoDB');
    const card = page.locator(`.dynamodb-sink-card[data-sink-id="${sinkId}"]`);
    await card.waitFor({ state: 'visible' });
    await waitFor(async () => (await card.locator('[data-counter="success"]').textContent()) === '1', 'the sidebar to count the write');
    assert.equal(await card.locator('.dynamodb-sink-name').textContent(), 'mqtt_msg table');
    assert.equal(await card.locator('[data-counter="matched"]').textContent(), '1');
    assert.equal(await card.locator('[data-counter="failed"]').textContent(), '0');
    assert.equal(await card.locator('.dynamodb-sink-state').first().textContent(), 'connected');

    // About 12 s of traffic whose rate rises and falls, for the chart to show.
    const published = await publishWave(mqttPort, 12000);
    const total = String(1 + published);
    await waitFor(async () => (await card.locator('[data-counter="success"]').textContent()) === total, `the sidebar to count ${total} writes`, 30000);
    // Wait for one more sample so the rate line comes back down at the end.
    await page.waitForTimeout(2500);
    const rateLine = (await card.locator('path.dynamodb-chart-rate').getAttribute('d')) ?? '';
    assert.ok(rateLine.split('L').length > 5, `a write-rate line with several points: ${rateLine}`);
    // Small items: one write capacity unit each, as DynamoDB reported them (ReturnConsumedCapacity).
    assert.equal(await card.locator('[data-counter="consumed.wcu"]').textContent(), total);
    const wcuLine = (await card.locator('path.dynamodb-chart-wcu').getAttribute('d')) ?? '';
    assert.ok(wcuLine.split('L').length > 5, `a WCU/s line with several points: ${wcuLine}`);
    await page.screenshot({ path: path.join(IMAGES, 'sidebar.png') });

    const all = (await adminGet(`${red.url}/dynamodb-sink/metrics`)) as {
      sinks: { id: string; counters: Record<string, number>; history: { t: number; success: number }[] }[];
    };
    const mine = all.sinks.find((s) => s.id === sinkId);
    assert.ok(mine, 'the plugin endpoint lists the sink');
    assert.equal(mine.counters.success, 1 + published);
    assert.ok(mine.history.length >= 6, `${mine.history.length} samples`);
    assert.equal(mine.history[mine.history.length - 1].success, 1 + published);
    assert.equal((await scanAll(dynamo.url, 'mqtt_msg')).length, 1 + published);
  });

  it('checks the sink expressions in its dialog: examples name their DynamoDB call, a wrong condition its column', async () => {
    const { page } = editor;
    await openNodeDialog(page, sinkId);
    await page.locator('#dynamodb-sink-examples').selectOption('deviceState');
    await page.locator('#dynamodb-sink-check', { hasText: 'TransactWriteItems' }).waitFor();
    await page.locator('#dynamodb-sink-examples').selectOption('onlyNewer');
    await page.locator('#dynamodb-sink-check', { hasText: 'PutItem with the condition' }).waitFor();
    // Typed into the condition's code field: the check answers with the position.
    await page.locator('#node-input-condition-editor').click();
    await page.keyboard.press('End');
    await page.keyboard.type(' OR');
    const check = page.locator('#dynamodb-sink-check', { hasText: 'condition line 1, column' });
    await check.waitFor();
    assert.match((await check.textContent()) ?? '', /column 42: expected an attribute name/);
    await page.locator('#node-dialog-cancel').click();
    assert.equal((await editorNode(page, sinkId))?.condition ?? '', '');
  });
});

/**
 * Opens a sidebar tab as a person does: Node-RED 5 has a button per tab; Node-RED 4 shows some
 * tabs as icons and the rest in the sidebar's tab menu.
 */
async function openSidebarTab(editor: Editor, id: string, label: string): Promise<void> {
  const { page } = editor;
  const button = page.locator(`button[data-tab-id="${id}"]`);
  const tab = page.locator(`#red-ui-sidebar li#red-ui-tab-${id}`);
  if (await button.isVisible()) {
    await button.click();
  } else if (await tab.isVisible()) {
    await tab.click();
  } else {
    await page.locator('#red-ui-sidebar .red-ui-tab-link-button-menu').click();
    await page.locator(`a#red-ui-tabs-menu-option-${id}`, { hasText: label }).click();
  }
}

/** Publishes to t/<n> for `durationMs`, 0 to 6 messages every 100 ms along a sine; returns the count. */
async function publishWave(port: number, durationMs: number): Promise<number> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'wave' });
  let sent = 0;
  const start = Date.now();
  try {
    while (Date.now() - start < durationMs) {
      const phase = ((Date.now() - start) / durationMs) * 2 * Math.PI;
      const burst = Math.round(3 + 3 * Math.sin(phase - Math.PI / 2));
      for (let i = 0; i < burst; i++) {
        sent += 1;
        await client.publishAsync(`t/${sent % 4}`, JSON.stringify({ n: sent, temp: 20 + (sent % 7) }), { qos: 1 });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.endAsync();
  }
  return sent;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
