// A network round trip in front of a local DynamoDB server, for the sink benchmark: every request
// waits `delayMs` before it is forwarded (test/support/fault-proxy.ts, `delay`), in its own
// process so the proxy does not share the benchmark's event loop. Local servers are CPU-bound;
// real DynamoDB is a few milliseconds away, which is where batching pays most.
// Usage (forked): bench/latency-proxy.ts <targetUrl> <delayMs>; sends { url } once listening.
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { DynamoServer } from '../test/support/dynamodb';
import { startFaultProxy } from '../test/support/fault-proxy';

/** `server` seen through this proxy in a child process, every request delayed by `delayMs` (a network round trip). */
export async function behindRoundTrip(server: DynamoServer, delayMs: number): Promise<DynamoServer> {
  const child = fork(path.join(__dirname, 'latency-proxy.ts'), [server.url, String(delayMs)], { execArgv: ['--require', 'tsx/cjs'], stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`latency proxy exited with code ${code}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    async stop() {
      child.disconnect();
      await exited;
      await server.stop();
    },
  };
}

if (require.main === module) {
  const [target, delay] = process.argv.slice(2);
  startFaultProxy(target, [{ action: 'delay', delayMs: Number(delay) }])
    .then((proxy) => {
      process.send?.({ url: proxy.url });
      process.on('disconnect', () => void proxy.stop().then(() => process.exit(0)));
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
