// The disk store on its own (DESIGN.md 6, bufferMode "disk"): acknowledgement lines check
// themselves, appends are whole or not at all, and disk errors come back as DiskBufferError
// (append) or through onError (everything else), never as an exception out of settle/close.
// The tmpfs cases need root (CI runs the tests as root); elsewhere they are skipped with the reason.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskBufferError, DiskStore, crc32Hex, inspectBacklog, readSettled } from '../../../src/dynamo/delivery/disk-buffer';
import { serializeWrite } from '../../../src/dynamo/delivery/queue';
import { removeDir } from '../../../src/dynamo/delivery/disk-io';
import { BatchWriter } from '../../../src/dynamo/delivery/writer';
import { createSeedTable, scanAll, startDynalite, testClient } from '../../support/dynamodb';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../../e2e/support/disk-sink-harness';

const record = (i: number, size = 40) => JSON.stringify({ t: 'x', o: 'put', k: { id: { S: `k${i}` } }, i: { v: { S: 'v'.repeat(size) } } });

describe('disk buffer store', function () {
  let dir: string;
  let tmpfs: Tmpfs | undefined;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-store-'));
  });
  afterEach(function () {
    tmpfs?.unmount();
    tmpfs = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function needTmpfs(ctx: Mocha.Context, size: number): Tmpfs {
    const why = tmpfsUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      ctx.skip();
    }
    tmpfs = mountTmpfs(path.join(dir, 'mnt'), size);
    return tmpfs;
  }

  it('crc32Hex is CRC-32 (IEEE) as zlib computes it', function () {
    assert.equal(crc32Hex('123456789'), 'cbf43926');
    assert.equal(crc32Hex(''), '00000000');
  });

  it('an .ack file: checked lines count; a torn tail, or a torn line run into the next, settles nothing', function () {
    const ack = path.join(dir, 'a.ack');
    const line = (list: string) => `${list}#${crc32Hex(list)}\n`;
    // "12,13,1" is what is left of "12,13,145,146" after a crash; the next run appends after it.
    fs.writeFileSync(ack, line('1,2') + line('3') + '12,13,1' + line('45,46') + line('7') + '8,9#0000');
    assert.deepEqual([...readSettled(ack)].sort((a, b) => a - b), [1, 2, 3, 7]);
    // Lines written before checksums count when complete.
    fs.writeFileSync(ack, '3\n4,5\n2,1');
    assert.deepEqual([...readSettled(ack)].sort(), [3, 4, 5]);
    assert.equal(readSettled(path.join(dir, 'missing.ack')).size, 0);
  });

  it('restores what is not settled, reports unreadable lines with file and byte offset, and never reuses a seq', function () {
    const store = new DiskStore(dir);
    for (let i = 1; i <= 5; i++) store.append({ seq: i, enqueuedAt: 1000 + i, record: record(i) });
    store.settle([2, 4]);
    store.settle([2]); // settling twice is harmless
    store.close();
    const log = path.join(dir, 'segment-0000000000000001.log');
    const good = fs.readFileSync(log);
    fs.appendFileSync(log, 'garbage line\n6\t1006\t{"t":"cut');
    const again = new DiskStore(dir);
    const r = again.restore();
    assert.deepEqual(r.writes.map((w) => w.seq), [1, 3, 5]);
    assert.equal(r.maxSeq, 5);
    assert.deepEqual(
      r.unreadable.map((u) => [u.file, u.offset]),
      [
        [log, good.length],
        [log, good.length + 'garbage line\n'.length],
      ],
    );
    assert.match(r.unreadable[1].reason, /incomplete/);
    assert.deepEqual(inspectBacklog(dir)?.records, 3);
    again.settle([1, 3, 5]);
    again.close();
    assert.equal(inspectBacklog(dir), undefined, 'a settled segment is deleted');
  });

  it('a full disk: append throws a DiskBufferError naming dir and ENOSPC, the file is cut back to whole records, and later appends read back', function () {
    const t = needTmpfs(this, 64 * 1024);
    const store = new DiskStore(path.join(t.dir, 'sink'));
    store.append({ seq: 1, enqueuedAt: 1, record: record(1) });
    const log = path.join(t.dir, 'sink', 'segment-0000000000000001.log');
    const size = fs.statSync(log).size;
    t.fill(4096);
    // A record bigger than what is left: write(2) takes part of it, then ENOSPC.
    assert.throws(
      () => store.append({ seq: 2, enqueuedAt: 2, record: record(2, 20000) }),
      (err: unknown) =>
        err instanceof DiskBufferError &&
        err.code === 'ENOSPC' &&
        err.message.includes(path.join(t.dir, 'sink')) &&
        /only \d+ bytes were written/.test(err.message) &&
        /The disk is full: free space on it/.test(err.message),
    );
    assert.equal(fs.statSync(log).size, size, 'the partial record was cut off');
    t.unfill();
    store.append({ seq: 3, enqueuedAt: 3, record: record(3) });
    store.close();
    const r = new DiskStore(path.join(t.dir, 'sink')).restore();
    assert.deepEqual(r.writes.map((w) => w.seq), [1, 3]);
    assert.equal(r.unreadable.length, 0);
  });

  it('a read-only disk: restore reads, settle and close report through onError and never throw; the records stay', function () {
    const t = needTmpfs(this, 64 * 1024);
    const sinkDir = path.join(t.dir, 'sink');
    const first = new DiskStore(sinkDir);
    for (let i = 1; i <= 4; i++) first.append({ seq: i, enqueuedAt: i, record: record(i) });
    first.close();
    t.readOnly();
    const errors: DiskBufferError[] = [];
    const store = new DiskStore(sinkDir, { onError: (e) => errors.push(e) });
    assert.deepEqual(store.restore().writes.map((w) => w.seq), [1, 2, 3, 4]);
    store.settle([1, 2]);
    store.settle([3, 4]);
    assert.throws(() => store.append({ seq: 5, enqueuedAt: 5, record: record(5) }), /opening a new segment file failed \(EROFS.*remount it read-write/);
    store.close();
    assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'EROFS'), errors.map((e) => e.message).join('\n'));
    t.readWrite();
    assert.deepEqual(new DiskStore(sinkDir).restore().writes.map((w) => w.seq), [1, 2, 3, 4], 'kept for replay');
  });

  it('removeDir deletes a buffer directory with its files and subdirectories; on a read-only disk it says EROFS (Node 24: not rmSync)', function () {
    const t = needTmpfs(this, 64 * 1024);
    const sinkDir = path.join(t.dir, 'sink');
    fs.mkdirSync(path.join(sinkDir, 'inner'), { recursive: true });
    fs.writeFileSync(path.join(sinkDir, 'a.log'), 'x');
    fs.writeFileSync(path.join(sinkDir, 'inner', 'b.log'), 'y');
    t.readOnly();
    assert.throws(() => removeDir(sinkDir), (err: NodeJS.ErrnoException) => err.code === 'EROFS' && /read-only file system/.test(err.message));
    assert.ok(fs.existsSync(path.join(sinkDir, 'a.log')));
    t.readWrite();
    removeDir(sinkDir);
    assert.equal(fs.existsSync(sinkDir), false);
    removeDir(sinkDir); // already gone: fine
  });

  it('a writer restoring a backlog bigger than maxBufferBytes: the oldest go as queue_full, and restore() counts only what it queued', async function () {
    const server = await startDynalite();
    const client = testClient(server.url);
    try {
      await createSeedTable(server.url, 'restore_full');
      const store = new DiskStore(dir);
      for (let i = 1; i <= 40; i++) {
        const id = { S: `r${i}` };
        store.append({ seq: i, enqueuedAt: i, record: serializeWrite({ table: 'restore_full', operation: 'put', key: { id }, item: { id, v: { S: 'v'.repeat(200) } } }) });
      }
      store.close();
      const warnings: string[] = [];
      const w = new BatchWriter({
        client,
        queryMode: 'async',
        batchSize: 25,
        batchTime: 5,
        inflightWindow: 4,
        requestTtl: 20000,
        maxBufferBytes: 20 * 1024,
        store: new DiskStore(dir),
        log: { info: () => undefined, warn: (t) => warnings.push(t) },
      });
      const restored = w.restore();
      const dropped = w.metrics.dropsFor('queue_full');
      assert.ok(dropped > 0 && dropped < 40, `dropped ${dropped}`);
      assert.equal(restored, 40 - dropped);
      const deadline = Date.now() + 10000;
      while (w.metrics.success < restored && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(w.metrics.success, restored);
      assert.equal((await scanAll(server.url, 'restore_full')).length, restored);
      await w.close(1000);
      assert.equal(inspectBacklog(dir), undefined, 'the dropped ones are settled too');
      assert.match(warnings.join('\n'), new RegExp(`dropped the ${dropped} oldest`));
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});
