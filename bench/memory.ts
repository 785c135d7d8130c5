// Benchmark 4: process memory per 10,000 items queued in a dynamodb-sink while DynamoDB is
// down (the connector points at a port nothing listens on, so the writer is paused and holds
// everything). Messages are what rule-sql sends; memory is measured after a full GC (run with
// --expose-gc), as the slope over 10k..40k queued, in memory and in disk buffer mode.
import { freePort, TEST_CREDENTIALS, TEST_REGION } from '../test/support/dynamodb';
import { runBenchmark, counterNode, fmt, machineLine, nextTurn, startNodeRed, type EmbeddedNodeRed } from './embedded-node-red';

const STEP = 10000;
const STEPS = Number(process.env.BENCH_MEMORY_STEPS ?? 4);

interface Usage {
  heap: number;
  external: number;
  rss: number;
}

function measure(): Usage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

/** A message as rule-sql sends it for the end-to-end benchmark's statement. */
function ruleOutput(i: number): Record<string, unknown> {
  return {
    _msgid: `m${i.toString(16)}`,
    topic: `t/${i % 16}`,
    payload: { id: `mem-${i}`, seq: i, temp: 21 + (i % 10), published_at: 1767225600000 + i, clientid: `sensor-${i % 50}`, topic: `t/${i % 16}`, qos: 1, timestamp: 1767225600000 + i },
    rule: { id: 'rule', name: 'store', event: 'message.publish' },
  };
}

interface SinkView {
  runtime: { metrics(): { connection: string; queuedBytes: number; counters: Record<string, number> } };
}

async function queuedSlope(red: EmbeddedNodeRed, bufferMode: 'memory' | 'disk'): Promise<string[]> {
  const deadPort = await freePort();
  const z = `b4-${bufferMode}`;
  await red.deploy([
    { id: z, type: 'tab', label: `memory ${bufferMode}` },
    {
      id: `${z}-connector`, type: 'dynamodb-connector', name: 'down', url: `http://127.0.0.1:${deadPort}`, region: TEST_REGION,
      table: 'mqtt_msg', healthCheckInterval: 500, requestTimeout: 500, credentials: { ...TEST_CREDENTIALS },
    },
    {
      id: `${z}-sink`, type: 'dynamodb-sink', z, name: 'held', connector: `${z}-connector`, bufferMode,
      requestTtl: 3600000, maxBufferBytes: 2 ** 31, wires: [[`${z}-end`]],
    },
    counterNode(`${z}-end`, z),
  ]);
  const sink = red.node(`${z}-sink`) as unknown as SinkView & { receive(msg: Record<string, unknown>): void };
  const deadline = Date.now() + 20000;
  while (sink.runtime.metrics().connection !== 'down') {
    if (Date.now() > deadline) throw new Error('the connector did not report DynamoDB down');
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = measure();
  const lines: string[] = [];
  const points: { n: number; u: Usage; accounted: number }[] = [];
  for (let step = 1; step <= STEPS; step++) {
    for (let i = (step - 1) * STEP; i < step * STEP; i++) {
      sink.receive(ruleOutput(i));
      if (i % 1000 === 0) await nextTurn();
    }
    await nextTurn();
    const queued = sink.runtime.metrics().counters.queuing;
    if (queued !== step * STEP) throw new Error(`expected ${step * STEP} queued, the sink counts ${queued}`);
    points.push({ n: step * STEP, u: measure(), accounted: sink.runtime.metrics().queuedBytes });
  }
  const first = points[0];
  const last = points[points.length - 1];
  const per10k = (f: (u: Usage) => number) => ((f(last.u) - f(first.u)) / (last.n - first.n)) * STEP;
  const mb = (n: number) => `${fmt(n / 1048576, 1)} MB`;
  lines.push(`bufferMode ${bufferMode}: ${points.map((p) => `${fmt(p.n)} queued → heap+external ${mb(p.u.heap + p.u.external - base.heap - base.external)}`).join('; ')}`);
  lines.push(
    `  per 10,000 queued: heap ${mb(per10k((u) => u.heap))}, external ${mb(per10k((u) => u.external))}, rss ${mb(per10k((u) => u.rss))}` +
      ` (${fmt((per10k((u) => u.heap + u.external)) / STEP)} bytes per message); the sink's own accounting: ${mb(((last.accounted - first.accounted) / (last.n - first.n)) * STEP)} (counted against maxBufferBytes)`,
  );
  await red.deploy([]);
  return lines;
}

export async function benchMemory(): Promise<string[]> {
  const red = await startNodeRed();
  const lines = [
    `Benchmark 4: memory per 10,000 queued items, DynamoDB down (after full GC; slope from ${fmt(STEP)} to ${fmt(STEP * STEPS)} queued)`,
    machineLine(red.version),
  ];
  lines.push(...(await queuedSlope(red, 'memory')));
  lines.push(...(await queuedSlope(red, 'disk')));
  return lines;
}

if (require.main === module) runBenchmark(benchMemory);
