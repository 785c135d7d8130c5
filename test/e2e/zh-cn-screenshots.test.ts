// Issue 22: the editor in Chinese (zh-CN), as a browser whose locale is zh-CN shows it: the
// palette, a dynamodb sink's dialog and the DynamoDB sidebar tab, from this package's zh-CN
// catalogs. Saves the README's pictures (test-output/, or docs/images/ with UPDATE_SCREENSHOTS=1).
// The packaged chromium has no CJK font: the page gets Noto Sans SC from the devDependency
// @fontsource/noto-sans-sc, served through a route.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { createSeedTable, startDynalite, type DynamoServer } from '../support/dynamodb';
import { launchChromium, nodeStatusText, openNodeDialog, screenshotDir } from './support/editor-page';
import { startNodeRed, type NodeRedProcess } from './support/node-red-process';

const IMAGES = screenshotDir();
const FONT_DIR = path.dirname(require.resolve('@fontsource/noto-sans-sc/400.css'));

/** Noto Sans SC for every text but icons and code editors, loaded from the npm package. */
async function useChineseFont(page: Page): Promise<void> {
  await page.route('**/__cjk-font/**', (route) => {
    const file = path.join(FONT_DIR, 'files', path.basename(new URL(route.request().url()).pathname));
    return route.fulfill({ path: file, contentType: 'font/woff2' });
  });
  const faces = fs.readFileSync(path.join(FONT_DIR, '400.css'), 'utf8')
    .replace(/, url\(\.\/files\/[^)]+\.woff\) format\('woff'\)/g, '')
    .replace(/url\(\.\/files\//g, 'url(/__cjk-font/');
  await page.addStyleTag({
    content: `${faces}
      *:not(i):not(.fa):not(.ace_editor):not(.ace_editor *) {
        font-family: "Helvetica Neue", Arial, Helvetica, "Noto Sans SC", sans-serif !important;
      }`,
  });
}

/** A node type's section of its zh-CN catalog. */
function zhCatalog(type: string): any {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', 'locales', 'zh-CN', `${type}.json`), 'utf8')) as Record<string, unknown>)[type];
}

async function fontsLoaded(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const doc = (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document;
    await doc.fonts.ready;
  });
  await page.waitForTimeout(300);
}

