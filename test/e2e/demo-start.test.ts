// `npm start` as a newcomer runs it: a child process on free ports with its own data folder,
// the printed URLs, a real MQTT publish, `npm run scan` finding the item; Ctrl-C (SIGINT to the
// process group, as a terminal sends it) leaves nothing running; a second start reuses the data
// and does not add a second copy of the demo flow.
import * as assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/dynamodb';
import { portOpen } from '../../scripts/net';
import { SEED_PAYLOAD } from './seed-expectations';
import { openEditor, screenshotDir } from './support/editor-page';
import { DEMO_IDS } from '../../scripts/demo-flow';

const projectRoot = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);
// The README's "demo flow" picture is this test's (UPDATE_SCREENSHOTS=1, Node-RED 4).
const IMAGES = screenshotDir();

interface Demo {
  child: ChildProcess;
  output(): string;
  /** npm's exit, once every process holding its output (the demo's node) has closed it too. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(env: NodeJS.ProcessEnv): Demo {
  // Its own process group, so the test can signal npm, the shell and node together like Ctrl-C.
  const child = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitForOutput(demo: Demo, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!demo.output().includes(text)) {
    if (demo.child.exitCode !== null) throw new Error(`npm start exited (${demo.child.exitCode}) before printing "${text}":\n${demo.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start did not print "${text}" within ${timeoutMs} ms:\n${demo.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Processes still running in the process group `pgid` (zombies, already dead, are not counted). */
async function groupMembers(pgid: number): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,pgid=,stat=,args=']);
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && !stat.startsWith('Z'))
    .map((fields) => fields.join(' '));
}

async function stopDemo(demo: Demo): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const pgid = demo.child.pid!;
  if (demo.child.exitCode === null) process.kill(-pgid, 'SIGINT');
  const timer = setTimeout(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 20000);
  const result = await demo.exited;
  clearTimeout(timer);
  return result;
}

interface ScanOutput {
  Items: Record<string, Record<string, string>>[];
  Count: number;
  ScannedCount: number;
  ConsumedCapacity: null;
}

async function scan(env: NodeJS.ProcessEnv): Promise<ScanOutput> {
  const { stdout } = await run('npm', ['run', '--silent', 'scan'], { cwd: projectRoot, env });
  return JSON.parse(stdout) as ScanOutput;
}

