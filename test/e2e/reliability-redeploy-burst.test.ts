// Issue 21, "every message completes" across a redeploy (DESIGN.md 6: every input message ends in
// exactly one output or Catch on a running flow, whichever node wrote it). The attack: 50,000
// messages in one node.send into a dynamodb-sink, a full redeploy 400 ms later. Before the fix the
// writes the closing node finished itself during its close (about half of them) were in the table
// but their outputs went into the stopped flow: neither an output nor a Catch. Now they complete
// on the successor, as the writes it takes over already did.
//
// Real Node-RED runtime (node-red-node-test-helper), dynalite in a process of its own (in this
// one it would share the event loop with Node-RED and slow both). Collector nodes record each
// outcome from the moment they exist: Node-RED removes a node's input listeners when it closes,
// so what they record reached a running flow. Three runs; each prints what it measured.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { paginateScan } from '@aws-sdk/client-dynamodb';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { countersAddUp } from '../../src/dynamo/delivery/metrics';
import { createSeedTable, freePort, testClient, type DynamoServer } from '../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkFlow, sinkMetrics, until } from '../support/sink-flow';

const MESSAGES = 50000;
const REDEPLOY_AFTER_MS = 400;
const RUNS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** dynalite's CLI in a child process; resolves once it accepts connections. */
async function startDynaliteProcess(): Promise<DynamoServer> {
  const port = await freePort();
  const cli = require.resolve('dynalite/cli.js');
  const args = [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dynalite did not listen on port ${port}`);
    await sleep(100);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Items in a table: Scan with Select COUNT, every page. */
async function countItems(url: string, table: string): Promise<number> {
  const client = testClient(url);
  try {
    let count = 0;
    for await (const page of paginateScan({ client }, { TableName: table, Select: 'COUNT', ConsistentRead: true })) count += page.Count ?? 0;
    return count;
  } finally {
    client.destroy();
  }
}

/** One outcome as a collector saw it: output or caught, and which deploy's collector (1, 2). */
interface Outcome {
  how: 'output' | 'caught';
  flow: number;
}

/** What the test nodes see, reset per run. */
const seen = { outcomes: new Map<string, Outcome[]>(), generation: 0, burst: [] as NodeMessage[] };

/**
 * `test-burst`: any input sends `seen.burst` in one node.send (one output, an array of messages).
 * `test-collect`: records each message's payload.id with its kind (the node id) and deploy.
 */
function testNodes(RED: NodeAPI): void {
  RED.nodes.registerType('test-burst', function (this: Node, def: never) {
    RED.nodes.createNode(this, def);
    this.on('input', (_msg, send, done) => {
      send([seen.burst.splice(0)] as never);
      done();
    });
  } as never);
  RED.nodes.registerType('test-collect', function (this: Node, def: { id: string }) {
    RED.nodes.createNode(this, def as never);
    const flow = seen.generation;
    const how = def.id === 'out' ? 'output' : 'caught';
    this.on('input', (msg: NodeMessage) => {
      const id = String((msg.payload as { id?: string } | undefined)?.id);
      const list = seen.outcomes.get(id);
      if (list) list.push({ how, flow });
      else seen.outcomes.set(id, [{ how, flow }]);
    });
  } as never);
}

describe(`every message completes across a redeploy: ${MESSAGES} messages in one send, full redeploy at ${REDEPLOY_AFTER_MS} ms (e2e, dynalite)`, function () {
  let server: DynamoServer;
  let userDir: string;
  const summaries: string[] = [];

  before(async function () {
    this.timeout(60000);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-redeploy-burst-'));
    server = await startDynaliteProcess();
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    this.timeout(30000);
    await helper.unload().catch(() => undefined);
    await helper.stopServer().catch(() => undefined);
    helper.settings({});
    await server?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
    if (summaries.length > 0) console.log(`      summary:\n${summaries.map((s) => `        ${s}`).join('\n')}`);
  });
  afterEach(async function () {
    await helper.unload().catch(() => undefined);
  });

  for (let run = 1; run <= RUNS; run++) {
    it(`run ${run}: each message has exactly one outcome, on a running flow; counters add up; every item is in the table`, async function () {
      // One run takes 10-30 s on a loaded 2-core machine: most of it is dynalite writing 50,000 items.
      this.timeout(150000);
      const table = `burst_${run}`;
      const sinkId = `burst-sink-${run}`;
      await createSeedTable(server.url, table);
      // requestTtl well above the run: the test is about outcomes, not about a slow machine's expiries.
      // requestTimeout above a busy dynalite's slowest answer: a timeout would only add retries.
      const connector = { requestTimeout: 10000 };
      const flow = sinkFlow({ url: server.url, sink: { table, requestTtl: 300000 }, connector, sinkId }).map((n) =>
        n.type === 'helper' ? { ...n, type: 'test-collect' } : n,
      );
      flow.push({ id: 'burst', type: 'test-burst', z: 'tab', x: 0, y: 0, wires: [[sinkId]] });
      seen.outcomes = new Map();
      seen.generation = 1;
      seen.burst = Array.from({ length: MESSAGES }, (_, i) => ({ payload: { id: `m${run}-${i}`, n: i } }) as NodeMessage);
      await helper.load([...SINK_NODES, testNodes], flow, CONNECTOR_CREDENTIALS);
      const first = helper.getNode(sinkId)!;
      const warnings: string[] = [];
      (first as unknown as { on(e: string, fn: (c: { args: unknown[] }) => void): void }).on('call:warn', (c) => warnings.push(String(c.args[0])));

      // The deploy is asked for 400 ms after the send and runs as soon as Node-RED's event loop
      // lets it (the send of 50,000 messages itself may take longer than that on a busy machine).
      const started = Date.now();
      let redeployAt = 0;
      let beforeClose = countOutcomes();
      const redeployed = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          redeployAt = Date.now() - started;
          beforeClose = countOutcomes();
          seen.generation = 2;
          (helper as unknown as { setFlows(f: unknown, type: string, c: unknown): Promise<void> })
            .setFlows(flow, 'full', CONNECTOR_CREDENTIALS)
            .catch(async (err: Error) => {
              // The helper waits only 300 ms for flows:started; on a busy machine the start may take longer.
              if (err.message !== 'timeout waiting event') throw err;
              await until('the new flow', () => helper.getNode(sinkId) !== null && helper.getNode(sinkId) !== first, 20000);
            })
            .then(resolve, reject);
        }, REDEPLOY_AFTER_MS);
      });
      helper.getNode('burst')!.receive({} as never);
      const sentMs = Date.now() - started;
      await redeployed;
      const redeployMs = Date.now() - started - redeployAt;
      const second = helper.getNode(sinkId)!;
      assert.notEqual(second, first, 'a new instance');

      // Every write has ended (counted); then every outcome must have reached a collector.
      const counters = () => (second as unknown as { runtime: { metrics(): { counters: Record<string, number> } } }).runtime.metrics().counters;
      const settled = () => {
        const c = counters();
        return c.matched === MESSAGES && c.queuing === 0 && c.inflight === 0;
      };
      await until('every write ended', settled, 120000).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(counters())}; outcomes ${JSON.stringify(countOutcomes())}`);
      });
      await until(`${MESSAGES} outcomes`, () => countOutcomes().total >= MESSAGES, 5000).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(countOutcomes())}; ${JSON.stringify(counters())}; warnings ${JSON.stringify(warnings)}`);
      });
      const doneMs = Date.now() - started;
      await sleep(500); // a second outcome for any message would show up by now
      const m = (await sinkMetrics(sinkId)).body.counters;
      const items = await countItems(server.url, table);
      const counts = countOutcomes();
      const handed = warnings.map((w) => /^(\d+) writes were still queued at close/.exec(w)).find(Boolean)?.[1] ?? '0';
      const summary =
        `run ${run}: ${MESSAGES} messages in one send (it returned after ${sentMs} ms), redeploy at ${redeployAt} ms (its stop and start took ${redeployMs} ms), all outcomes by ${doneMs} ms; ` +
        `outcomes on the first flow before the redeploy ${beforeClose.total}, on the first flow in all ${counts.flow1}, on the new flow ${counts.flow2} ` +
        `(${handed} handed over queued at close, so ~${Math.max(0, counts.flow2 - Number(handed))} finished by the closing node; ratio new/all ${(counts.flow2 / MESSAGES).toFixed(3)}); ` +
        `outputs ${counts.outputs}, caught ${counts.caught}, none ${MESSAGES - counts.distinct}, more than one ${counts.repeated}; ` +
        `counters ${JSON.stringify({ matched: m.matched, success: m.success, failed: m.failed, dropped: m.dropped, queuing: m.queuing, inflight: m.inflight, retried: m.retried })}; table ${items} items`;
      console.log(`      ${summary}`);
      summaries.push(summary);

      assert.equal(counts.repeated, 0, 'no message has two outcomes');
      assert.equal(counts.distinct, MESSAGES, 'every message has an outcome');
      assert.equal(counts.total, MESSAGES);
      assert.deepEqual([m.matched, m.queuing, m.inflight], [MESSAGES, 0, 0]);
      assert.ok(countersAddUp(m), `matched = success + failed + dropped + queuing + inflight: ${JSON.stringify(m)}`);
      assert.equal(m.success + m.failed + m.dropped, MESSAGES);
      assert.equal(counts.outputs, m.success + (m['dropped.condition'] ?? 0), 'an output for each write');
      assert.equal(counts.caught, m.failed + m.dropped - (m['dropped.condition'] ?? 0), 'a Catch for each failure or drop');
      assert.equal(items, MESSAGES, 'every item is in the table');
    });
  }

  function countOutcomes() {
    let total = 0;
    let repeated = 0;
    let outputs = 0;
    let caught = 0;
    let flow1 = 0;
    let flow2 = 0;
    for (const list of seen.outcomes.values()) {
      total += list.length;
      if (list.length > 1) repeated += 1;
      for (const o of list) {
        if (o.how === 'output') outputs += 1;
        else caught += 1;
        if (o.flow === 1) flow1 += 1;
        else flow2 += 1;
      }
    }
    return { total, distinct: seen.outcomes.size, repeated, outputs, caught, flow1, flow2 };
  }
});
