// The MQTT load for the end-to-end benchmark, run in its own process so that publishing does not
// share Node-RED's event loop: QoS 1 publishes of `{ id, seq, temp, ts }` (ts = the publish time,
// for latency), at most `inflight` unacknowledged, as fast as acknowledged or at a fixed rate.
// Usage: node --require tsx/cjs bench/mqtt-load.ts <port> <count> <rate|max> <idPrefix>
import mqtt from 'mqtt';
import { waitForPort } from '../scripts/net';

export interface LoadReport {
  published: number;
  acked: number;
  seconds: number;
}

const INFLIGHT = 200;

async function publishLoad(port: number, count: number, rate: number | 'max', prefix: string): Promise<LoadReport> {
  await waitForPort(port);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `bench-${prefix}-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
  });
  let published = 0;
  let acked = 0;
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      const due = rate === 'max' ? count : Math.min(count, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
      while (published < due && published - acked < INFLIGHT) {
        const seq = published++;
        const payload = JSON.stringify({ id: `${prefix}-${seq}`, seq, temp: 21 + (seq % 10), ts: Date.now() });
        client.publish(`t/${seq % 16}`, payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked += 1;
          if (acked === count) resolve();
          else if (rate === 'max') pump();
        });
      }
      if (published < count && rate !== 'max') setTimeout(pump, 2);
    };
    pump();
  });
  const seconds = (Date.now() - started) / 1000;
  await client.endAsync();
  return { published, acked, seconds };
}

if (require.main === module) {
  const [port, count, rate, prefix] = process.argv.slice(2);
  publishLoad(Number(port), Number(count), rate === 'max' ? 'max' : Number(rate), prefix ?? 'm')
    .then((report) => {
      process.stdout.write(JSON.stringify(report) + '\n');
      process.exit(0);
    })
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
}
