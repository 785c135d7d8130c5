// `npm run bench -- streams` (issue 13): what windows cost and what they save, in one run.
// (a) a windowed aggregate per device against a plain SELECT of the same fields, per message:
//     the windowed rule should cost at most 2x (median of the ratios of back-to-back rounds);
// (b) write reduction: 1,000 devices, one reading a second each for 10 simulated minutes, a
//     per-minute window: writes and DynamoDB write units per 1,000 messages with and without it
//     (write units from the items the sink would write: ceil(item size / 1 KB), DynamoDB's rule);
// (c) memory per open group and in total with 100,000 groups open (heap after a full GC);
// (d) checkpoints (issue 20, DESIGN.md 7): per-event cost of the windowed rule with checkpoints
//     on against off, and the longest event-loop pause (perf_hooks.monitorEventLoopDelay) while
//     checkpoints of 100,000 open groups run between events, against one snapshot()+stringify.
// Pure library work (src/rules), no Node-RED: the node adds the same per-message cost to both.
import * as os from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { Node } from 'node-red';
import { compileRule } from '../src';
import type { RuleStream } from '../src/rules/stream/stream';
import { Checkpointer } from '../src/nodes/rule-sql/checkpoint';
import { encodeItem, itemSize } from '../src/dynamo/item/encoding';
import { median, runBenchmark } from './embedded-node-red';

type Cols = Record<string, unknown>;

const DEVICES = 1000;
const BASE = Date.UTC(2024, 0, 15, 10, 0, 0);

const PLAIN = 'SELECT clientid, payload.temp as temp, payload.hum as hum, timestamp FROM "sensors/#"';
const WINDOWED = `SELECT clientid, avg(payload.temp) as avg_temp, max(payload.temp) as max_temp, avg(payload.hum) as avg_hum,
  count(*) as n, window_start() as ws, window_end() as we FROM "sensors/#" GROUP BY clientid, TUMBLINGWINDOW(mi, 1)`;

function reading(device: number, t: number): Cols {
  const clientid = `device-${String(device).padStart(4, '0')}`;
  return {
    event: 'message.publish', id: `${device}-${t}`, clientid, username: 'u', topic: `sensors/${clientid}`, qos: 1,
    flags: { dup: false, retain: false }, pub_props: {}, peerhost: '10.0.0.1',
    payload: JSON.stringify({ temp: 20 + ((device * 7 + t / 1000) % 10), hum: 40 + (device % 20), unit: 'C' }),
    publish_received_at: t, timestamp: t, node: 'emqx@127.0.0.1',
  };
}

/** ns per message over `count` messages from a pool, `now` advancing one second per device round. */
function timePlain(pool: Cols[], count: number): number {
  const rule = compileRule(PLAIN, { id: 'bench' });
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += rule.evaluate(pool[i % pool.length])?.length ?? 0;
  const ns = Number(process.hrtime.bigint() - start) / count;
  if (sink < 0) console.log(sink);
  return ns;
}

function timeWindowed(pool: Cols[], count: number): number {
  const rule = compileRule(WINDOWED, { id: 'bench' });
  const stream = rule.stream();
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    // One reading a second per device: the clock moves a second per pass over the devices, so
    // windows close (and their rows are built) as they would.
    const now = BASE + Math.floor(i / pool.length) * 1000;
    const deadline = stream.nextDeadline();
    if (deadline !== undefined && deadline <= now) sink += stream.advance(now).length;
    sink += stream.push(pool[i % pool.length], now).length;
  }
  const ns = Number(process.hrtime.bigint() - start) / count;
  if (sink < 0) console.log(sink);
  return ns;
}

function costRatio(lines: string[]): void {
  const pool = Array.from({ length: DEVICES }, (_, d) => reading(d, BASE));
  const count = 200_000; // 200 simulated seconds: 3 windows closed per device
  timePlain(pool, 100_000);
  timeWindowed(pool, 100_000);
  const plain: number[] = [];
  const windowed: number[] = [];
  const ratios: number[] = [];
  const ROUNDS = 11;
  for (let round = 0; round < ROUNDS; round++) {
    // Each round times both back to back, in turns first, so that a load change on this shared
    // machine hits both sides of a round's ratio alike; the figure is the median of the rounds.
    let a: number;
    let b: number;
    if (round % 2 === 0) {
      a = timePlain(pool, count);
      b = timeWindowed(pool, count);
    } else {
      b = timeWindowed(pool, count);
      a = timePlain(pool, count);
    }
    plain.push(a);
    windowed.push(b);
    ratios.push(b / a);
  }
  const p = median(plain);
  const w = median(windowed);
  const r = median(ratios);
  lines.push(`(a) cost per message, ${ROUNDS} rounds of ${count.toLocaleString('en-US')} messages each way (1,000 devices), medians:`);
  lines.push(`    plain SELECT of the same fields   ${p.toFixed(0).padStart(6)} ns/message   ${PLAIN}`);
  lines.push(`    windowed aggregate per device     ${w.toFixed(0).padStart(6)} ns/message   (avg, max, avg, count, window_start/end per clientid, TUMBLINGWINDOW(mi, 1))`);
  lines.push(`    ratio windowed / plain: median of the rounds' ratios ${r.toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); target <= 2.00: ${r <= 2 ? 'met' : 'NOT met'}`);
}

