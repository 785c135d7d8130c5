// The buffer limit holds in memory, not only in the counters: with DynamoDB down, twice
// maxBufferBytes of messages are sent through a flow in a separate process (so the heap is the
// sink's alone, measured after forced GC); the heap may grow by the limit plus a fixed 2 MB, and
// every dropped message reaches the Catch node without being kept.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const FIXED_OVERHEAD_BYTES = 2 * 1024 * 1024;

interface ChildReport {
  maxBufferBytes: number;
  /** Dropped messages the flow's Catch node received. */
  caught: number;
  messages: number;
  sentBytes: number;
  growth: number;
  queuedBytes: number;
  counters: Record<string, number>;
  queueFullWarnings: number;
}

function runChild(maxBufferBytes: number): Promise<ChildReport> {
  const script = path.join(__dirname, 'support', 'buffer-limit-child.ts');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '-r', 'tsx/cjs', script, String(maxBufferBytes)],
      { cwd: path.join(__dirname, '..', '..'), timeout: 60000, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport);
      },
    );
  });
}

describe('buffer limit in memory (e2e, separate process)', function () {
  this.timeout(90000);

  it('twice maxBufferBytes sent while DynamoDB is down: heap within the limit + 2 MB, oldest dropped and caught, one log', async function () {
    const maxBufferBytes = 16 * 1024 * 1024;
    const r = await runChild(maxBufferBytes);
    console.log(
      `      buffer limit ${maxBufferBytes} B: sent ${r.messages} messages (${r.sentBytes} B of JSON); heap grew ` +
        `${r.growth} B (${((r.growth - maxBufferBytes) / 1024).toFixed(0)} KiB over the limit); queued ${r.counters.queuing} ` +
        `(${r.queuedBytes} B counted); dropped.queue_full ${r.counters['dropped.queue_full']}, caught ${r.caught}; ` +
        `warnings ${r.queueFullWarnings}`,
    );
    assert.ok(r.sentBytes >= 2 * maxBufferBytes);
    assert.ok(r.growth <= maxBufferBytes + FIXED_OVERHEAD_BYTES, `heap grew ${r.growth} B`);
    assert.ok(r.queuedBytes <= maxBufferBytes);
    assert.ok(r.counters['dropped.queue_full'] > r.messages / 2, 'more than half dropped');
    assert.equal(r.counters.matched, r.counters.dropped + r.counters.queuing + r.counters.inflight);
    assert.equal(r.caught, r.counters['dropped.queue_full'], 'the Catch node got every dropped message');
    assert.equal(r.queueFullWarnings, 1, 'one log line for the burst');
  });
});
