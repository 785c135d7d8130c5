// Benchmark (issue 12): what update expressions and conditions cost in throughput. The same rows
// go through dynamodb-sink in an embedded Node-RED, counted at its output (after the write), as
// (a) plain puts, batched (BatchWriteItem ×25), the sink's default and the baseline;
// (b) conditional puts (only newer: attribute_not_exists(id) OR ts < ${ts}), PutItem each;
// (c) updates, idempotent (SET last_temp, last_seen), UpdateItem each;
// (d) counter updates (SET ... ADD msg_count 1), TransactWriteItems with a token each;
// and (e) one PutItem per message from the raw SDK with the sink's concurrency, as the existing
// Node-RED DynamoDB nodes send. All in the same run, per server: ratios against (a) and (e).
// Rows update DEVICES device items (as a device-state table does), with a growing ts so that
// conditions hold; writes to one key go one at a time, so DEVICES bounds the concurrency too.
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../src/dynamo/connection/client';
import { CONNECTOR_DEFAULTS } from '../src/dynamo/connection/connector';
import { encodeItem } from '../src/dynamo/item/encoding';
import { SINK_DEFAULTS } from '../src/nodes/dynamodb-sink/config';
import { createSeedTable, startDynamoDbLocal, TEST_CREDENTIALS, TEST_REGION, type DynamoServer } from '../test/support/dynamodb';
import { behindRoundTrip } from './latency-proxy';
import { counterNode, fmt, machineLine, median, nextTurn, onEachBackend, runBenchmark, startNodeRed, type Backend, type EmbeddedNodeRed } from './embedded-node-red';

