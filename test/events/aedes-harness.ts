// A real `aedes broker` node (node-red-contrib-aedes) inside node-red-node-test-helper, its two
// outputs wired to capture nodes that map every message at once, as rule-sql does, so the
// mapping sees the live client object at the same moment the real node would.

import * as net from 'node:net';
import { freePort } from '../support/dynamodb';
import { Columns, MessageColumnMapper } from '../../src/events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require('node-red-node-test-helper');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const aedesNode = require('node-red-contrib-aedes/aedes.js');
helper.init(require.resolve('node-red'));

export interface AedesCapture {
  port: number;
  mapper: MessageColumnMapper;
  /** Every column map produced, in order. */
  events: Columns[];
  /** The raw message topics seen on output 1 (event names). */
  raw: string[];
  /** Resolves when `count` events of `event` (optionally matching) have been produced. */
  waitFor(event: string, count?: number, timeoutMs?: number): Promise<Columns[]>;
}

export async function startAedesCapture(credentials?: { username: string; password: string }): Promise<AedesCapture> {
  const port = await freePort();
  const flow = [
    { id: 'aedes1', type: 'aedes broker', name: 'embedded broker', mqtt_port: port, mqtt_ws_bind: 'port', wires: [['ev'], ['pub']] },
    { id: 'ev', type: 'helper' },
    { id: 'pub', type: 'helper' },
  ];
  await new Promise<void>((resolve) => helper.load(aedesNode, flow, credentials ? { aedes1: credentials } : {}, resolve));
  const mapper = new MessageColumnMapper();
  const events: Columns[] = [];
  const raw: string[] = [];
  const waiters: Array<() => void> = [];
  const onInput = (msg: Record<string, unknown>) => {
    raw.push(String(msg.topic));
    events.push(...mapper.columnsFrom(msg));
    for (const w of waiters.splice(0)) w();
  };
  helper.getNode('ev').on('input', onInput);
  helper.getNode('pub').on('input', onInput);
  await waitForListening(port);
  // The probe connection itself is no MQTT client; forget whatever it caused.
  await new Promise((r) => setTimeout(r, 50));
  events.length = 0;
  raw.length = 0;
  const waitFor = (event: string, count = 1, timeoutMs = 5000) => new Promise<Columns[]>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(
      `timed out waiting for ${count} × ${event}; have ${events.map((e) => e.event).join(', ')} (raw ${raw.join(', ')})`)), timeoutMs);
    const check = () => {
      const found = events.filter((e) => e.event === event);
      if (found.length >= count) {
        clearTimeout(deadline);
        resolve(found);
      } else {
        waiters.push(check);
      }
    };
    check();
  });
  return { port, mapper, events, raw, waitFor };
}

export async function stopAedesCapture(): Promise<void> {
  await helper.unload();
}

async function waitForListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`aedes did not listen on ${port}`);
}
