// Benchmark 1: our rule-sql node against what a Node-RED user writes instead, for the same
// transformation, in one embedded Node-RED in one run: messages/s pushed through each flow and
// its ratio to the function node. Two input forms, since `mqtt in` gives either: JSON text
// (string/Buffer output, and what the aedes broker node gives) or a parsed object (auto-detect).
import { runBenchmark, counterNode, fmt, machineLine, median, nextTurn, startNodeRed, type EmbeddedNodeRed, type FlowNode } from './embedded-node-red';

const SQL = 'SELECT payload.temp as temp, clientid, timestamp FROM "t/#" WHERE payload.temp > 20';

// What a user writes in a function node for the same statement.
const FUNCTION_CODE = [
  'const p = typeof msg.payload === "object" && !Buffer.isBuffer(msg.payload) ? msg.payload : JSON.parse(msg.payload);',
  'if (!(p.temp > 20)) return null;',
  'msg.payload = { temp: p.temp, clientid: msg.clientid, timestamp: Date.now() };',
  'return msg;',
].join('\n');

const JSONATA = '{ "temp": payload.temp, "clientid": clientid, "timestamp": $millis() }';

const MESSAGES = Number(process.env.BENCH_RULE_MESSAGES ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Most messages injected but not yet arrived: a steady producer, not one giant burst. */
const WINDOW = 1000;

type InputForm = 'text' | 'object';

interface Count {
  n: number;
  last?: unknown;
}

interface Variant {
  name: string;
  /** Nodes from the entry to the counter; the first gets the messages. */
  flow(z: string, forms: InputForm): FlowNode[];
  /** False when the variant does not filter (the change-node-only lower bound). */
  filters: boolean;
}

const VARIANTS: Variant[] = [
  {
    name: 'rule-sql (ours)',
    filters: true,
    flow: (z) => [
      { id: `${z}-in`, type: 'rule-sql', z, name: 'bench', sql: SQL, wires: [[`${z}-end`]] },
    ],
  },
  {
    name: 'function (hand-written JS)',
    filters: true,
    flow: (z) => [
      { id: `${z}-in`, type: 'function', z, name: 'bench', func: FUNCTION_CODE, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[`${z}-end`]] },
    ],
  },
  {
    name: 'switch + change (JSONata)',
    filters: true,
    flow: (z, form) => {
      const nodes: FlowNode[] = [];
      if (form === 'text') {
        nodes.push({ id: `${z}-in`, type: 'json', z, property: 'payload', action: 'obj', pretty: false, wires: [[`${z}-switch`]] });
      }
      nodes.push(
        {
          id: form === 'text' ? `${z}-switch` : `${z}-in`, type: 'switch', z, property: 'payload.temp', propertyType: 'msg',
          rules: [{ t: 'gt', v: '20', vt: 'num' }], checkall: 'true', repair: false, outputs: 1, wires: [[`${z}-change`]],
        },
        {
          id: `${z}-change`, type: 'change', z,
          rules: [{ t: 'set', p: 'payload', pt: 'msg', to: JSONATA, tot: 'jsonata' }], wires: [[`${z}-end`]],
        },
      );
      return nodes;
    },
  },
  {
    name: 'change (JSONata) alone, no filter',
    filters: false,
    flow: (z, form) => {
      const nodes: FlowNode[] = [];
      if (form === 'text') {
        nodes.push({ id: `${z}-in`, type: 'json', z, property: 'payload', action: 'obj', pretty: false, wires: [[`${z}-change`]] });
      }
      nodes.push({
        id: form === 'text' ? `${z}-change` : `${z}-in`, type: 'change', z,
        rules: [{ t: 'set', p: 'payload', pt: 'msg', to: JSONATA, tot: 'jsonata' }], wires: [[`${z}-end`]],
      });
      return nodes;
    },
  },
];

/** temp cycles 15..34: 14 of every 20 messages pass `temp > 20`. */
const tempOf = (i: number) => 15 + (i % 20);

function messageFor(i: number, form: InputForm): Record<string, unknown> {
  const payload = { temp: tempOf(i), hum: 40 + (i % 7), seq: i };
  return {
    topic: `t/${i % 10}`,
    payload: form === 'text' ? JSON.stringify(payload) : payload,
    qos: 1,
    retain: false,
  };
}

