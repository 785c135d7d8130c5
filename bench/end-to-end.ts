// Benchmark 3 (and the peak of benchmark 4): MQTT QoS 1 publishes from another process through
// the `aedes broker` node → rule-sql → dynamodb-sink → DynamoDB Local, in one embedded Node-RED.
// Latency is publish → write: the sink's output message (sent after the write) minus the publish
// time the publisher put in the payload. A scan proves every message is in the table.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSeedTable, freePort, scanAll, startDynamoDbLocal, TEST_CREDENTIALS, TEST_REGION } from '../test/support/dynamodb';
import { runBenchmark, counterNode, fmt, machineLine, percentile, startNodeRed, type EmbeddedNodeRed } from './embedded-node-red';
import type { LoadReport } from './mqtt-load';
import { dynamoDbLocalPid } from './processes';

const BURST = Number(process.env.BENCH_E2E_MESSAGES ?? 20000);
const PACED_SECONDS = Number(process.env.BENCH_E2E_PACED_SECONDS ?? 15);
/** The paced run offers this share of the burst run's rate: a load the pipeline sustains. */
const PACED_SHARE = 0.7;
const WARM_UP = Number(process.env.BENCH_E2E_WARM_UP ?? 20000);
const SQL = 'SELECT payload.id as id, payload.seq as seq, payload.temp as temp, payload.ts as published_at, clientid, topic, qos, timestamp FROM "t/#"';

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN when unknown. */
function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

interface RunResult {
  messages: number;
  seconds: number;
  latencies: number[];
  stored: number;
  missing: number;
  publish: LoadReport;
  /** CPU cores used on average while the run lasted, per process. */
  cores: { nodeRed: number; dynamo: number };
  /** Node-RED process CPU time per message written, µs (broker, rule, sink, SDK and HTTP together). */
  cpuPerMessage: number;
  peakRss: number;
  peakHeap: number;
}

function publisher(port: number, count: number, rate: number | 'max', prefix: string): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'mqtt-load.ts'), String(port), String(count), String(rate), prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadReport) : reject(new Error(`publisher exited with code ${code}`))));
  });
}

