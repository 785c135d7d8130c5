// Evaluations per second of compiled rules against hand-written JavaScript doing the same
// work (topic match, payload JSON decode, projection), in the same process. The target is
// a ratio of at least 0.5 for every statement.  Run: npm run bench:rules

import { compileRule } from '../src';

type Columns = Record<string, unknown>;
type Rows = Record<string, unknown>[] | null;

const RULE_ID = 'bench_rule';

const publish: Columns = {
  event: 'message.publish',
  id: '0006168A9B2C3D4EF4420000123A0001',
  clientid: 'c_emqx',
  username: 'u_emqx',
  payload: JSON.stringify({ x: 42, y: 'up', unit: 'C', ts: 1712000000123, site: { id: 7, name: 'north' } }),
  peerhost: '192.168.0.10',
  peername: '192.168.0.10:32781',
  topic: 't/sensors/1',
  qos: 1,
  flags: { dup: false, retain: false },
  pub_props: { 'User-Property': {} },
  publish_received_at: 1712000000120,
  timestamp: 1712000000123,
  node: 'emqx@127.0.0.1',
  client_attrs: {},
};

const connected: Columns = {
  event: 'client.connected',
  clientid: 'c_emqx',
  username: 'u_emqx',
  mountpoint: undefined,
  peername: '192.168.0.10:56431',
  sockname: '0.0.0.0:1883',
  proto_name: 'MQTT',
  proto_ver: 5,
  keepalive: 60,
  clean_start: true,
  expiry_interval: 3600,
  is_bridge: false,
  receive_maximum: 32,
  conn_props: { 'User-Property': {} },
  connected_at: 1712000000113,
  client_attrs: {},
  timestamp: 1712000000123,
  node: 'emqx@127.0.0.1',
};

const sensors: Columns = {
  ...publish,
  payload: JSON.stringify({
    device: 'd1',
    sensors: [
      { name: 'a', value: 3 }, { name: 'b', value: -1 }, { name: 'c', value: 8 },
      { name: 'd', value: 0 }, { name: 'e', value: 12 },
    ],
  }),
};

const inTopicTree = (topic: unknown): boolean =>
  typeof topic === 'string' && (topic === 't' || topic.startsWith('t/'));

interface Case {
  title: string;
  sql: string;
  columns: Columns;
  handWritten: (c: Columns) => Rows;
}

const CASES: Case[] = [
  {
    title: 'SELECT *',
    sql: 'SELECT * FROM "t/#"',
    columns: publish,
    handWritten: (c) => {
      if (c.event !== 'message.publish' || !inTopicTree(c.topic)) return null;
      const row: Record<string, unknown> = Object.assign({}, c);
      row.metadata = { rule_id: RULE_ID };
      return [row];
    },
  },
  {
    title: 'projection + WHERE payload.x',
    sql: 'SELECT payload.x as x, payload.site.name as site, clientid, topic FROM "t/#" WHERE payload.x > 10',
    columns: publish,
    handWritten: (c) => {
      if (c.event !== 'message.publish' || !inTopicTree(c.topic)) return null;
      const p = JSON.parse(c.payload as string);
      const x = p.x;
      if (!(typeof x === 'number' && x > 10)) return null;
      return [{ x, site: p.site?.name, clientid: c.clientid, topic: c.topic }];
    },
  },
  {
    title: 'seed event: str(event) + timestamp as id, *',
    sql: 'SELECT str(event) + timestamp as id, * FROM "$events/client_connected", "$events/client_disconnected"',
    columns: connected,
    handWritten: (c) => {
      if (c.event !== 'client.connected' && c.event !== 'client.disconnected') return null;
      const row: Record<string, unknown> = { id: String(c.event) + String(c.timestamp) };
      Object.assign(row, c);
      row.metadata = { rule_id: RULE_ID };
      return [row];
    },
  },
  {
    title: 'FOREACH over payload.sensors',
    sql: 'FOREACH payload.sensors as s DO s.name as name, s.value as value, clientid INCASE s.value > 0 FROM "t/#"',
    columns: sensors,
    handWritten: (c) => {
      if (c.event !== 'message.publish' || !inTopicTree(c.topic)) return null;
      const list = JSON.parse(c.payload as string).sensors;
      const rows: Record<string, unknown>[] = [];
      if (!Array.isArray(list)) return rows;
      for (const s of list) {
        if (typeof s?.value === 'number' && s.value > 0) rows.push({ name: s.name, value: s.value, clientid: c.clientid });
      }
      return rows;
    },
  },
];

/** Evaluations per second of `fn` over about `ms` milliseconds. */
function measure(fn: (c: Columns) => Rows, columns: Columns, ms: number): number {
  let sink = 0;
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 2000; i++) sink += fn(columns)?.length ?? 0;
    iterations += 2000;
    now = process.hrtime.bigint();
  }
  if (sink < 0) console.log(sink);
  return iterations / (Number(now - start) / 1e9);
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(12);
}

function main(): void {
  const ms = Number(process.env.BENCH_MS ?? 1000);
  console.log(`rule engine vs hand-written JavaScript (${ms} ms per run, best of 5, engine and hand-written alternating)\n`);
  console.log(`${'statement'.padEnd(46)} ${'engine/s'.padStart(12)} ${'hand/s'.padStart(12)}  ratio`);
  let worst = Infinity;
  for (const c of CASES) {
    const rule = compileRule(c.sql, { id: RULE_ID });
    const engine = (cols: Columns): Rows => rule.evaluate(cols);
    // Same rows from both, so the comparison is fair.
    const a = JSON.stringify(engine(c.columns));
    const b = JSON.stringify(c.handWritten(c.columns));
    if (a !== b) throw new Error(`${c.title}: engine and hand-written disagree\n${a}\n${b}`);
    measure(engine, c.columns, 300);
    measure(c.handWritten, c.columns, 300);
    let bestEngine = 0;
    let bestHand = 0;
    for (let round = 0; round < 5; round++) {
      bestEngine = Math.max(bestEngine, measure(engine, c.columns, ms));
      bestHand = Math.max(bestHand, measure(c.handWritten, c.columns, ms));
    }
    const ratio = bestEngine / bestHand;
    worst = Math.min(worst, ratio);
    console.log(`${c.title.padEnd(46)} ${format(bestEngine)} ${format(bestHand)}  ${ratio.toFixed(2)}`);
  }
  console.log(`\nlowest ratio ${worst.toFixed(2)} (target >= 0.50): ${worst >= 0.5 ? 'met' : 'NOT met'}`);
}

main();
