// Issue 9 items 3, 4, 5, 7 (DESIGN.md 6): the disk buffer under a full disk, a read-only disk,
// a short write, damaged files, a disabled or deleted sink and a backlog nobody owns, in a real
// Node-RED child process (a crash shows as an exit) in front of dynalite behind the fault proxy
// ("down" = every request reset). Disk faults come from a small tmpfs mounted at the sink's
// buffer root (root only; skipped with the reason elsewhere). Under every scenario: Node-RED stays
// up, matched = success + failed + dropped + queuing + inflight, and every message ends exactly
// once in the output or the Catch node (or, after a restart, in a counted, logged outcome).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeWrite } from '../../src/dynamo/delivery/queue';
import { createSeedTable, scanAll, startDynalite, type DynamoServer } from '../support/dynamodb';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import {
  deployFull,
  diskSinkFlow,
  ingest,
  mountTmpfs,
  outcomes,
  request,
  sinkCounters,
  startNodeRed,
  tmpfsUnavailable,
  waitFor,
  type FlowNode,
  type NodeRedProcess,
  type Outcomes,
  type Tmpfs,
  unsettledOnDisk,
} from './support/disk-sink-harness';

const TABLE = 'disk_buffer';
const SINK = 'disk-sink';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payloads = (prefix: string, n: number, text = 'x'.repeat(150)) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, text }));