describe('npm start: the one-command demo (e2e)', function () {
  this.timeout(180000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { nodeRed: number; mqtt: number; dynamo: number };
  let demo: Demo | undefined;

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-start-'));
    ports = { nodeRed: await freePort(), mqtt: await freePort(), dynamo: await freePort() };
    const inherited = { ...process.env };
    delete inherited.DYNAMODB_URL;
    env = {
      ...inherited,
      NODE_RED_PORT: String(ports.nodeRed),
      MQTT_PORT: String(ports.mqtt),
      DYNAMODB_PORT: String(ports.dynamo),
      DEMO_DATA_DIR: dataDir,
      // The runtime's words in English whatever this machine's locale (the test reads them).
      NODE_RED_LANG: 'en-US',
    };
  });

  after(async function () {
    if (demo) await stopDemo(demo);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the editor URL, the MQTT URL and the two commands to try', async function () {
    demo = startDemo(env);
    await waitForOutput(demo, 'Press Ctrl-C to stop.', 150000);
    const out = demo.output();
    assert.ok(out.includes(`http://127.0.0.1:${ports.nodeRed}/`), out);
    assert.ok(out.includes(`mqtt://127.0.0.1:${ports.mqtt}`), out);
    assert.ok(out.includes(`npx mqtt pub -i emqx_c -t t/1 -m '{ "msg": "hello DynamoDB" }' -p ${ports.mqtt}`), out);
    assert.ok(out.includes(`DYNAMODB_PORT=${ports.dynamo} npm run scan`), out);
    assert.ok(out.includes('mqtt_msg (created now)'), out);
    const editor = await fetch(`http://127.0.0.1:${ports.nodeRed}/`);
    assert.equal(editor.status, 200);
    // The first thing printed is the demo's, not the AWS SDK's Node version notice; on Node 20 the
    // banner says it in one line instead.
    assert.doesNotMatch(out, /NodeVersionSupportWarning|NodeDeprecationWarning/, out);
    if (Number(process.versions.node.split('.')[0]) < 22) assert.match(out, /AWS SDK releases after the first week of January 2027 need Node 22/, out);
  });

  it('stores a message published with the printed command, which the printed `npm run scan` shows like `aws dynamodb scan`', async function () {
    const printed = (start: string) => {
      const line = demo!.output().split('\n').map((l) => l.trim()).find((l) => l.startsWith(start) || l.includes(` ${start}`));
      assert.ok(line, `no "${start}" line in:\n${demo!.output()}`);
      return line;
    };
    // Exactly what a newcomer copies: the mqtt CLI's flags, and the scan's environment prefix.
    await run('sh', ['-c', printed('npx mqtt pub')], { cwd: projectRoot, env });
    const scanEnv = { ...env };
    delete scanEnv.DYNAMODB_PORT;
    const scanCommand = printed('npm run scan').replace('npm run scan', 'npm run --silent scan');
    const scanPrinted = async () => JSON.parse((await run('sh', ['-c', scanCommand], { cwd: projectRoot, env: scanEnv })).stdout) as ScanOutput;
    let result = await scanPrinted();
    for (const deadline = Date.now() + 15000; result.Count < 3 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 300));
      result = await scanPrinted();
    }
    assert.deepEqual(Object.keys(result), ['Items', 'Count', 'ScannedCount', 'ConsumedCapacity']);
    assert.equal(result.ConsumedCapacity, null);
    // The seed's three: the message, then the client's connect and disconnect events.
    assert.equal(result.Count, 3, JSON.stringify(result.Items, null, 2));
    assert.equal(result.ScannedCount, 3);
    const message = result.Items.find((item) => item.event?.S === 'message.publish');
    assert.ok(message, JSON.stringify(result.Items));
    assert.deepEqual(message.payload, { S: SEED_PAYLOAD });
    assert.deepEqual(message.clientid, { S: 'emqx_c' });
    assert.deepEqual(
      result.Items.map((item) => item.event.S).sort(),
      ['client.connected', 'client.disconnected', 'message.publish'],
    );
  });

  it('shows the whole demo flow in a 1,400-pixel-wide editor, with the counts of the message (README picture)', async function () {
    const editor = await openEditor(`http://127.0.0.1:${ports.nodeRed}/`);
    try {
      const { page } = editor;
      const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
      // The visible part of the workspace (its scroll bars are not part of it).
      const visible = await page.locator('#red-ui-workspace-chart').evaluate((el) => {
        const e = el as unknown as { clientWidth: number; clientHeight: number };
        return { width: e.clientWidth, height: e.clientHeight };
      });
      const ids = [DEMO_IDS.comment, DEMO_IDS.broker, DEMO_IDS.messagesRule, DEMO_IDS.eventsRule, DEMO_IDS.messagesSink, DEMO_IDS.eventsSink, DEMO_IDS.debug];
      for (const id of ids) {
        const node = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
        await node.waitFor({ state: 'attached' });
        // The node and its status line underneath.
        const box = (await node.boundingBox())!;
        assert.ok(box, `node ${id} is drawn`);
        assert.ok(box.x >= chart.x && box.x + box.width <= chart.x + visible.width, `node ${id} (x ${box.x}..${box.x + box.width}) inside the workspace (x ${chart.x}..${chart.x + visible.width})`);
        assert.ok(box.y >= chart.y && box.y + box.height <= chart.y + visible.height, `node ${id} inside the workspace vertically`);
      }
      const status = (id: string) => page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-status-label`).textContent();
      for (const deadline = Date.now() + 15000; !/written 1\b/.test((await status(DEMO_IDS.messagesSink)) ?? ''); ) {
        if (Date.now() > deadline) throw new Error(`the messages sink status does not count the write: ${await status(DEMO_IDS.messagesSink)}`);
        await page.waitForTimeout(200);
      }
      assert.match((await status(DEMO_IDS.messagesRule)) ?? '', /matched 1\b/);
      fs.mkdirSync(IMAGES, { recursive: true });
      await page.screenshot({ path: path.join(IMAGES, 'demo-flow.png') });
    } finally {
      await editor.close();
    }
  });

  it('stops on Ctrl-C and leaves nothing running', async function () {
    const pgid = demo!.child.pid!;
    const stopping = demo!;
    const { code, signal } = await stopDemo(stopping);
    demo = undefined;
    // npm itself may end by the same SIGINT; the demo's own process must finish its shutdown.
    assert.ok(code === 0 || signal === 'SIGINT', `npm ended with code ${code}, signal ${signal}`);
    assert.match(stopping.output(), /Stopped\.\s*$/, stopping.output());
    let left = await groupMembers(pgid);
    for (const deadline = Date.now() + 5000; left.length > 0 && Date.now() < deadline; left = await groupMembers(pgid)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, []);
    for (const port of [ports.nodeRed, ports.mqtt, ports.dynamo]) {
      assert.equal(await portOpen(port), false, `port ${port} still open`);
    }
  });

  it('starts again on the same data: the table and its items are kept, the flow is not duplicated', async function () {
    demo = startDemo(env);
    await waitForOutput(demo, 'Press Ctrl-C to stop.', 150000);
    assert.ok(demo.output().includes('mqtt_msg (already there)'), demo.output());
    assert.ok(demo.output().includes('already deployed'), demo.output());
    assert.equal((await scan(env)).Count, 3);
    const flows = JSON.parse(fs.readFileSync(path.join(dataDir, 'node-red', 'flows.json'), 'utf8')) as { type: string }[];
    assert.equal(flows.filter((node) => node.type === 'tab').length, 1);
    assert.equal(flows.filter((node) => node.type === 'aedes broker').length, 1);
    const stopping = demo;
    demo = undefined;
    await stopDemo(stopping);
    assert.match(stopping.output(), /Stopped\.\s*$/, stopping.output());
  });
});