describe('the editor in Chinese (zh-CN): palette, sink dialog, sidebar (issue 22)', function () {
  this.timeout(90000);
  let dynamo: DynamoServer;
  let red: NodeRedProcess;

  before(async function () {
    this.timeout(120000);
    dynamo = await startDynalite();
    await createSeedTable(dynamo.url);
    red = await startNodeRed({
      env: { AWS_ACCESS_KEY_ID: 'zh', AWS_SECRET_ACCESS_KEY: 'cn' },
      // The runtime in Chinese too: node statuses and runtime messages come from its catalogs.
      settings: { lang: 'zh-CN' },
      flows: [
        { id: 'tab', type: 'tab', label: 'MQTT → DynamoDB' },
        { id: 'db', type: 'dynamodb-connector', name: 'dynalite', url: dynamo.url, region: 'us-west-2', table: 'mqtt_msg' },
        { id: 'in', type: 'inject', z: 'tab', name: '', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 't/1', payload: '{"msg":"你好 DynamoDB"}', payloadType: 'json', once: true, onceDelay: 0.5, repeat: '', x: 140, y: 120, wires: [['rule']] },
        { id: 'rule', type: 'rule-sql', z: 'tab', name: '', sql: 'SELECT * FROM "t/#"', x: 470, y: 120, wires: [['sink']] },
        {
          id: 'sink', type: 'dynamodb-sink', z: 'tab', name: '', connector: 'db', table: 'mqtt_msg', template: '', operation: 'put',
          updateExpression: '', condition: '', onConditionFailed: 'skip', ttlAttribute: '', ttlSeconds: 0, hashKey: 'id', rangeKey: '',
          encoding: 'emqx', undefinedVarsAsNull: false, queryMode: 'async', batchSize: 25, batchTime: 20, inflightWindow: 16,
          requestTtl: 45000, maxWriteUnits: 0, maxBufferBytes: 67108864, bufferMode: 'memory', x: 700, y: 120, wires: [[]],
        },
      ],
    });
  });

  after(async function () {
    this.timeout(60000);
    await red?.stop();
    await dynamo?.stop();
  });

  it('shows the palette, the sink dialog and the sidebar in Chinese', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      await page.goto(red.url);
      await page.locator('.red-ui-palette-node[data-palette-type="dynamodb-sink"]').waitFor({ state: 'attached', timeout: 30000 });
      await useChineseFont(page);

      // The status comes from the runtime, in its own language (settings.js lang: zh-CN here);
      // the editor's words follow the browser's.
      const written = zhCatalog('dynamodb-sink').status.written.replace('__n__', '1');
      for (const deadline = Date.now() + 20000; await nodeStatusText(page, 'sink') !== written; ) {
        if (Date.now() > deadline) throw new Error(`sink status: ${await nodeStatusText(page, 'sink')}`);
        await page.waitForTimeout(200);
      }

      // Palette: our nodes, found by their names.
      await page.locator('#red-ui-palette-search input').pressSequentially('dynamodb');
      await page.locator('.red-ui-palette-node[data-palette-type="dynamodb-sink"]').waitFor({ state: 'visible' });
      await page.waitForTimeout(500);
      assert.equal((await page.locator('.red-ui-palette-node[data-palette-type="dynamodb-sink"] .red-ui-palette-label').textContent())?.replace(/\s+/g, ' ').trim(), 'dynamodb sink');
      await fontsLoaded(page);
      await page.screenshot({ path: path.join(IMAGES, 'zh-cn-palette.png'), clip: { x: 0, y: 0, width: 1000, height: 300 } });

      // The sink's dialog: Chinese labels; a template error under the template field.
      await openNodeDialog(page, 'sink');
      const tray = page.locator('.red-ui-tray').last();
      assert.equal((await tray.locator('label[for="node-input-table"] span').textContent())?.trim(), '表');
      assert.equal((await tray.locator('label[for="node-input-hashKey"] span').textContent())?.trim(), '分区键');
      await page.locator('#node-input-template').fill('{"id": "${clientid}", "temp": ${payload.temp');
      await page.locator('#node-input-template').dispatchEvent('change');
      const templateError = page.locator('.dynamodb-sink-field-error[data-field="template"]');
      await templateError.waitFor();
      // Under the template's own row, not under the condition.
      const templateRow = await page.locator('#node-input-template').boundingBox();
      const errorBox = await templateError.boundingBox();
      assert.ok(templateRow && errorBox && errorBox.y >= templateRow.y + templateRow.height - 2 && errorBox.y - (templateRow.y + templateRow.height) < 40, 'the error is right under the template');
      await fontsLoaded(page);
      await page.screenshot({ path: path.join(IMAGES, 'zh-cn-sink-dialog.png') });
      await page.locator('#node-dialog-cancel').click();

      // The DynamoDB sidebar tab: the card in Chinese.
      await page.locator('#red-ui-palette-search input').fill('');
      const tab = page.locator('#red-ui-sidebar li#red-ui-tab-dynamodb');
      if (await page.locator('button[data-tab-id="dynamodb"]').isVisible()) await page.locator('button[data-tab-id="dynamodb"]').click();
      else if (await tab.isVisible()) await tab.click();
      else {
        await page.locator('#red-ui-sidebar .red-ui-tab-link-button-menu').click();
        await page.locator('a#red-ui-tabs-menu-option-dynamodb').click();
      }
      const card = page.locator('.dynamodb-sink-card[data-sink-id="sink"]');
      await card.locator('[data-counter="success"]', { hasText: '1' }).waitFor({ timeout: 20000 });
      assert.equal(await card.locator('.dynamodb-sink-state').first().textContent(), '已连接');
      assert.match((await card.locator('.dynamodb-sink-name').textContent()) ?? '', /^dynamodb sink → mqtt_msg$/);
      assert.equal(await nodeStatusText(page, 'rule'), zhCatalog('rule-sql').status.matched.replace('__matched__', '1'));
      await page.waitForTimeout(4500); // a few samples for the chart
      await fontsLoaded(page);
      await page.screenshot({ path: path.join(IMAGES, 'zh-cn-sidebar.png') });
    } finally {
      await browser.close();
    }
  });
});