describe('disk buffer: full or read-only disk, damaged files, disable and delete, orphans (e2e, Node-RED child + dynalite)', function () {
  this.timeout(180000);
  let dynamo: DynamoServer;
  let proxy: FaultProxy;
  let userDir: string;
  let nr: NodeRedProcess | undefined;
  let tmpfs: Tmpfs | undefined;

  before(async function () {
    dynamo = await startDynalite();
    await createSeedTable(dynamo.url, TABLE);
    proxy = await startFaultProxy(dynamo.url);
  });
  after(async function () {
    await proxy?.stop();
    await dynamo?.stop();
  });
  beforeEach(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-disk-'));
    proxy.setRules([]);
  });
  afterEach(async function () {
    tmpfs?.unmount();
    tmpfs = undefined;
    await nr?.stop();
    nr = undefined;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const bufferRoot = () => path.join(userDir, 'dynamodb-sink-buffer');
  const bufferDir = (id = SINK) => path.join(bufferRoot(), id);
  const down = () => proxy.setRules([{ action: 'reset' }]);
  const up = () => proxy.setRules([]);

  function needTmpfs(ctx: Mocha.Context): void {
    const why = tmpfsUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      ctx.skip();
    }
  }

  /** Starts Node-RED on the test's user directory; `flows` are deployed through the admin API (so the connector's credentials are stored as the editor stores them). */
  async function start(flows?: FlowNode[]): Promise<NodeRedProcess> {
    nr = await startNodeRed({ userDir, keepOutput: 400000 });
    if (flows) await deployFull(nr, flows);
    return nr;
  }

  /** Stops Node-RED (SIGINT: it closes its flows) but keeps its user directory. */
  async function restart(flows?: FlowNode[]): Promise<NodeRedProcess> {
    const before = nr!;
    nr = undefined;
    await before.stop();
    assert.match(before.exited() ?? '', /code 0|signal SIGINT/, `Node-RED ended badly: ${before.exited()}`);
    return start(flows);
  }

  function assertUp(): void {
    assert.equal(nr!.exited(), null, `Node-RED exited: ${nr!.output().slice(-3000)}`);
  }

  /** Every id sent ends exactly once in the output or the Catch node. */
  function assertOnce(o: Outcomes, ids: string[]): void {
    const seen = new Map<string, number>();
    for (const id of o.out) seen.set(id, (seen.get(id) ?? 0) + 1);
    for (const c of o.caught) seen.set(c.id!, (seen.get(c.id!) ?? 0) + 1);
    for (const id of ids) assert.equal(seen.get(id), 1, `${id} ended ${seen.get(id) ?? 0} times`);
    assert.equal(o.out.length + o.caught.length, ids.length);
  }

  async function tableIds(): Promise<Set<string>> {
    return new Set((await scanAll(dynamo.url, TABLE)).map((i) => i.id.S!));
  }

  function restoredCount(output: string): number {
    const m = /restored (\d+) queued writes from the disk buffer/.exec(output);
    return m ? Number(m[1]) : 0;
  }

  async function settledCounters(id = SINK) {
    return waitFor(
      'no write queued or in flight',
      () => sinkCounters(nr!, id),
      (m) => m.counters.queuing === 0 && m.counters.inflight === 0,
      30000,
      nr,
    );
  }

  it('3: a full disk fails only the messages it cannot keep (counted, caught, naming dir and ENOSPC), never crashes Node-RED, not even on a restart with the disk still full', async function () {
    needTmpfs(this);
    await start();
    tmpfs = mountTmpfs(bufferRoot(), 256 * 1024);
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url }));
    const sent: string[] = [];
    const send = async (p: { id: string }[]) => {
      sent.push(...p.map((x) => x.id));
      await ingest(nr!, p);
    };
    await send(payloads('warm', 20));
    await waitFor('20 written', () => outcomes(nr!), (o) => o.out.length === 20, 20000, nr);

    // Room for a handful of records: the rest cannot be kept, and acknowledgements cannot be
    // recorded either once it is full.
    tmpfs.fill(4096);
    await send(payloads('full', 200));
    const o1 = await waitFor('200 outcomes', () => outcomes(nr!), (o) => o.out.length + o.caught.length === 220, 30000, nr);
    assertUp();
    assertOnce(o1, sent);
    assert.ok(o1.caught.length > 100, `most could not be kept (${o1.caught.length} caught)`);
    const m1 = await settledCounters();
    assert.ok(m1.consistent, JSON.stringify(m1.counters));
    assert.deepEqual([m1.counters.matched, m1.counters.success, m1.counters.failed, m1.counters.dropped], [220, o1.out.length, o1.caught.length, 0]);
    const err = o1.caught[0].error;
    assert.match(err, new RegExp(`disk buffer ${bufferDir().replace(/[/.]/g, '\\$&')}: appending a write failed \\(ENOSPC`));
    assert.match(err, /The disk is full: free space on it/);
    const ids = await tableIds();
    for (const id of o1.out) assert.ok(ids.has(id), `${id} written`);
    for (const c of o1.caught) assert.ok(!ids.has(c.id!), `${c.id} was failed, not written`);

    // Space again: everything goes through.
    tmpfs.unfill();
    await send(payloads('after', 20));
    const o2 = await waitFor('20 more written', () => outcomes(nr!), (o) => o.out.length + o.caught.length === 240, 20000, nr);
    assert.equal(o2.out.filter((id) => id.startsWith('after')).length, 20);

    // A backlog on disk, then the disk full, then a restart: Node-RED comes up, writes the backlog
    // (acknowledgements cannot be recorded: logged, the records stay for another replay).
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await send(payloads('backlog', 30));
    await waitFor('30 queued', () => sinkCounters(nr!), (m) => m.counters.queuing + m.counters.inflight === 30, 10000, nr);
    const stopped = nr!;
    nr = undefined;
    await stopped.stop();
    // Without its .ack files every partly settled segment needs a new page to record progress
    // (and what they had settled is sent again: duplicates of written items, never a loss).
    for (const f of fs.readdirSync(bufferDir())) if (f.endsWith('.ack')) fs.rmSync(path.join(bufferDir(), f));
    tmpfs.fill(0);
    await start();
    up();
    const m2 = await settledCounters();
    await sleep(1500); // settling fails now: Node-RED must stay up through it
    assertUp();
    const restored = restoredCount(nr!.output());
    assert.ok(restored >= 30, `restored ${restored}`);
    assert.deepEqual([m2.counters.matched, m2.counters.success, m2.counters.failed], [restored, restored, 0]);
    assert.ok(m2.consistent);
    assert.match(nr!.output(), /recording \d+ settled writes in .*\.ack failed \(ENOSPC/);
    const after = await tableIds();
    for (let i = 0; i < 30; i++) assert.ok(after.has(`backlog${i}`), `backlog${i} written after the restart`);
    console.log(`      full disk: ${o1.out.length} written, ${o1.caught.length} failed at input; after restart on a full disk: restored ${restored}`);
  });

  it('3: a read-only disk: Node-RED starts, sends the backlog, refuses new input at once (EROFS, counted, caught); the records stay for replay', async function () {
    needTmpfs(this);
    await start();
    tmpfs = mountTmpfs(bufferRoot(), 1024 * 1024);
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url }));
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('ro', 40));
    await waitFor('40 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 40, 10000, nr);
    const before = nr!;
    nr = undefined;
    await before.stop();
    tmpfs.readOnly();
    up();
    await start();
    const m1 = await settledCounters();
    assertUp();
    assert.equal(restoredCount(nr!.output()), 40);
    assert.deepEqual([m1.counters.matched, m1.counters.success], [40, 40]);
    await ingest(nr!, payloads('refused', 10));
    const o = await waitFor('10 caught', () => outcomes(nr!), (x) => x.caught.length === 10, 10000, nr);
    assertOnce(o, payloads('refused', 10).map((p) => p.id));
    assert.match(o.caught[0].error, /opening a new segment file failed \(EROFS.*The file system is read-only: remount it read-write/);
    const m2 = await sinkCounters(nr!);
    assert.deepEqual([m2.counters.matched, m2.counters.success, m2.counters.failed], [50, 40, 10]);
    assert.ok(m2.consistent);
    assert.match(nr!.output(), /settled writes in .*failed \(EROFS/);
    await sleep(500);
    assertUp();
    // Writable again: the 40 could not be marked settled, so they are sent once more (the same
    // items: a duplicate put, never a loss).
    const stopped = nr!;
    nr = undefined;
    await stopped.stop();
    tmpfs.readWrite();
    await start();
    await settledCounters();
    assert.equal(restoredCount(nr!.output()), 40);
    assert.equal((await tableIds()).size >= 40, true);
  });

  it('5: a short write on a full disk fails its message and is cut off the file: the records after it are restored, "restored N" is what is written', async function () {
    needTmpfs(this);
    await start();
    tmpfs = mountTmpfs(bufferRoot(), 256 * 1024);
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url }));
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('pre', 3, 'small'));
    await waitFor('3 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 3, 10000, nr);
    tmpfs.fill(4096);
    // Bigger than what is left: write(2) takes part of it, then the disk is full.
    await ingest(nr!, [{ id: 'big', text: 'b'.repeat(20000) }]);
    const o = await waitFor('big caught', () => outcomes(nr!), (x) => x.caught.length === 1, 10000, nr);
    assert.equal(o.caught[0].id, 'big');
    assert.match(o.caught[0].error, /appending a write failed \((ENOSPC|SHORT_WRITE)/);
    tmpfs.unfill();
    await ingest(nr!, payloads('post', 3, 'small'));
    await waitFor('6 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 6, 10000, nr);
    const m0 = await sinkCounters(nr!);
    assert.deepEqual([m0.counters.matched, m0.counters.failed, m0.counters.queuing], [7, 1, 6]);
    up();
    await restart();
    const m1 = await settledCounters();
    const restored = restoredCount(nr!.output());
    assert.equal(restored, 6, 'restored what was kept, not the refused one');
    assert.deepEqual([m1.counters.matched, m1.counters.success, m1.counters.failed], [6, 6, 0]);
    const ids = await tableIds();
    for (const id of ['pre0', 'pre1', 'pre2', 'post0', 'post1', 'post2']) assert.ok(ids.has(id), `${id} written`);
    assert.ok(!ids.has('big'));
    assert.doesNotMatch(nr!.output(), /could not be read back/);
  });

  it('5: restore: a record that does not parse is counted and logged with file and offset; a torn acknowledgement line settles nothing', async function () {
    const dir = bufferDir();
    fs.mkdirSync(dir, { recursive: true });
    const line = (seq: number, id: string) =>
      `${seq}\t${Date.now()}\t${serializeWrite({ table: TABLE, operation: 'put', key: { id: { S: id } }, item: { id: { S: id }, n: { N: String(seq) } } })}\n`;
    const lines = [line(1, 'torn1'), line(2, 'torn2'), line(3, 'torn3'), line(4, 'torn4'), `5\t${Date.now()}\t{"t":"cut short\n`, line(6, 'torn6')];
    const segment = path.join(dir, 'segment-0000000000000001.log');
    fs.writeFileSync(segment, lines.join(''));
    const badOffset = Buffer.byteLength(lines.slice(0, 4).join(''));
    // Seq 3 was settled; then a crash cut the line "2,12" short to "2,1": it must not settle 1.
    fs.writeFileSync(path.join(dir, 'segment-0000000000000001.ack'), '3\n2,1');
    await start(diskSinkFlow({ dynamoUrl: proxy.url }));
    const m = await settledCounters();
    assertUp();
    const out = nr!.output();
    assert.equal(restoredCount(out), 4, out.slice(-3000));
    assert.match(out, new RegExp(`1 buffered record could not be read back and will not be written \\(counted as failed\\): ${segment.replace(/[/.]/g, '\\$&')} at byte ${badOffset} \\(seq 5\\)`));
    assert.deepEqual([m.counters.matched, m.counters.success, m.counters.failed], [5, 4, 1]);
    assert.ok(m.consistent);
    const ids = await tableIds();
    for (const id of ['torn1', 'torn2', 'torn4', 'torn6']) assert.ok(ids.has(id), `${id} restored and written`);
    assert.ok(!ids.has('torn3'), 'the settled one is not replayed');
  });

  it('4: disabling a disk-mode sink or its tab (full deploy) keeps its backlog; enabling it sends it; deleting it drops, each message reaching the Catch node, with one log line', async function () {
    await start(diskSinkFlow({ dynamoUrl: proxy.url }));
    const flow = diskSinkFlow({ dynamoUrl: proxy.url });
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('dis', 30));
    await waitFor('30 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 30, 10000, nr);

    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url, sinkDisabled: true }));
    await waitFor('closed', () => nr!.output(), (t) => /disabled with|were dropped/.test(t), 10000, nr);
    assert.equal(unsettledOnDisk(bufferDir()), 30, 'the backlog stays on disk');
    const backlogs = async () => (await request(nr!.url, 'GET', '/dynamodb-sink/backlogs')).body.backlogs as { id: string; owner: string; records: number }[];
    const b1 = await waitFor('backlog listed', backlogs, (b) => b.length === 1, 10000, nr);
    assert.deepEqual([b1[0].id, b1[0].owner, b1[0].records], [SINK, 'disabled', 30]);
    assert.match(nr!.output(), /disabled with 30 writes queued: kept in .*disk-sink and sent when the sink is enabled again/);
    assert.equal((await outcomes(nr!)).caught.length, 0, 'nothing dropped');

    up();
    await deployFull(nr!, flow);
    await waitFor('30 written', () => sinkCounters(nr!), (m) => m.counters.success === 30, 20000, nr);
    const ids = await tableIds();
    for (let i = 0; i < 30; i++) assert.ok(ids.has(`dis${i}`));

    // The tab disabled: the same.
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('tab', 20));
    await waitFor('20 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 20, 10000, nr);
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url, tabDisabled: true }));
    const b2 = await waitFor('backlog listed', backlogs, (b) => b.length === 1, 10000, nr);
    assert.deepEqual([b2[0].owner, b2[0].records], ['disabled', 20]);
    up();
    await deployFull(nr!, flow);
    await waitFor('20 written', () => sinkCounters(nr!), (m) => m.counters.success === 20, 20000, nr);

    // Deleted (full deploy, as the editor does): every queued message reaches the Catch node of
    // the tab as deployed now, one log line says how many were dropped, the directory goes.
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('del', 25));
    await waitFor('25 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 25, 10000, nr);
    const caughtBefore = (await outcomes(nr!)).caught.length;
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url, withoutSink: true }));
    const o = await waitFor('25 caught', () => outcomes(nr!), (x) => x.caught.length - caughtBefore === 25, 10000, nr);
    const caught = o.caught.slice(caughtBefore);
    assert.deepEqual(caught.map((c) => c.id).sort(), payloads('del', 25).map((p) => p.id).sort());
    assert.ok(caught.every((c) => /dropped \(resource_stopped\)/.test(c.error) && c.source === SINK));
    await waitFor('one line', () => nr!.output(), (t) => /25 queued writes were dropped \(resource_stopped\)/.test(t), 5000, nr);
    const removalLines = nr!.output().split('\n').filter((l) => /queued writes were dropped \(resource_stopped\)/.test(l));
    assert.equal(removalLines.length, 1, removalLines.join('\n'));
    assert.match(removalLines[0], /removed \(deleted\).*25 reached a Catch node, 0 did not .*; its disk buffer .*disk-sink was deleted/);
    assert.ok(!fs.existsSync(bufferDir()), 'the backlog of a deleted sink is gone');
    assertUp();
  });

  it('4: a disk-mode sink inside a subflow: disabling the subflow instance keeps its backlog, deleting the instance drops it', async function () {
    const id = 'inst-sfsink';
    const subflow = (instance: FlowNode | null) =>
      diskSinkFlow({
        dynamoUrl: proxy.url,
        withoutSink: true,
        feed: instance ? ['inst'] : [],
        extra: [
          { id: 'sf', type: 'subflow', name: 'store it', info: '', in: [{ x: 50, y: 30, wires: [{ id: 'sfsink' }] }], out: [], z: undefined, x: undefined, y: undefined, wires: undefined },
          { id: 'sfsink', type: 'dynamodb-sink', z: 'sf', name: 'inner', connector: 'ddb', table: TABLE, bufferMode: 'disk', batchTime: 5, requestTtl: 120000, wires: [[]] },
          ...(instance ? [instance] : []),
        ],
      });
    const instance = { id: 'inst', type: 'subflow:sf', wires: [] };
    await start(subflow(instance));
    down();
    await waitFor('down', () => sinkCounters(nr!, id), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('sub', 10));
    await waitFor('10 queued', () => sinkCounters(nr!, id), (m) => m.counters.queuing === 10, 10000, nr);
    await deployFull(nr!, subflow({ ...instance, d: true }));
    // Node-RED closes the nodes inside a disabled instance as not removed: kept either way.
    await waitFor('closed', () => nr!.output(), (t) => /still queued; kept|disabled with|were dropped/.test(t), 10000, nr);
    assert.equal(unsettledOnDisk(bufferDir(id)), 10, 'the backlog stays on disk');
    up();
    await deployFull(nr!, subflow(instance));
    await waitFor('10 written', () => sinkCounters(nr!, id), (m) => m.counters.success === 10, 20000, nr);
    down();
    await waitFor('down', () => sinkCounters(nr!, id), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('subdel', 5));
    await waitFor('5 queued', () => sinkCounters(nr!, id), (m) => m.counters.queuing === 5, 10000, nr);
    // Deleting the instance (Node-RED closes its inner nodes as not removed) is a deletion.
    await deployFull(nr!, subflow(null));
    await waitFor('dropped', () => nr!.output(), (t) => /5 queued writes were dropped \(resource_stopped\)/.test(t), 10000, nr);
    const o = await outcomes(nr!);
    assert.deepEqual(o.caught.map((c) => c.id).sort(), payloads('subdel', 5).map((p) => p.id).sort());
    assert.ok(!fs.existsSync(bufferDir(id)));
    assertUp();
  });

  it('7: a backlog no sink sends is reported at start with size and path; it can be replayed into a disk-mode sink or discarded', async function () {
    await start(diskSinkFlow({ dynamoUrl: proxy.url }));
    down();
    await waitFor('down', () => sinkCounters(nr!), (m) => m.paused, 10000, nr);
    await ingest(nr!, payloads('orphan', 20));
    await waitFor('20 queued', () => sinkCounters(nr!), (m) => m.counters.queuing === 20, 10000, nr);

    // Switched to memory mode: its disk backlog is nobody's now, and the log says so.
    await deployFull(nr!, diskSinkFlow({ dynamoUrl: proxy.url, sink: { bufferMode: 'memory' } }));
    const line = await waitFor('report', () => nr!.output(), (t) => /disk buffer .*disk-sink holds 20 unsent writes/.test(t), 10000, nr);
    assert.match(line, /disk buffer .*disk-sink holds 20 unsent writes \(\d+ bytes\); dynamodb-sink "disk sink" \(disk-sink\) is in memory mode, so nothing sends it\. To send it: .*POST \/dynamodb-sink\/backlogs\/disk-sink\/replay.*DELETE \/dynamodb-sink\/backlogs\/disk-sink/);
    assert.doesNotMatch(line, /for the next start/);
    assert.match(line, /20 writes are still queued; kept in .*disk-sink, but this sink is now in buffer mode memory and does not send them/);
    const list = (await request(nr!.url, 'GET', '/dynamodb-sink/backlogs')).body;
    assert.deepEqual(
      list.backlogs.map((b: any) => [b.id, b.owner, b.records, b.dir]),
      [[SINK, 'memory-mode', 20, bufferDir()]],
    );

    // Replayed through another sink in disk mode.
    up();
    await deployFull(
      nr!,
      diskSinkFlow({ dynamoUrl: proxy.url, sink: { bufferMode: 'memory' }, extra: [{ id: 'rescue', type: 'dynamodb-sink', name: 'rescue', connector: 'ddb', table: TABLE, bufferMode: 'disk', batchTime: 5 }] }),
    );
    const refused = await request(nr!.url, 'POST', `/dynamodb-sink/backlogs/${SINK}/replay`, { into: SINK });
    assert.equal(refused.status, 409, 'a memory-mode sink cannot take it');
    const moved = await request(nr!.url, 'POST', `/dynamodb-sink/backlogs/${SINK}/replay`, { into: 'rescue' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual([moved.body.moved, moved.body.unreadable, moved.body.keptSource], [20, 0, false]);
    const m = await waitFor('20 written', () => sinkCounters(nr!, 'rescue'), (x) => x.counters.success === 20, 20000, nr);
    assert.ok(m.consistent);
    const ids = await tableIds();
    for (let i = 0; i < 20; i++) assert.ok(ids.has(`orphan${i}`));
    assert.ok(!fs.existsSync(bufferDir()));

    // No node of that id at all, found at start: reported; discarded on request.
    const ghost = path.join(bufferRoot(), 'ghost');
    fs.mkdirSync(ghost, { recursive: true });
    const rec = (seq: number) => `${seq}\t${Date.now()}\t${serializeWrite({ table: TABLE, operation: 'put', key: { id: { S: `g${seq}` } }, item: { id: { S: `g${seq}` } } })}\n`;
    fs.writeFileSync(path.join(ghost, 'segment-0000000000000001.log'), rec(1) + rec(2) + rec(3));
    await restart();
    await waitFor('report', () => nr!.output(), (t) => /disk buffer .*ghost holds 3 unsent writes \(\d+ bytes\); no dynamodb-sink with id ghost exists/.test(t), 10000, nr);
    const gone = await request(nr!.url, 'DELETE', '/dynamodb-sink/backlogs/ghost');
    assert.deepEqual([gone.status, gone.body.discarded], [200, 3]);
    assert.ok(!fs.existsSync(ghost));
    assert.match(nr!.output(), /discarded the disk buffer .*ghost: 3 unsent writes dropped on request/);
    assert.equal((await request(nr!.url, 'DELETE', '/dynamodb-sink/backlogs/ghost')).status, 404);
    assertUp();
  });
});