async function run(red: EmbeddedNodeRed, dynamoPid: number | undefined, dynamoUrl: string, table: string, count: number, rate: number | 'max', prefix: string): Promise<RunResult> {
  const mqttPort = await freePort();
  const z = 'b3';
  await red.deploy([
    { id: z, type: 'tab', label: 'end to end' },
    { id: 'b3-broker', type: 'aedes broker', z, name: 'broker', mqtt_port: mqttPort, mqtt_ws_bind: 'port', mqtt_ws_port: '', usetls: false, wires: [[], ['b3-rule']] },
    { id: 'b3-rule', type: 'rule-sql', z, name: 'store', sql: SQL, wires: [['b3-sink']] },
    { id: 'b3-connector', type: 'dynamodb-connector', name: 'local', url: dynamoUrl, region: TEST_REGION, table, credentials: { ...TEST_CREDENTIALS } },
    { id: 'b3-sink', type: 'dynamodb-sink', z, name: 'store', connector: 'b3-connector', wires: [['b3-end']] },
    counterNode('b3-end', z),
  ]);
  const latencies: number[] = [];
  let lastWrite = 0;
  red.node('b3-end').on('input', (msg) => {
    lastWrite = Date.now();
    latencies.push(lastWrite - Number((msg.payload as { published_at: number }).published_at));
  });
  let peakRss = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  const started = Date.now();
  const cpuBefore = { nodeRed: process.cpuUsage(), dynamo: cpuSecondsOf(dynamoPid) };
  const publish = await publisher(mqttPort, count, rate, prefix);
  const deadline = Date.now() + 120000;
  while (latencies.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  clearInterval(sampler);
  const wall = (Date.now() - started) / 1000;
  const ownCpu = process.cpuUsage(cpuBefore.nodeRed);
  const cores = { nodeRed: (ownCpu.user + ownCpu.system) / 1e6 / wall, dynamo: (cpuSecondsOf(dynamoPid) - cpuBefore.dynamo) / wall };
  const items = await scanAll(dynamoUrl, table);
  const ids = new Set(items.map((item) => item.id?.S));
  let missing = 0;
  for (let seq = 0; seq < count; seq++) if (!ids.has(`${prefix}-${seq}`)) missing += 1;
  return {
    messages: count,
    seconds: (lastWrite - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    stored: items.length,
    missing,
    publish,
    cores,
    cpuPerMessage: ((ownCpu.user + ownCpu.system) / Math.max(1, latencies.length)),
    peakRss,
    peakHeap,
  };
}

function describe(label: string, r: RunResult): string[] {
  const mb = (n: number) => `${fmt(n / 1048576, 1)} MB`;
  return [
    `${label}:`,
    `  published ${fmt(r.publish.published)} (QoS 1, all acknowledged: ${r.publish.acked === r.messages}) in ${fmt(r.publish.seconds, 2)} s = ${fmt(r.messages / r.publish.seconds)} msgs/s offered`,
    `  written ${fmt(r.latencies.length)} in ${fmt(r.seconds, 2)} s from the first publish = ${fmt(r.latencies.length / r.seconds)} msgs/s sustained`,
    `  latency publish → write: p50 ${fmt(percentile(r.latencies, 50))} ms, p99 ${fmt(percentile(r.latencies, 99))} ms, max ${fmt(r.latencies[r.latencies.length - 1] ?? NaN)} ms`,
    `  table scan: ${fmt(r.stored)} items, ${r.missing} of the ${fmt(r.messages)} published ids missing → ${r.stored === r.messages && r.missing === 0 ? 'every message is in the table' : 'MESSAGES MISSING'}`,
    `  Node-RED process peak: rss ${mb(r.peakRss)}, heap used ${mb(r.peakHeap)}`,
    `  CPU cores used while it ran: Node-RED process ${r.cores.nodeRed.toFixed(2)}, DynamoDB Local ${r.cores.dynamo.toFixed(2)} (of 2; the publisher and other processes use the rest); Node-RED CPU per message ${fmt(r.cpuPerMessage)} µs`,
  ];
}

export async function benchEndToEnd(): Promise<string[]> {
  const red = await startNodeRed();
  const dynamo = await startDynamoDbLocal();
  const dynamoPid = dynamoDbLocalPid(dynamo.port);
  const lines = [
    `Benchmark 3: end to end — MQTT QoS 1 (publisher process) → aedes broker node → rule-sql → dynamodb-sink (defaults) → DynamoDB Local`,
    machineLine(red.version),
    `statement: ${SQL}`,
  ];
  try {
    let table = 0;
    const fresh = async () => {
      const t = `e2e_${++table}`;
      await createSeedTable(dynamo.url, t);
      return t;
    };
    // Warm-up, not reported: the JIT here and in DynamoDB Local's JVM (which needs thousands of requests).
    await run(red, dynamoPid, dynamo.url, await fresh(), WARM_UP, 'max', 'warm');
    const burst = await run(red, dynamoPid, dynamo.url, await fresh(), BURST, 'max', 'burst');
    lines.push(...describe(`burst: ${fmt(BURST)} messages as fast as the broker acknowledges`, burst));
    const rate = Math.max(100, Math.round((burst.latencies.length / burst.seconds) * PACED_SHARE / 100) * 100);
    const paced = await run(red, dynamoPid, dynamo.url, await fresh(), rate * PACED_SECONDS, rate, 'paced');
    lines.push(...describe(`paced: ${fmt(rate)} msgs/s (${PACED_SHARE * 100}% of the burst's write rate) for ${PACED_SECONDS} s`, paced));
  } finally {
    await red.deploy([]);
    await dynamo.stop();
  }
  return lines;
}

if (require.main === module) runBenchmark(benchEndToEnd);