/** Pushes MESSAGES into the flow's first node; resolves with the time until the last arrived. */
async function run(red: EmbeddedNodeRed, z: string, variant: Variant, form: InputForm, count: Count): Promise<number> {
  const entry = red.node(`${z}-in`);
  const expectedUpTo = (injected: number) =>
    variant.filters ? Math.floor(injected / 20) * 14 + Math.max(0, (injected % 20) - 6) : injected;
  // Messages are built before the clock starts: the benchmark measures the flow, not the producer.
  const messages = Array.from({ length: MESSAGES }, (_, i) => messageFor(i, form));
  count.n = 0;
  const total = expectedUpTo(MESSAGES);
  const started = process.hrtime.bigint();
  let injected = 0;
  while (injected < MESSAGES) {
    while (injected < MESSAGES && expectedUpTo(injected) - count.n < WINDOW) entry.receive(messages[injected++]);
    await nextTurn();
  }
  while (count.n < total) await nextTurn();
  if (count.n !== total) throw new Error(`${variant.name}: ${count.n} arrived, expected ${total}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function benchRuleNode(): Promise<string[]> {
  const red = await startNodeRed();
  const forms: InputForm[] = ['text', 'object'];
  const flow: FlowNode[] = [];
  const counts = new Map<string, Count>();
  forms.forEach((form, f) =>
    VARIANTS.forEach((variant, v) => {
      const z = `b1-${f}-${v}`;
      flow.push({ id: z, type: 'tab', label: `${variant.name} (${form})` }, ...variant.flow(z, form), counterNode(`${z}-end`, z));
    }),
  );
  await red.deploy(flow);
  forms.forEach((_form, f) =>
    VARIANTS.forEach((_variant, v) => {
      const z = `b1-${f}-${v}`;
      const count: Count = { n: 0 };
      counts.set(z, count);
      red.node(`${z}-end`).on('input', (msg) => {
        count.n += 1;
        count.last = msg.payload;
      });
    }),
  );

  // Every variant must give the same row (up to the timestamp) for a passing message.
  for (const [f, form] of forms.entries()) {
    for (const v of VARIANTS.keys()) {
      const count = counts.get(`b1-${f}-${v}`)!;
      red.node(`b1-${f}-${v}-in`).receive(messageFor(7, form));
      while (count.n < 1) await nextTurn();
      const row = count.last as Record<string, unknown>;
      if (row.temp !== tempOf(7) || row.clientid !== undefined || typeof row.timestamp !== 'number') {
        throw new Error(`${VARIANTS[v].name} (${form}) gave ${JSON.stringify(row)}`);
      }
    }
  }
  const lines: string[] = [];
  lines.push(`Benchmark 1: rule node vs function vs JSONata — ${MESSAGES} messages per round, ${ROUNDS} rounds (+1 warm-up), median msgs/s`);
  lines.push(machineLine(red.version));
  lines.push(`statement: ${SQL} (70% of messages pass the WHERE)`);
  for (const [f, form] of forms.entries()) {
    const rates: number[][] = VARIANTS.map(() => []);
    for (let round = 0; round <= ROUNDS; round++) {
      // Rotate the order each round so no variant always runs first (warm caches, GC debt).
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = (k + round) % VARIANTS.length;
        const z = `b1-${f}-${v}`;
        const seconds = await run(red, z, VARIANTS[v], form, counts.get(z)!);
        if (round > 0) rates[v].push(MESSAGES / seconds);
      }
    }
    const baseline = median(rates[1]);
    lines.push(`input: payload as ${form === 'text' ? 'JSON text (aedes broker, mqtt in "String")' : 'parsed object (mqtt in "auto-detect")'}`);
    VARIANTS.forEach((variant, v) => {
      const rate = median(rates[v]);
      lines.push(`  ${variant.name.padEnd(36)} ${fmt(rate).padStart(8)} msgs/s   ${(rate / baseline).toFixed(2)} × function   (rounds: ${rates[v].map((r) => fmt(r)).join(', ')})`);
    });
    const ours = median(rates[0]);
    const jsonata = median(rates[2]);
    lines.push(`  target ours >= 0.8 × function: ${ours / baseline >= 0.8 ? 'MET' : 'NOT MET'} (${(ours / baseline).toFixed(2)}); ours > switch+change JSONata: ${ours > jsonata ? 'MET' : 'NOT MET'} (${(ours / jsonata).toFixed(2)} ×)`);
  }
  return lines;
}

if (require.main === module) runBenchmark(benchRuleNode);