function writeReduction(lines: string[]): void {
  const options = { encoding: 'emqx' as const, undefinedVarsAsNull: false, hashKey: 'id' };
  const units = (row: Record<string, unknown>): number => Math.ceil(itemSize(encodeItem(row, options)) / 1024);
  const plain = compileRule(`SELECT clientid + '@' + timestamp as id, ${PLAIN.slice('SELECT '.length)}`, { id: 'bench' });
  const windowed = compileRule(`SELECT clientid + '@' + window_start() as id, ${WINDOWED.slice('SELECT '.length)}`, { id: 'bench' });
  const stream = windowed.stream({ eventTime: 'timestamp' });
  let messages = 0;
  let plainWrites = 0;
  let plainUnits = 0;
  let windowWrites = 0;
  let windowUnits = 0;
  const take = (rows: Record<string, unknown>[]): void => {
    for (const row of rows) {
      windowWrites++;
      windowUnits += units(row);
    }
  };
  for (let second = 0; second < 600; second++) {
    const now = BASE + second * 1000;
    for (let d = 0; d < DEVICES; d++) {
      const cols = reading(d, now + d); // each device reads at its own ms within the second
      messages++;
      for (const row of plain.evaluate(cols) ?? []) {
        plainWrites++;
        plainUnits += units(row);
      }
      take(stream.push(cols, now + d));
      const deadline = stream.nextDeadline();
      if (deadline !== undefined && deadline <= now + d) take(stream.advance(now + d));
    }
  }
  // The last minute closes when its end + lateness passes (here: by the clock, a minute later).
  take(stream.advance(BASE + 600_000 + 60_000 + 1));
  const per1k = (n: number): string => (n / (messages / 1000)).toFixed(1).padStart(8);
  lines.push(`(b) write reduction: ${DEVICES.toLocaleString('en-US')} devices, one reading a second each for 10 simulated minutes (${messages.toLocaleString('en-US')} messages), event time:`);
  lines.push(`    without a window: ${per1k(plainWrites)} writes and ${per1k(plainUnits)} write units per 1,000 messages (${plainWrites.toLocaleString('en-US')} writes)`);
  lines.push(`    per-minute window: ${per1k(windowWrites)} writes and ${per1k(windowUnits)} write units per 1,000 messages (${windowWrites.toLocaleString('en-US')} writes)`);
  lines.push(`    reduction: ${(plainUnits / windowUnits).toFixed(1)}x fewer write units`);
}

