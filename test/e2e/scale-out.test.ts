// Scale-out (issue 6): two Node-RED processes share one MQTT subscription on a real mosquitto
// (`$share/group/t/#`) and write into the same DynamoDB Local table. 10,000 QoS 1 messages with
// unique ids must each be written exactly once, and both processes must take part.
import * as assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { createSeedTable, scanAll, startDynamoDbLocal, type DynamoServer } from '../support/dynamodb';
import { startMosquitto, type Mosquitto } from './mosquitto';
import type { WorkerReply, WorkerRequest } from './scale-out-worker';

const MESSAGES = 10000;
const TABLE = 'scale_out';
const WORKERS = ['a', 'b'];
/** Most unacknowledged QoS 1 publishes at once. */
const PUBLISH_WINDOW = 200;

/**
 * mosquitto with a queue per subscriber large enough for the burst: its default
 * (max_queued_messages 1000) silently drops QoS 1 messages for a subscriber that falls behind,
 * which a deployment must size too (see README, "Scaling out"). It logs subscriptions, not every
 * message.
 */
function startBroker(): Promise<Mosquitto> {
  return startMosquitto({ config: [`max_queued_messages ${MESSAGES}`], logTypes: ['subscribe', 'error'] });
}

async function sharedSubscribed(broker: Mosquitto, clientId: string, timeoutMs = 15000): Promise<void> {
  // log_type subscribe: "<time>: <clientid> 1 $share/group/t/#"
  const deadline = Date.now() + timeoutMs;
  while (!broker.log().split('\n').some((line) => line.includes(`${clientId} `) && line.includes('$share/group/t/#'))) {
    if (Date.now() > deadline) throw new Error(`${clientId} did not subscribe within ${timeoutMs} ms:\n${broker.log().slice(-20000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Worker {
  name: string;
  child: ChildProcess;
  replies: WorkerReply[];
  request(message: WorkerRequest, expect: WorkerReply['type'], timeoutMs?: number): Promise<WorkerReply>;
}

function startWorker(name: string, env: Record<string, string>): Promise<Worker> {
  const child = fork(path.join(__dirname, 'scale-out-worker.ts'), [], {
    execArgv: ['--require', 'tsx/cjs'],
    env: { ...process.env, ...env, SCALE_OUT_NAME: name },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const replies: WorkerReply[] = [];
  const waiters: ((r: WorkerReply) => void)[] = [];
  const exitWatchers: ((code: number | null) => void)[] = [];
  child.once('exit', (code) => {
    for (const w of exitWatchers.splice(0)) w(code);
  });
  child.on('message', (r: WorkerReply) => {
    replies.push(r);
    for (const w of waiters.splice(0)) w(r);
  });
  const next = (expect: WorkerReply['type'], timeoutMs: number) =>
    new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${name}: no "${expect}" within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
      const wait = (r: WorkerReply) => {
        if (r.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`worker ${name} failed: ${r.message}`));
        } else if (r.type === expect) {
          clearTimeout(timer);
          resolve(r);
        } else {
          waiters.push(wait);
        }
      };
      waiters.push(wait);
      exitWatchers.push((code) => {
        clearTimeout(timer);
        if (expect !== 'stopped') reject(new Error(`worker ${name} exited (code ${code}); stderr:\n${stderr}`));
      });
    });
  const worker: Worker = {
    name,
    child,
    replies,
    async request(message, expect, timeoutMs = 10000) {
      const answer = next(expect, timeoutMs);
      child.send(message);
      return answer;
    },
  };
  // A worker that never got ready is not returned, so it is stopped here.
  return next('ready', 30000).then(
    () => worker,
    (err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
}

async function publishAll(port: number, count: number): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'scale-out-publisher',
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0,
  });
  try {
    let sent = 0;
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (sent < count && sent - acked < PUBLISH_WINDOW) {
          const seq = sent++;
          client.publish(`t/${seq % 16}`, JSON.stringify({ id: `msg-${seq}`, seq }), { qos: 1 }, (err) => {
            if (err) return reject(err);
            if (++acked === count) resolve();
            else pump();
          });
        }
      };
      pump();
    });
  } finally {
    await client.endAsync();
  }
}

async function counters(workers: Worker[]): Promise<Record<string, number>[]> {
  const answers = await Promise.all(workers.map((w) => w.request({ type: 'metrics' }, 'metrics')));
  return answers.map((a) => (a as Extract<WorkerReply, { type: 'metrics' }>).counters);
}

describe('scale-out: two Node-RED processes on one shared subscription (e2e)', function () {
  this.timeout(90000);
  let dynamo: DynamoServer | undefined;
  let mosquitto: Mosquitto | undefined;
  const workers: Worker[] = [];

  before(async function () {
    // Started side by side, but each kept as soon as it is up, so the after hook stops the one
    // that started when the other failed (Promise.all would drop it and orphan a JVM).
    const started = await Promise.allSettled([startDynamoDbLocal().then((d) => (dynamo = d)), startBroker().then((m) => (mosquitto = m))]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    if (!dynamo || !mosquitto) throw new Error('servers not started');
    await createSeedTable(dynamo.url, TABLE);
    const env = { SCALE_OUT_MQTT_PORT: String(mosquitto.port), SCALE_OUT_DYNAMO_URL: dynamo.url, SCALE_OUT_TABLE: TABLE };
    const ready = await Promise.allSettled(WORKERS.map((name) => startWorker(name, env).then((w) => workers.push(w))));
    for (const r of ready) if (r.status === 'rejected') throw r.reason;
    // Both shared subscriptions must be in place before the first publish.
    for (const name of WORKERS) await sharedSubscribed(mosquitto, `scale-out-${name}`);
  });

  after(async function () {
    await Promise.all(
      workers.map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        await w.request({ type: 'stop' }, 'stopped', 15000).catch(() => w.child.kill('SIGKILL'));
      }),
    );
    await mosquitto?.stop();
    await dynamo?.stop();
  });

  it('writes each of 10,000 QoS 1 messages exactly once, and both processes take part', async function () {
    await publishAll(mosquitto!.port, MESSAGES);

    // Every message is acknowledged by the broker; now wait until the sinks have written them all.
    const deadline = Date.now() + 45000;
    let seen = await counters(workers);
    while (seen.reduce((sum, c) => sum + c.success + c.failed + c.dropped, 0) < MESSAGES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await counters(workers);
    }
    // A moment more: a redelivered duplicate would show up as an extra success.
    await new Promise((r) => setTimeout(r, 500));
    seen = await counters(workers);

    const successes = seen.map((c) => c.success);
    assert.deepEqual(seen.map((c) => c.failed + c.dropped), [0, 0], `nothing failed or dropped: ${JSON.stringify(seen)}`);
    assert.equal(successes[0] + successes[1], MESSAGES, `the sinks' success counters add up to ${MESSAGES}: ${successes}`);
    assert.ok(successes.every((n) => n > 0), `each process wrote some messages: ${successes}`);

    const items = await scanAll(dynamo!.url, TABLE);
    assert.equal(items.length, MESSAGES, 'the table holds one item per message');
    const ids = new Set(items.map((item) => item.id.S));
    for (let seq = 0; seq < MESSAGES; seq++) assert.ok(ids.has(`msg-${seq}`), `msg-${seq} is in the table`);
    // Each item names the process that wrote it: the table agrees with the counters.
    const byWriter = WORKERS.map((name) => items.filter((item) => item.writer?.S === name).length);
    assert.deepEqual(byWriter, successes, 'items per process match that process\'s success counter');
  });
});
