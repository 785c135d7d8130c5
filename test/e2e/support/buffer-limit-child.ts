// Run as its own process (node --expose-gc): a flow with a dynamodb-sink whose DynamoDB is
// unreachable receives twice maxBufferBytes of messages; prints the heap growth (after the Catch
// node got every dropped message) as JSON.
import { freePort } from '../../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, type SinkWatch, helper, sinkFlow, until, watchSink } from '../../support/sink-flow';

const gc = (globalThis as { gc?: () => void }).gc;

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  const maxBufferBytes = Number(process.argv[2] ?? 16 * 1024 * 1024);
  const port = await freePort();
  await helper.startServer();
  await helper.load(
    SINK_NODES,
    sinkFlow({ url: `http://127.0.0.1:${port}`, sink: { table: 'mem', maxBufferBytes, requestTtl: 600000 }, sinkId: 'mem' }),
    CONNECTOR_CREDENTIALS,
  );
  const w = watchSink('mem');
  // Every dropped message reaches the Catch node: count them, keep none.
  let caught = 0;
  w.caught = { push: () => (caught += 1) } as unknown as SinkWatch['caught'];
  // The helper's sinon spies on Node.prototype keep every call's arguments and an Error for its
  // stack (every message): remove them, so the heap shows what the sink keeps, not what the test
  // harness records. restore() puts Node.prototype back, but Node-RED copied the spied `send` onto
  // each wired node when the flow started (Node.updateWires: this.send = Node.prototype.send), so
  // the Catch node would still record each caught message (~128 MB for 31,000 drops): undo those too.
  const internals = helper as unknown as { _sandbox: { restore(): void }; _NodePrototype: { send: unknown } };
  internals._sandbox.restore();
  for (const id of ['mem', 'out', 'catch', 'caught']) {
    const node = helper.getNode(id) as unknown as { send: unknown };
    if (typeof (node.send as { getCalls?: unknown }).getCalls === 'function') node.send = internals._NodePrototype.send;
  }
  const sinkWarn = w.sink.warn.bind(w.sink);
  w.sink.warn = (text: unknown) => {
    w.warnings.push(String(text));
    sinkWarn(text);
  };
  await until('down', () => (w.sink as any).runtime.metrics().connection === 'down', 10000);
  const baseline = settledHeap();
  // Rows like rule-sql's: a dozen columns, ~1 KB of JSON each.
  let sentBytes = 0;
  let i = 0;
  while (sentBytes < 2 * maxBufferBytes) {
    const payload = {
      id: `m${i}`,
      clientid: `client-${i % 100}`,
      topic: `t/${i % 10}`,
      qos: 1,
      timestamp: Date.now(),
      payload: JSON.stringify({ temperature: 20 + (i % 10), humidity: 40, note: 'x'.repeat(700) }),
      node: 'emqx@127.0.0.1',
    };
    sentBytes += JSON.stringify(payload).length;
    w.send({ payload, topic: payload.topic });
    i += 1;
    if (i % 2000 === 0) await new Promise((r) => setImmediate(r));
  }
  await until('drop burst logged', () => w.warnings.some((t) => /queue full/.test(t)), 10000);
  const dropped = (w.sink as any).runtime.metrics().counters['dropped.queue_full'];
  await until('drops caught', () => caught >= dropped, 20000);
  const after = settledHeap();
  const m = (w.sink as any).runtime.metrics();
  await new Promise((r) => setTimeout(r, 1500));
  process.stdout.write(
    JSON.stringify({
      maxBufferBytes,
      caught,
      messages: i,
      sentBytes,
      growth: after - baseline,
      queuedBytes: m.queuedBytes,
      counters: m.counters,
      queueFullWarnings: w.warnings.filter((t) => /queue full/.test(t)).length,
      rss: process.memoryUsage().rss,
    }) + '\n',
  );
  await helper.unload();
  await helper.stopServer();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
