// A network round trip in front of a local DynamoDB server, for the sink benchmark: every request
// waits `delayMs` before it is forwarded (test/support/fault-proxy.ts, `delay`), in its own
// process so the proxy does not share the benchmark's event loop. Local servers are CPU-bound;
// real DynamoDB is a few milliseconds away, which is where batching pays most.
// Usage (forked): bench/latency-proxy.ts <targetUrl> <delayMs>; sends { url } once listening.
import { startFaultProxy } from '../test/support/fault-proxy';

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
