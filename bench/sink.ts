// Benchmark 2: items/s into DynamoDB Local and into dynalite, in one run per server, for
// (a) the raw SDK sending BatchWriteItem of 25 with the sink's concurrency (the limit),
// (b) our dynamodb-sink in a Node-RED flow, counted at its output (after the write), and
// (c) one PutItem per message, as the existing Node-RED DynamoDB nodes send, with the same
//     concurrency (more than those nodes get: they have no in-flight bound and no socket pool);
// and a burst: (d) the raw SDK writing BURST_ITEMS items in BatchWriteItem calls of 25 with 16 in
// flight vs (e) a function node handing the sink the same rows all at once (issue 14), with
// (f) the same function node handing them to a node that does nothing: Node-RED's own hand-over,
// during which no answer from DynamoDB can be read, so it bounds (e) against (d).
// (a) and (c) use the same client settings as the connector (poolSize 8, keep-alive, no SDK
// retries) and items encoded before the clock starts; (b) encodes inside the flow.
import { BatchWriteItemCommand, DeleteTableCommand, PutItemCommand, type BatchWriteItemCommandOutput, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../src/dynamo/connection/client';
import { CONNECTOR_DEFAULTS } from '../src/dynamo/connection/connector';
import { encodeItem } from '../src/dynamo/item/encoding';
import { SINK_DEFAULTS } from '../src/nodes/dynamodb-sink/config';
import { execFileSync, spawn } from 'node:child_process';
import { createSeedTable, freePort, startDynamoDbLocal, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../test/support/dynamodb';
import { waitForPort } from '../scripts/net';
import { behindRoundTrip } from './latency-proxy';
import { runBenchmark, counterNode, fmt, machineLine, median, nextTurn, onEachBackend, startNodeRed, type Backend, type EmbeddedNodeRed } from './embedded-node-red';
import { dynamoDbLocalPid } from './processes';

const ITEMS = Number(process.env.BENCH_SINK_ITEMS ?? 10000);
/** Rows one function node hands the sink at once in the burst variants (d)/(e). */
const BURST_ITEMS = Number(process.env.BENCH_BURST_ITEMS ?? 20000);
const PUT_ITEMS = Number(process.env.BENCH_PUT_ITEMS ?? Math.max(1000, ITEMS / 4));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Rounds run first and not counted. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONCURRENCY = SINK_DEFAULTS.inflightWindow;
const POOL = CONNECTOR_DEFAULTS.poolSize;
/** Messages handed to the sink but not yet written: a producer that keeps the sink's queue full. */
const SINK_WINDOW = 2000;
/** A round trip to DynamoDB in the same AWS region is a few ms; this models one. */
const ROUND_TRIP_MS = Number(process.env.BENCH_ROUND_TRIP_MS ?? 5);

type Row = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

/** A row as `rule-sql` gives it for `SELECT id, payload.temp as temp, clientid, topic, timestamp, payload`. */
function rowFor(run: string, i: number): Row {
  const payload = { temp: 15 + (i % 20), hum: 40 + (i % 7), seq: i };
  return { id: `${run}-${i}`, temp: payload.temp, clientid: `sensor-${i % 50}`, topic: `t/${i % 10}`, timestamp: 1767225600000 + i, payload: JSON.stringify(payload) };
}

const encode = (row: Row): Item => encodeItem(row, { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' });

function client(url: string) {
  return createDynamoClient({ ...CONNECTOR_DEFAULTS, url, region: TEST_REGION }, { ...TEST_CREDENTIALS });
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` at once. */
async function withConcurrency(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function rawBatches(url: string, table: string, run: string, count = ITEMS): Promise<number> {
  const items = Array.from({ length: count }, (_, i) => encode(rowFor(run, i)));
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
  const c = client(url);
  try {
    const started = process.hrtime.bigint();
    await withConcurrency(batches.length, CONCURRENCY, async (b) => {
      let pending: WriteRequest[] | undefined = batches[b];
      while (pending && pending.length > 0) {
        const out: BatchWriteItemCommandOutput = await c.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = out.UnprocessedItems?.[table];
      }
    });
    return count / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    c.destroy();
  }
}

async function putPerMessage(url: string, table: string, run: string): Promise<number> {
  const items = Array.from({ length: PUT_ITEMS }, (_, i) => encode(rowFor(run, i)));
  const c = client(url);
  try {
    const started = process.hrtime.bigint();
    await withConcurrency(items.length, CONCURRENCY, async (i) => {
      await c.send(new PutItemCommand({ TableName: table, Item: items[i] }));
    });
    return PUT_ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    c.destroy();
  }
}

async function sinkInFlow(red: EmbeddedNodeRed, url: string, table: string, run: string): Promise<number> {
  const z = 'b2';
  await red.deploy([
    { id: z, type: 'tab', label: 'sink bench' },
    { id: 'b2-connector', type: 'dynamodb-connector', name: 'bench', url, region: TEST_REGION, table, credentials: { ...TEST_CREDENTIALS } },
    { id: 'b2-sink', type: 'dynamodb-sink', z, name: 'bench', connector: 'b2-connector', wires: [['b2-end']] },
    counterNode('b2-end', z),
  ]);
  let written = 0;
  red.node('b2-end').on('input', () => {
    written += 1;
  });
  const sink = red.node('b2-sink');
  const countersNow = () => (sink as unknown as { runtime: { metrics(): { counters: Record<string, number> } } }).runtime.metrics().counters;
  // A sink's counters live on across redeploys of the same node id: look at this round's share.
  const before = countersNow();
  const messages = Array.from({ length: ITEMS }, (_, i) => ({ topic: `t/${i % 10}`, payload: rowFor(run, i) }));
  const started = process.hrtime.bigint();
  let sent = 0;
  while (sent < ITEMS) {
    while (sent < ITEMS && sent - written < SINK_WINDOW) sink.receive(messages[sent++]);
    await nextTurn();
  }
  while (written < ITEMS) await new Promise((r) => setTimeout(r, 1));
  const rate = ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
  const after = countersNow();
  const success = after.success - before.success;
  const retried = after.retried - before.retried;
  if (success !== ITEMS || retried > 0) sinkAnomalies.push(`round ${run}: success ${success}, retried ${retried}`);
  return rate;
}

/**
 * The same rows as rowFor(), built by a function node that sends them all at once (one
 * node.send of BURST_ITEMS messages): a burst the sink must queue and drain by itself.
 */
const BURST_FUNCTION = `
const out = [];
for (let i = 0; i < msg.count; i++) {
  const payload = { temp: 15 + (i % 20), hum: 40 + (i % 7), seq: i };
  out.push({ topic: 't/' + (i % 10), payload: { id: msg.run + '-' + i, temp: payload.temp, clientid: 'sensor-' + (i % 50), topic: 't/' + (i % 10), timestamp: 1767225600000 + i, payload: JSON.stringify(payload) } });
}
node.send([out]);
return null;`;

/** Resolves once `count` messages have reached the node `id`. */
function arrivals(red: EmbeddedNodeRed, id: string, count: number): Promise<void> {
  let arrived = 0;
  return new Promise<void>((resolve) => {
    red.node(id).on('input', () => {
      if (++arrived === count) resolve();
    });
  });
}

async function sinkBurst(red: EmbeddedNodeRed, url: string, table: string, run: string): Promise<number> {
  const z = 'b3';
  await red.deploy([
    { id: z, type: 'tab', label: 'sink burst bench' },
    { id: 'b3-connector', type: 'dynamodb-connector', name: 'bench', url, region: TEST_REGION, table, credentials: { ...TEST_CREDENTIALS } },
    { id: 'b3-fn', type: 'function', z, name: 'burst', func: BURST_FUNCTION, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['b3-sink']] },
    { id: 'b3-sink', type: 'dynamodb-sink', z, name: 'bench', connector: 'b3-connector', wires: [['b3-end']] },
    counterNode('b3-end', z),
  ]);
  const done = arrivals(red, 'b3-end', BURST_ITEMS);
  const countersNow = () => (red.node('b3-sink') as unknown as { runtime: { metrics(): { counters: Record<string, number> } } }).runtime.metrics().counters;
  // A sink's counters live on across redeploys of the same node id: look at this round's share.
  const before = countersNow();
  const started = process.hrtime.bigint();
  red.node('b3-fn').receive({ run, count: BURST_ITEMS });
  await done;
  const rate = BURST_ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
  const after = countersNow();
  const success = after.success - before.success;
  const retried = after.retried - before.retried;
  if (success !== BURST_ITEMS || retried > 0) sinkAnomalies.push(`burst round ${run}: success ${success}, retried ${retried}`);
  return rate;
}

/**
 * (f): the burst of (e) from the same function node to a debug node that does nothing with it,
 * timed until the last message arrives. Node-RED builds, clones and delivers the 20,000 messages
 * in runs the event loop does not leave, so no node, the sink included, can read an answer from
 * DynamoDB meanwhile: (e) cannot take less than about (d)'s time plus this.
 */
async function handOver(red: EmbeddedNodeRed, run: string): Promise<number> {
  const z = 'b4';
  await red.deploy([
    { id: z, type: 'tab', label: 'hand-over bench' },
    { id: 'b4-fn', type: 'function', z, name: 'burst', func: BURST_FUNCTION, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['b4-end']] },
    counterNode('b4-end', z),
  ]);
  const done = arrivals(red, 'b4-end', BURST_ITEMS);
  const started = process.hrtime.bigint();
  red.node('b4-fn').receive({ run, count: BURST_ITEMS });
  await done;
  return BURST_ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Sink rounds whose counters were not simply ITEMS successes (retries would explain a slow round). */
const sinkAnomalies: string[] = [];

async function benchOneServer(red: EmbeddedNodeRed, name: string, server: DynamoServer): Promise<string[]> {
  type Variant = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
  const rates: Record<Variant, number[]> = { a: [], b: [], c: [], d: [], e: [], f: [] };
  /** This process's CPU per item written (µs): what the client side costs, competing with the server for the cores. */
  const cpu: Record<Variant, number[]> = { a: [], b: [], c: [], d: [], e: [], f: [] };
  const itemsOf = { a: ITEMS, b: ITEMS, c: PUT_ITEMS, d: BURST_ITEMS, e: BURST_ITEMS, f: BURST_ITEMS };
  let table = 0;
  const fresh = async () => {
    const t = `bench_${++table}`;
    await createSeedTable(server.url, t);
    return t;
  };
  // Each variant writes into a new table, deleted afterwards: a server whose store keeps growing
  // (dynalite keeps every table in one in-memory tree, with its GC cost) would slow later runs.
  const withTable = async (work: (table: string) => Promise<number>) => {
    const table = await fresh();
    try {
      return await work(table);
    } finally {
      const c = client(server.url);
      await c.send(new DeleteTableCommand({ TableName: table })).finally(() => c.destroy());
    }
  };
  const variants = {
    a: (round: number) => withTable((t) => rawBatches(server.url, t, `a${round}`)),
    b: (round: number) => withTable((t) => sinkInFlow(red, server.url, t, `b${round}`)),
    c: (round: number) => withTable((t) => putPerMessage(server.url, t, `c${round}`)),
    d: (round: number) => withTable((t) => rawBatches(server.url, t, `d${round}`, BURST_ITEMS)),
    e: (round: number) => withTable((t) => sinkBurst(red, server.url, t, `e${round}`)),
    f: (round: number) => handOver(red, `f${round}`),
  };
  sinkAnomalies.length = 0;
  // Rounds before WARMUP warm up the JIT, the server and its connections; they are not counted
  // (after one, the burst's first counted round was still the slowest of every run, the raw
  // SDK's too: V8 and dynalite were still compiling). The order rotates so that no variant
  // always meets the server's store at the same size.
  // BENCH_SINK_VARIANTS=b runs only the sink (for a CPU profile of its path alone); =def the burst.
  const order = (['a', 'b', 'c', 'd', 'e', 'f'] as const).filter((v) => (process.env.BENCH_SINK_VARIANTS ?? 'abcde').includes(v));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (let k = 0; k < order.length; k++) {
      const v = order[(k + round) % order.length];
      const before = process.cpuUsage();
      const rate = await variants[v](round);
      const used = process.cpuUsage(before);
      if (round >= WARMUP) {
        rates[v].push(rate);
        cpu[v].push((used.user + used.system) / itemsOf[v]);
      }
    }
  }
  const [a, b, c, d, e, f] = [median(rates.a), median(rates.b), median(rates.c), median(rates.d), median(rates.e), median(rates.f)];
  /** (d)'s time plus (f)'s: the least (e) can take, as a ratio to (d). */
  const ceiling = 1 / d / (1 / d + 1 / f);
  const ms = (rate: number) => `${fmt((BURST_ITEMS / rate) * 1000)} ms`;
  const list = (xs: number[]) => xs.map((x) => fmt(x)).join(', ');
  const us = (v: Variant) => `${fmt(median(cpu[v]))} µs CPU/item here`;
  const ran = (v: Variant) => rates[v].length > 0;
  return [
    `${name}:`,
    `  (a) raw SDK BatchWriteItem ×25, ${CONCURRENCY} in flight  ${fmt(a).padStart(7)} items/s   ${us('a')}   (rounds: ${list(rates.a)})`,
    `  (b) dynamodb-sink in a flow (defaults)           ${fmt(b).padStart(7)} items/s   ${(b / a).toFixed(2)} × (a), ${(b / c).toFixed(1)} × (c)   ${us('b')}   (rounds: ${list(rates.b)})`,
    `  (c) one PutItem per message, ${CONCURRENCY} in flight      ${fmt(c).padStart(7)} items/s   ${us('c')}   (rounds: ${list(rates.c)})`,
    `  target (b) >= 0.85 × (a): ${b / a >= 0.85 ? 'MET' : 'NOT MET'}; (b) >= 5 × (c): ${b / c >= 5 ? 'MET' : 'NOT MET'}; (a)/(c), the most batching can give here: ${(a / c).toFixed(1)}`,
    `  CPU per item, sink (b) / raw SDK (a): ${(median(cpu.b) / median(cpu.a)).toFixed(2)} ×`,
    ...(ran('d') || ran('e')
      ? [
          `  burst: ${BURST_ITEMS} rows at once`,
          `  (d) raw SDK BatchWriteItem ×25, ${CONCURRENCY} in flight  ${fmt(d).padStart(7)} items/s   ${us('d')}   (rounds: ${list(rates.d)})`,
          `  (e) function node → dynamodb-sink (defaults)     ${fmt(e).padStart(7)} items/s   ${(e / d).toFixed(2)} × (d)   ${us('e')}   (rounds: ${list(rates.e)})`,
          `  target (e) >= 0.9 × (d): ${e / d >= 0.9 ? 'MET' : 'NOT MET'}; CPU per item (e) / (d): ${(median(cpu.e) / median(cpu.d)).toFixed(2)} ×`,
          ...(ran('f')
            ? [
                `  (f) function node → a node that does nothing: Node-RED's hand-over alone ${ms(f)}   (rounds: ${rates.f.map(ms).join(', ')})`,
                `  ceiling for (e): (d)'s ${ms(d)} + (f)'s ${ms(f)}, when the sink costs nothing else = ${ceiling.toFixed(2)} × (d); (e) reaches ${(e / d / ceiling).toFixed(2)} of it`,
              ]
            : []),
        ]
      : []),
    ...(sinkAnomalies.length > 0 ? [`  sink rounds with retries or failures: ${sinkAnomalies.join('; ')}`] : []),
  ];
}

