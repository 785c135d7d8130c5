// One Node-RED instance of the scale-out test, in its own process (forked by scale-out.test.ts):
// `mqtt in` on a shared subscription → rule-sql → dynamodb-sink, with the sink's counters
// reported to the parent over IPC. Settings come from the environment the parent sets.
import { helper } from './node-test-helper';
import connectorNode from '../../src/nodes/dynamodb-connector';
import ruleSqlNode from '../../src/nodes/rule-sql/register';
import sinkNode from '../../src/nodes/dynamodb-sink/register';
import { TEST_CREDENTIALS, TEST_REGION } from '../support/dynamodb';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreMqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

export type WorkerRequest = { type: 'metrics' } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'metrics'; counters: Record<string, number>; caught: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

export const SHARED_TOPIC = '$share/group/t/#';

/** Which instance wrote an item is stored with it, so the table shows both took part. */
export function workerFlow(name: string, mqttPort: number, dynamoUrl: string, table: string): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: `scale-out ${name}` },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: `scale-out-${name}`,
      autoConnect: true,
      usetls: false,
      protocolVersion: '5',
      keepalive: '60',
      cleansession: true,
    },
    {
      id: 'mqtt-in', type: 'mqtt in', z: 'tab', topic: SHARED_TOPIC, qos: '1', datatype: 'utf8', broker: 'broker',
      nl: false, rap: true, rh: 0, inputs: 0, wires: [['rule']],
    },
    {
      id: 'rule', type: 'rule-sql', z: 'tab', name: 'store',
      sql: `SELECT payload.id as id, payload.seq as seq, topic, qos, timestamp, '${name}' as writer FROM "t/#"`,
      wires: [['sink']],
    },
    { id: 'connector', type: 'dynamodb-connector', name: 'local', url: dynamoUrl, region: TEST_REGION, table },
    { id: 'sink', type: 'dynamodb-sink', z: 'tab', name: `sink ${name}`, connector: 'connector', hashKey: 'id', wires: [[]] },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

async function main(): Promise<void> {
  const name = process.env.SCALE_OUT_NAME ?? 'w';
  const mqttPort = Number(process.env.SCALE_OUT_MQTT_PORT);
  const dynamoUrl = String(process.env.SCALE_OUT_DYNAMO_URL);
  const table = String(process.env.SCALE_OUT_TABLE);
  const reply = (message: WorkerReply) => process.send?.(message);
  let caught = 0;

  await helper.startServer();
  await helper.load([coreMqttNodes, connectorNode, ruleSqlNode, sinkNode], workerFlow(name, mqttPort, dynamoUrl, table), {
    connector: { ...TEST_CREDENTIALS },
  });
  helper.getNode('caught')!.on('input', () => {
    caught += 1;
  });
  process.on('message', async (request: WorkerRequest) => {
    try {
      if (request.type === 'metrics') {
        const sink = helper.getNode('sink') as unknown as { runtime: { metrics(): { counters: Record<string, number> } } };
        reply({ type: 'metrics', counters: { ...sink.runtime.metrics().counters }, caught });
      } else if (request.type === 'stop') {
        await helper.unload();
        await helper.stopServer();
        reply({ type: 'stopped' });
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  });
  // The test ended without a stop (a failure, a timeout): do not outlive it.
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'ready' });
}

if (require.main === module) {
  main().catch((err) => {
    process.send?.({ type: 'error', message: (err as Error).stack ?? String(err) } satisfies WorkerReply);
    process.exit(1);
  });
}
