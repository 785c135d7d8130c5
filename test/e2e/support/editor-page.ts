import * as fs from 'node:fs';
import * as path from 'node:path';
// Driving the Node-RED editor in a real chromium (playwright-core; the browser is the one the npm
// package @sparticuz/chromium ships, see ./chromium.ts) the way a person does: drag from the palette, drag wires between ports, double-click to edit, click
// Deploy. Node ids are read back from the editor's own RED.nodes after each drop.
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from './chromium';

export { CHROMIUM_PATH } from './chromium';

/**
 * Where the browser tests save their screenshots: `test-output/node-red-<version>/` (git-ignored),
 * so a test run leaves the work tree clean. With UPDATE_SCREENSHOTS=1 on Node-RED 4 they retake
 * the README's pictures in `docs/images/` instead.
 */
export function screenshotDir(): string {
  const version = (require(require.resolve('node-red/package.json')) as { version: string }).version;
  const root = path.resolve(__dirname, '..', '..', '..');
  const dir = process.env.UPDATE_SCREENSHOTS === '1' && version.startsWith('4.')
    ? path.join(root, 'docs', 'images')
    : path.join(root, 'test-output', `node-red-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Editor {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

// The editor's globals, as far as these helpers read them.
interface EditorGlobals {
  RED: {
    nodes: {
      filterNodes(filter: { type?: string }): { id: string }[];
      eachConfig(cb: (n: { id: string; type: string }) => void): void;
      getType(type: string): unknown;
      node(id: string): Record<string, unknown> | null;
      filterLinks(filter: { source?: { id: string }; sourcePort?: number; target?: { id: string } }): unknown[];
    };
  };
}

// The test build has no DOM library; this is all the page code below uses of `document`.
interface PageDocument {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): { length: number };
}

/**
 * Launches the packaged chromium headless (unpacking it on first use). A browser process that dies
 * while starting (seen once in a CI run: SIGSEGV before the first page, the other browser suites of
 * the same run fine) is started once more, and said so, rather than failing a suite that has not
 * begun to test anything.
 */
export async function launchChromium(): Promise<Browser> {
  const install = ensureChromium();
  const launch = () => chromium.launch({
    executablePath: install.executablePath,
    headless: true,
    env: { ...process.env, ...install.env },
    args: CHROMIUM_ARGS,
  });
  try {
    return await launch();
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (!/has been closed|SIGSEGV|SIGTRAP|SIGABRT/.test(message)) throw err;
    console.log(`    (chromium died while starting, launching it again: ${message.split('\n')[0]})`);
    return launch();
  }
}

export async function openEditor(url: string): Promise<Editor> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1050 } });
    // Fail a step in seconds, not after the 30 s default, so one missing element reads clearly.
    page.setDefaultTimeout(10000);
    await page.goto(url);
    // The palette is filled once the node definitions have loaded; flows load after that.
    await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ timeout: 30000 });
    await page.waitForFunction(() => {
      const g = globalThis as unknown as { RED?: { nodes?: { version?: () => unknown } }; document: PageDocument };
      return !!g.RED?.nodes?.version?.() && g.document.querySelector('#red-ui-loading') === null;
    }, undefined, { timeout: 30000 }).catch(async () => {
      // Older editors keep #red-ui-loading hidden instead of removing it.
      await page.locator('#red-ui-loading').waitFor({ state: 'hidden', timeout: 10000 }).catch(() => undefined);
    });
    return { browser, page, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

async function nodeIds(page: Page, type: string): Promise<string[]> {
  return page.evaluate((t) => (globalThis as unknown as EditorGlobals).RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
}

export async function configNodeIds(page: Page, type: string): Promise<string[]> {
  return page.evaluate((t) => {
    const ids: string[] = [];
    (globalThis as unknown as EditorGlobals).RED.nodes.eachConfig((n) => {
      if (n.type === t) ids.push(n.id);
    });
    return ids;
  }, type);
}

/** A node's saved-in-the-editor properties (what Deploy would send). */
export async function editorNode(page: Page, id: string): Promise<Record<string, unknown> | null> {
  return page.evaluate((i) => {
    const n = (globalThis as unknown as EditorGlobals).RED.nodes.node(i);
    if (!n) return null;
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) if (k !== '_def' && typeof v !== 'object') plain[k] = v;
    return plain;
  }, id);
}

/** Presses, moves in steps (jQuery UI and d3 both want several mousemoves) and releases. */
async function mouseDrag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 5, from.y + 5, { steps: 3 });
  await page.mouse.move(to.x, to.y, { steps: 15 });
  await page.mouse.up();
}

function centre(box: { x: number; y: number; width: number; height: number }) {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Drags the palette entry of `type` onto the workspace at (x, y) relative to the workspace's
 * top-left corner, and returns the new node's id. The palette filter is used to bring the entry
 * into view, as a person would type it.
 */
export async function dragFromPalette(page: Page, type: string, at: { x: number; y: number }): Promise<string> {
  const before = new Set(await nodeIds(page, type));
  // The palette's search box filters on key events, so type rather than fill.
  const search = page.locator('#red-ui-palette-search input');
  await search.click();
  await search.pressSequentially(type);
  const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await entry.waitFor({ state: 'visible' });
  // The filter applies after a short debounce and the list then re-flows: wait until the entry
  // has stopped moving.
  let box = await entry.boundingBox();
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(100);
    await entry.scrollIntoViewIfNeeded();
    const again = await entry.boundingBox();
    if (box && again && box.x === again.x && box.y === again.y && i >= 2) break;
    box = again;
  }
  const from = centre(box!);
  const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
  await mouseDrag(page, from, { x: chart.x + at.x, y: chart.y + at.y });
  await search.click();
  await search.press('ControlOrMeta+a');
  await search.press('Backspace');
  await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'visible' });
  const added = (await nodeIds(page, type)).filter((id) => !before.has(id));
  if (added.length !== 1) throw new Error(`dragging "${type}" from the palette added ${added.length} nodes`);
  return added[0];
}

function nodeElement(page: Page, id: string) {
  return page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
}

/** Drags a wire from output `output` (0-based) of one node to the input of another. */
export async function wire(page: Page, fromId: string, output: number, toId: string): Promise<void> {
  const outPort = nodeElement(page, fromId).locator('.red-ui-flow-port-output .red-ui-flow-port').nth(output);
  const inPort = nodeElement(page, toId).locator('.red-ui-flow-port-input .red-ui-flow-port').first();
  await mouseDrag(page, centre((await outPort.boundingBox())!), centre((await inPort.boundingBox())!));
  const wired = await page.evaluate(
    ([f, o, t]) =>
      (globalThis as unknown as EditorGlobals).RED.nodes.filterLinks({ source: { id: f as string }, sourcePort: o as number, target: { id: t as string } }).length === 1,
    [fromId, output, toId] as const,
  );
  if (!wired) throw new Error(`no wire from ${fromId}[${output}] to ${toId} after dragging`);
}

/** Opens a node's edit dialog by double-clicking it; resolves when the tray is open. */
export async function openNodeDialog(page: Page, id: string): Promise<void> {
  // The editor ignores a double-click while the previous tray is still sliding away (seen on a
  // loaded machine right after a Cancel): try again rather than wait on a dialog never opened.
  const ok = page.locator('#node-dialog-ok');
  for (let attempt = 1; ; attempt++) {
    await nodeElement(page, id).locator('.red-ui-flow-node').first().dblclick();
    try {
      await ok.waitFor({ state: 'visible', timeout: attempt < 3 ? 5000 : 15000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/**
 * Clicks Done (or Add/Update, for a config node) on the topmost dialog and waits until that
 * dialog is gone. The editor keeps only the topmost tray in the page, so the button clicked is
 * watched rather than the number of trays.
 */
export async function closeDialog(page: Page): Promise<void> {
  const configOk = page.locator('#node-config-dialog-ok');
  const button = (await configOk.isVisible()) ? configOk : page.locator('#node-dialog-ok');
  const handle = await button.elementHandle();
  if (!handle) throw new Error('no open dialog to close');
  await handle.click();
  await page.waitForFunction((el) => !(el as unknown as { isConnected: boolean }).isConnected, handle);
  await handle.dispose();
}

/** Clicks Deploy and waits for the editor's "Successfully deployed" notification. */
export async function deploy(page: Page): Promise<void> {
  await page.locator('#red-ui-header-button-deploy').click();
  await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ timeout: 30000 });
}

/** The status text shown under a node on the workspace ('' when none). */
export async function nodeStatusText(page: Page, id: string): Promise<string> {
  const label = nodeElement(page, id).locator('.red-ui-flow-node-status-label');
  if ((await label.count()) === 0) return '';
  return (await label.textContent()) ?? '';
}