function heap(): number {
  (global as unknown as { gc?: () => void }).gc?.();
  (global as unknown as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function memory(lines: string[]): void {
  const GROUPS = 100_000;
  if (typeof (global as unknown as { gc?: unknown }).gc !== 'function') lines.push('    (run with --expose-gc for exact figures)');
  const rule = compileRule(WINDOWED, { id: 'bench' });
  const stream = rule.stream({ maxGroups: GROUPS });
  const before = heap();
  for (let d = 0; d < GROUPS; d++) stream.push(reading(d, BASE), BASE + 1);
  const after = heap();
  const open = stream.stats.openWindows;
  const bytes = after - before;
  lines.push(`(c) memory with ${open.toLocaleString('en-US')} groups open (one window each; heap after full GC): total ${(bytes / 1048576).toFixed(1)} MB, ${Math.round(bytes / open)} bytes per open group`);
  // 10 more events per group change nothing per group: incremental aggregates keep no events.
  for (let i = 1; i <= 10; i++) for (let d = 0; d < GROUPS; d++) stream.push(reading(d, BASE + i * 1000), BASE + i * 1000);
  const later = heap();
  lines.push(`    after 10 more events per group: ${Math.round((later - before) / open)} bytes per open group`);
  if (stream.flush().length !== GROUPS) throw new Error('expected one row per group');
}

/** A node whose context keeps what it is given (the memory store's set: no copy), for the Checkpointer. */
function benchNode(): Node {
  const kept: Record<string, unknown> = {};
  const context = { set: (k: string, v: unknown, _s: unknown, cb: () => void) => { kept[k] = v; cb(); } };
  return { id: 'bench', context: () => context, error: (e: unknown) => console.error(e), log: () => undefined, warn: () => undefined } as unknown as Node;
}

function checkpointer(stream: RuleStream, intervalMs: number, mark: () => number): Checkpointer {
  const store = { name: undefined, label: '"bench", memory', persistent: true };
  return new Checkpointer(benchNode(), stream, { sql: WINDOWED, eventTime: '' }, store, intervalMs, mark);
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** ns per event over `count` events pushed in batches of 200 between event-loop turns (timers run), with checkpoints every intervalMs or none. */
async function timeCheckpointed(pool: Cols[], count: number, intervalMs: number | undefined): Promise<{ ns: number; checkpoints: number }> {
  const stream = compileRule(WINDOWED, { id: 'bench' }).stream();
  let changes = 0;
  const cp = intervalMs === undefined ? undefined : checkpointer(stream, intervalMs, () => changes);
  cp?.start();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const now = BASE + Math.floor(i / pool.length) * 1000;
    const deadline = stream.nextDeadline();
    if (deadline !== undefined && deadline <= now) stream.advance(now);
    stream.push(pool[i % pool.length], now);
    changes++;
    if (i % 200 === 199) await turn();
  }
  const ns = Number(process.hrtime.bigint() - start) / count;
  cp?.stop();
  return { ns, checkpoints: cp?.measured.checkpoints ?? 0 };
}

async function checkpoints(lines: string[]): Promise<void> {
  const pool = Array.from({ length: DEVICES }, (_, d) => reading(d, BASE));
  const count = 1_000_000;
  const INTERVAL = 100; // far shorter than the default 5000 ms, to show the cost at all
  if (process.env.BENCH_SKIP_COST) return pauses(lines);
  await timeCheckpointed(pool, 100_000, undefined);
  const off: number[] = [];
  const on: number[] = [];
  let taken = 0;
  for (let round = 0; round < 5; round++) {
    const a = round % 2 === 0 ? await timeCheckpointed(pool, count, undefined) : undefined;
    const b = await timeCheckpointed(pool, count, INTERVAL);
    const c = a ?? await timeCheckpointed(pool, count, undefined);
    off.push(c.ns);
    on.push(b.ns);
    taken += b.checkpoints;
  }
  lines.push(`(d) checkpoints: the windowed rule of (a), 1,000 devices, ${count.toLocaleString('en-US')} events per run, 5 runs each way, medians:`);
  lines.push(`    checkpoints off                          ${median(off).toFixed(0).padStart(6)} ns/event`);
  lines.push(`    checkpoints every ${INTERVAL} ms (${(taken / 5).toFixed(0)} per run)    ${median(on).toFixed(0).padStart(6)} ns/event   (ratio ${(median(on) / median(off)).toFixed(2)}; the default 5000 ms costs 50x less often)`);
  await pauses(lines);
}

async function pauses(lines: string[]): Promise<void> {

  // 100,000 open groups, events still arriving (200 per event-loop turn, to new groups' windows too).
  const GROUPS = 100_000;
  const stream = compileRule(WINDOWED, { id: 'bench' }).stream({ maxGroups: GROUPS });
  for (let d = 0; d < GROUPS; d++) stream.push(reading(d, BASE), BASE + 1);
  const t0 = performance.now();
  const whole = JSON.stringify(stream.snapshot());
  const oneShot = performance.now() - t0;
  let changes = 0;
  const cp = checkpointer(stream, 50, () => changes);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // Garbage collection pauses in the same time, to tell them from the checkpoint's own steps.
  let gcMax = 0;
  const gcs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration); });
  gcs.observe({ entryTypes: ['gc'] });
  delay.enable();
  const started = performance.now();
  cp.start();
  let i = 0;
  while (cp.measured.checkpoints < 3) {
    stream.push(reading(i++ % GROUPS, BASE + 2000), BASE + 2);
    changes++;
    if (i % 200 === 0) await turn();
  }
  delay.disable();
  gcs.disconnect();
  cp.stop();
  const elapsed = performance.now() - started;
  lines.push(`    100,000 open groups (${(whole.length / 1048576).toFixed(0)} MB of JSON): one snapshot() + JSON.stringify at once takes ${oneShot.toFixed(0)} ms;`);
  lines.push(`    3 checkpoints in steps while ${i.toLocaleString('en-US')} events arrived (${elapsed.toFixed(0)} ms): longest event-loop pause ${(delay.max / 1e6).toFixed(1)} ms (monitorEventLoopDelay max; p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms), longest step ${cp.measured.longestStepMs.toFixed(1)} ms, longest GC pause ${gcMax.toFixed(1)} ms, a checkpoint ${cp.measured.lastMs} ms end to end`);
}

async function benchStreams(): Promise<string[]> {
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const lines = [
    'Benchmark streams (issue 13): windows, aggregates — cost, write reduction, memory',
    `date ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} cores · load average ${load}`,
  ];
  costRatio(lines);
  writeReduction(lines);
  memory(lines);
  await checkpoints(lines);
  return lines;
}

if (require.main === module) {
  if (process.env.BENCH_ONLY === 'a') {
    const lines: string[] = [];
    costRatio(lines);
    console.log(lines.join('\n'));
  } else if (process.env.BENCH_ONLY === 'd') {
    const lines: string[] = [];
    void checkpoints(lines).then(() => console.log(lines.join('\n')));
  } else {
    runBenchmark(benchStreams);
  }
}
