// A real mosquitto broker for end-to-end tests (MQTT 5: user properties, content type, message
// expiry, response topic reach subscribers as published) with a temporary config that listens on
// a free 127.0.0.1 port, anonymous access allowed, logging to stderr (unbuffered) so a test can
// wait for a subscription to be in place. The binary is found or installed by
// scripts/prerequisites.ts (`npm test` runs it first; startMosquitto() asks again, so a suite
// run alone gets the same clear message instead of `spawn mosquitto ENOENT`).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../support/dynamodb';
import { waitForPort } from '../../scripts/net';
import { ensureMosquitto, findMosquitto } from '../../scripts/prerequisites';

export interface MosquittoOptions {
  /** More mosquitto.conf lines, e.g. `max_queued_messages 10000`. */
  config?: string[];
  /**
   * mosquitto.conf `log_type`s; `all` (the default) includes the SUBACKs subscribed() waits for,
   * a load test wants fewer so the broker does not log every message.
   */
  logTypes?: string[];
}

export interface Mosquitto {
  port: number;
  /** Everything the broker has logged so far. */
  log(): string;
  /**
   * Resolves once mosquitto logs a SUBACK to a client whose id contains `clientIdPart` (any client
   * when empty), counting only SUBACKs after the one the previous call returned on, so a redeployed
   * flow's new subscription is not mistaken for the old one.
   */
  subscribed(clientIdPart?: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The broker executable found at load time (MOSQUITTO_BINARY, /usr/sbin, Homebrew, PATH), or
 * 'mosquitto' when none is installed yet; startMosquitto() provisions it then.
 */
export const MOSQUITTO_BINARY = findMosquitto() ?? 'mosquitto';

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = ensureMosquitto();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      ...(options.config ?? []),
      'log_dest stderr',
      ...(options.logTypes ?? ['all']).map((type) => `log_type ${type}`),
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let seen = 0;
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If mocha exits (--exit) before the after hooks, the broker must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10000);
  } catch (err) {
    await stop();
    throw new Error(`mosquitto did not start: ${(err as Error).message}\n${log}`);
  }
  return {
    port,
    log: () => log,
    async subscribed(clientIdPart = '', timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      const pattern = /Sending SUBACK to (\S+)/g;
      for (;;) {
        for (const match of log.slice(seen).matchAll(pattern)) {
          if (match[1].includes(clientIdPart)) {
            seen += match.index + match[0].length;
            return;
          }
        }
        if (Date.now() > deadline) throw new Error(`no SUBACK from mosquitto within ${timeoutMs} ms:\n${log.slice(-20000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}