/**
 * dynalite in its own process (its CLI), as DynamoDB Local is: in this process it would share
 * the event loop with Node-RED and measure itself as much as the sink.
 */
export async function startDynaliteProcess(): Promise<DynamoServer> {
  const port = await freePort();
  const cli = require.resolve('dynalite/cli.js');
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 15000);
  if (child.pid) pinToServerCore(child.pid);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * BENCH_PIN=1: this process on core 0, the DynamoDB server (all its threads) on core 1, so that
 * client and server stop taking CPU from each other (other processes on the machine still can).
 */
const PIN = process.env.BENCH_PIN === '1';
function pinToServerCore(pid: number): void {
  if (PIN) execFileSync('taskset', ['-a', '-cp', '1', String(pid)], { stdio: 'ignore' });
}

async function startDynamoDbLocalPinned(): Promise<DynamoServer> {
  const server = await startDynamoDbLocal();
  const pid = dynamoDbLocalPid(server.port);
  if (pid) pinToServerCore(pid);
  return server;
}

export async function benchSink(): Promise<string[]> {
  if (PIN) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const red = await startNodeRed();
  const lines = [
    `Benchmark 2: sink vs the limit and the peers — ${ITEMS} items per (a)/(b) round, ${PUT_ITEMS} per (c) round, ${ROUNDS} rounds (+${WARMUP} warm-up), median items/s`,
    machineLine(red.version),
    `items: 6 attributes, ~150 bytes, emqx encoding; poolSize ${POOL}, servers in their own processes on this machine${PIN ? '; pinned: this process on core 0, the server on core 1' : ''}`,
  ];
  const backends: Backend[] = [
    ['dynamodb-local', 'DynamoDB Local (java, -inMemory)', startDynamoDbLocalPinned],
    ['dynalite', 'dynalite (own process)', startDynaliteProcess],
    [
      'round-trip', `DynamoDB Local behind a ${ROUND_TRIP_MS} ms round trip (delay proxy, own process)`,
      async () => behindRoundTrip(await startDynamoDbLocalPinned(), ROUND_TRIP_MS),
    ],
  ];
  lines.push(...(await onEachBackend(red, backends, 'dynamodb-local,dynalite,round-trip', (label, server) => benchOneServer(red, label, server))));
  return lines;
}

if (require.main === module) runBenchmark(benchSink);