const ITEMS = Number(process.env.BENCH_WRITES_ITEMS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEVICES = Number(process.env.BENCH_WRITES_DEVICES ?? 200);
const ROUND_TRIP_MS = Number(process.env.BENCH_ROUND_TRIP_MS ?? 5);
const CONCURRENCY = SINK_DEFAULTS.inflightWindow;
/** Messages handed to the sink but not yet written. */
const SINK_WINDOW = 2000;

type Row = Record<string, unknown>;

function rowFor(run: string, i: number): Row {
  const payload = { temp: 15 + (i % 20), hum: 40 + (i % 7), seq: i };
  return { id: `${run}-dev${i % DEVICES}`, ts: i, temp: payload.temp, clientid: `sensor-${i % DEVICES}`, timestamp: 1767225600000 + i, payload: JSON.stringify(payload) };
}

const VARIANTS = {
  a: { label: 'plain puts, batched (BatchWriteItem)', sink: {} },
  b: { label: 'conditional puts, only newer (PutItem)', sink: { condition: 'attribute_not_exists(id) OR ts < ${ts}' } },
  c: { label: 'updates, SET only (UpdateItem)', sink: { operation: 'update', updateExpression: 'SET last_temp = ${temp}, last_seen = ${timestamp}' } },
  d: {
    label: 'counter updates, ADD (TransactWriteItems)',
    sink: { operation: 'update', updateExpression: 'SET last_temp = ${temp}, last_seen = ${timestamp}, first_seen = if_not_exists(first_seen, ${timestamp}) ADD msg_count 1' },
  },
} as const;
type SinkVariant = keyof typeof VARIANTS;

async function sinkRate(red: EmbeddedNodeRed, url: string, table: string, run: string, v: SinkVariant): Promise<number> {
  const z = 'w1';
  await red.deploy([
    { id: z, type: 'tab', label: 'writes bench' },
    { id: 'w1-connector', type: 'dynamodb-connector', name: 'bench', url, region: TEST_REGION, table, credentials: { ...TEST_CREDENTIALS } },
    { id: `w1-sink-${v}`, type: 'dynamodb-sink', z, name: 'bench', connector: 'w1-connector', ...VARIANTS[v].sink, wires: [['w1-end']] },
    counterNode('w1-end', z),
  ]);
  let written = 0;
  red.node('w1-end').on('input', () => {
    written += 1;
  });
  const sink = red.node(`w1-sink-${v}`);
  const messages = Array.from({ length: ITEMS }, (_, i) => ({ payload: rowFor(run, i) }));
  const started = process.hrtime.bigint();
  let sent = 0;
  while (sent < ITEMS) {
    while (sent < ITEMS && sent - written < SINK_WINDOW) sink.receive(messages[sent++]);
    await nextTurn();
  }
  while (written < ITEMS) await new Promise((r) => setTimeout(r, 1));
  const rate = ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
  const counters = (sink as unknown as { runtime: { metrics(): { counters: Record<string, number> } } }).runtime.metrics().counters;
  if (counters.success !== ITEMS) anomalies.push(`${v} ${run}: ${JSON.stringify(counters)}`);
  return rate;
}

async function putPerMessage(url: string, table: string, run: string): Promise<number> {
  const items = Array.from({ length: ITEMS }, (_, i) => encodeItem(rowFor(run, i), { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' }));
  const c = client(url);
  try {
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < items.length) await c.send(new PutItemCommand({ TableName: table, Item: items[next++] }));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return ITEMS / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    c.destroy();
  }
}

function client(url: string) {
  return createDynamoClient({ ...CONNECTOR_DEFAULTS, url, region: TEST_REGION }, { ...TEST_CREDENTIALS });
}

const anomalies: string[] = [];

async function benchOneServer(red: EmbeddedNodeRed, name: string, server: DynamoServer): Promise<string[]> {
  type Variant = SinkVariant | 'e';
  const order: Variant[] = ['a', 'b', 'c', 'd', 'e'];
  const rates: Record<Variant, number[]> = { a: [], b: [], c: [], d: [], e: [] };
  let tables = 0;
  const withTable = async (work: (table: string) => Promise<number>) => {
    const table = `writes_${++tables}`;
    await createSeedTable(server.url, table);
    try {
      return await work(table);
    } finally {
      const c = client(server.url);
      await c.send(new DeleteTableCommand({ TableName: table })).finally(() => c.destroy());
    }
  };
  anomalies.length = 0;
  // Round 0 warms up (not counted); the order rotates so no variant always runs first.
  for (let round = 0; round <= ROUNDS; round++) {
    for (let k = 0; k < order.length; k++) {
      const v = order[(k + round) % order.length];
      const rate = await withTable((t) => (v === 'e' ? putPerMessage(server.url, t, `e${round}`) : sinkRate(red, server.url, t, `${v}${round}`, v)));
      if (round > 0) rates[v].push(rate);
    }
  }
  const m = Object.fromEntries(order.map((v) => [v, median(rates[v])])) as Record<Variant, number>;
  const list = (v: Variant) => rates[v].map((x) => fmt(x)).join(', ');
  const line = (v: SinkVariant) =>
    `  (${v}) ${VARIANTS[v].label.padEnd(44)} ${fmt(m[v]).padStart(7)} msg/s   ${(m[v] / m.a).toFixed(2)} × (a)   ${(m[v] / m.e).toFixed(2)} × (e)   (rounds: ${list(v)})`;
  return [
    `${name}:`,
    line('a'),
    line('b'),
    line('c'),
    line('d'),
    `  (e) one PutItem per message, raw SDK, ${CONCURRENCY} in flight  ${fmt(m.e).padStart(7)} msg/s   ${(m.e / m.a).toFixed(2)} × (a)   (rounds: ${list('e')})`,
    ...(anomalies.length > 0 ? [`  rounds that did not write every message: ${anomalies.join('; ')}`] : []),
  ];
}

export async function benchWrites(): Promise<string[]> {
  const red = await startNodeRed();
  const lines = [
    `Benchmark (issue 12): update expressions and conditions against batched puts — ${ITEMS} messages over ${DEVICES} device keys per round, ${ROUNDS} rounds (+1 warm-up), median messages/s`,
    machineLine(red.version),
    `sink defaults (batchSize 25, inflightWindow ${CONCURRENCY}), emqx encoding; servers in their own processes on this machine`,
  ];
  const backends: Backend[] = [
    ['dynamodb-local', 'DynamoDB Local (java, -inMemory)', () => startDynamoDbLocal()],
    ['round-trip', `DynamoDB Local behind a ${ROUND_TRIP_MS} ms round trip (delay proxy, own process)`, async () => behindRoundTrip(await startDynamoDbLocal(), ROUND_TRIP_MS)],
  ];
  lines.push(...(await onEachBackend(red, backends, 'dynamodb-local,round-trip', (label, server) => benchOneServer(red, label, server))));
  return lines;
}

if (require.main === module) runBenchmark(benchWrites);
