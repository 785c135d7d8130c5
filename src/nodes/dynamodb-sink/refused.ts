// A dynamodb-sink that cannot work (its settings, connector, table, template or disk buffer are
// wrong): it says why in its status, fails every message with it (counted matched and failed),
// and still answers its metrics endpoint with that state.
import type { NodeMessage } from 'node-red';
import type { SinkNodeDef } from './config';
import { forgetLineage, lineageOf } from './lineage';
import { runningSinks, type SinkNode, type SinkRuntime } from './running';
import { fit } from './status';

export function refuseAll(node: SinkNode, def: SinkNodeDef, status: string, why: string): void {
  const metrics = lineageOf(node.id).metrics;
  node.error(why);
  node.status({ fill: 'red', shape: 'ring', text: fit(status) });
  const bufferMode = def.bufferMode === 'disk' ? 'disk' : 'memory';
  const runtime: SinkRuntime = {
    bufferMode,
    metrics: () => ({
      id: node.id,
      name: def.name ?? '',
      table: typeof def.table === 'string' ? def.table : '',
      bufferMode,
      connection: 'none',
      paused: false,
      lastError: why,
      queuedBytes: 0,
      counters: metrics.snapshot(),
      configError: why,
    }),
  };
  node.runtime = runtime;
  runningSinks.set(node.id, runtime);
  node.on('input', (_msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => {
    metrics.matched += 1;
    metrics.failed += 1;
    done(new Error(why));
  });
  node.on('close', (removed: boolean, done: () => void) => {
    if (runningSinks.get(node.id) === runtime) runningSinks.delete(node.id);
    if (removed) forgetLineage(node.id);
    done();
  });
}
