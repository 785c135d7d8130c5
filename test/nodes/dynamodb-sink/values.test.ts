// Exact data through the real path (issue 10 B and C, the __proto__ key, issue 9 item 8): a
// function node or a rule-sql node → dynamodb-sink → DynamoDB Local and dynalite, and what the
// table then holds.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { createSeedTable, forEachBackend, testClient, TEST_REGION } from '../../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, sinkMetrics, until, type Msg } from '../../support/sink-flow';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const functionNode = require('@node-red/nodes/core/function/10-function.js');

const BAD_UTF8 = [0x53, 0x80, 0x53];

describe('dynamodb-sink: the values a function node or a rule hands it', function () {
  this.timeout(30000);
  let userDir: string;
  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sink-values-'));
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  afterEach(async function () {
    await helper.unload();
  });

  forEachBackend((ctx) => {
    let n = 0;
    let emqxTable: string;
    let nativeTable: string;
    beforeEach(async function () {
      n += 1;
      emqxTable = `values_emqx_${n}`;
      nativeTable = `values_native_${n}`;
      await createSeedTable(ctx.url, emqxTable);
      await createSeedTable(ctx.url, nativeTable);
    });

    /** source (a function node with `code`, or a rule-sql node with `sql`) → a sink per encoding (or with `template`). */
    async function load(source: { code?: string; sql?: string; only?: 'sinkE' | 'sinkN' }, sink: Record<string, unknown> = {}) {
      // Node-RED copies a message for every wire after the first (lodash.clonedeep, which drops a
      // key named __proto__): `only` wires the source to one sink.
      const wires = [source.only ? [source.only] : ['sinkE', 'sinkN']];
      const head = source.code
        ? { id: 'src', type: 'function', z: 't', x: 0, y: 0, func: source.code, outputs: 1, wires }
        : { id: 'src', type: 'rule-sql', z: 't', x: 0, y: 0, sql: source.sql, wires };
      await helper.load([...SINK_NODES, functionNode, ruleSqlNode], [
        { id: 't', type: 'tab' },
        { id: 'conn', type: 'dynamodb-connector', url: ctx.url, region: TEST_REGION, healthCheckInterval: 1000, requestTimeout: 2000 },
        head,
        { id: 'sinkE', type: 'dynamodb-sink', z: 't', x: 0, y: 0, connector: 'conn', table: emqxTable, batchTime: 5, encoding: 'emqx', ...sink, wires: [['out']] },
        { id: 'sinkN', type: 'dynamodb-sink', z: 't', x: 0, y: 0, connector: 'conn', table: nativeTable, batchTime: 5, encoding: 'native', ...sink, wires: [['out']] },
        { id: 'out', type: 'helper', z: 't', x: 0, y: 0 },
        { id: 'catch', type: 'catch', z: 't', x: 0, y: 0, scope: ['sinkE', 'sinkN'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 't', x: 0, y: 0 },
      ], { conn: CONNECTOR_CREDENTIALS.connector });
      const outputs: Msg[] = [];
      const caught: Msg[] = [];
      helper.getNode('out')!.on('input', (msg: Msg) => outputs.push(msg));
      helper.getNode('caught')!.on('input', (msg: Msg) => caught.push(msg));
      return { outputs, caught, send: (msg: Msg) => helper.getNode('src')!.receive(msg as never) };
    }

    async function getItem(table: string, id: string): Promise<Record<string, AttributeValue> | undefined> {
      const client = testClient(ctx.url);
      try {
        return (await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))).Item;
      } finally {
        client.destroy();
      }
    }

    /** Items of `table` that match a filter expression, counted by DynamoDB. */
    async function countWhere(table: string, filter: string, names: Record<string, string>): Promise<number> {
      const client = testClient(ctx.url);
      try {
        const out = await client.send(new ScanCommand({
          TableName: table, FilterExpression: filter, ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':one': { N: '1' }, ':two': { N: '2' } }, Select: 'COUNT', ConsistentRead: true,
        }));
        return out.Count ?? 0;
      } finally {
        client.destroy();
      }
    }

    it('C: writes Map, Set, Date, BigInt and bytes from a function node as what they hold', async function () {
      const w = await load({
        code: `msg.payload = { m: { y: 2 } };
          Object.assign(msg.payload, { id: 'dev-1', calib: new Map([['offset', 0.5]]), tags: new Set(['kitchen']),
            nums: new Set([1, 2.5]), at: new Date(Date.UTC(2026, 10, 29, 9, 30, 0, 123)), serial: 1724442618569203714n,
            raw: Buffer.from([${BAD_UTF8}]) });
          return msg;`,
      });
      w.send({ payload: 'go' });
      await until('both writes', () => w.outputs.length === 2);
      assert.deepEqual(w.caught, []);
      const e = await getItem(emqxTable, 'dev-1');
      assert.deepEqual(e, {
        id: { S: 'dev-1' },
        m: { S: '{"y":2}' },
        calib: { S: '{"offset":0.5}' },
        tags: { S: '["kitchen"]' },
        nums: { S: '[1,2.5]' },
        at: { S: '2026-11-29T09:30:00.123Z' },
        serial: { N: '1724442618569203714' },
        raw: { B: new Uint8Array(BAD_UTF8) },
      });
      const nat = await getItem(nativeTable, 'dev-1');
      assert.deepEqual(nat!.m, { M: { y: { N: '2' } } });
      assert.deepEqual(nat!.calib, { M: { offset: { N: '0.5' } } });
      assert.deepEqual(nat!.tags, { SS: ['kitchen'] });
      assert.deepEqual([...nat!.nums.NS!].sort(), ['1', '2.5']);
      assert.deepEqual(nat!.at, { S: '2026-11-29T09:30:00.123Z' });
      assert.deepEqual(nat!.serial, { N: '1724442618569203714' });
      assert.deepEqual(nat!.raw, { B: new Uint8Array(BAD_UTF8) });
    });

    it('keeps a map key named __proto__ (native encoding)', async function () {
      const w = await load({ only: 'sinkN', code: `msg.payload = JSON.parse('{"id":"p","m":{"__proto__":{"x":1},"y":2}}'); return msg;` });
      w.send({ payload: 'go' });
      await until('the write', () => w.outputs.length === 1);
      assert.deepEqual(w.caught, []);
      // The SDK's reader drops a map key named __proto__ from what it returns: ask the table itself.
      // dynalite loses such a key itself (its own JSON handling), DynamoDB Local keeps it; the
      // request the sink sends holds it either way (test/dynamo/encoding-values.test.ts).
      if (ctx.backend.name === 'dynamodb-local') {
        assert.equal(await countWhere(nativeTable, '#m.#p.#x = :one AND #m.#y = :two AND size(#m) = :two', { '#m': 'm', '#p': '__proto__', '#x': 'x', '#y': 'y' }), 1);
      }
      assert.ok(await getItem(nativeTable, 'p'));
    });

    it('C: fails what cannot be written exactly, naming the attribute path, and writes the rest', async function () {
      const w = await load({
        code: `const loop = { name: 'loop' }; loop.self = { back: loop };
          const p = msg.payload;
          msg.payload = p === 'cycle' ? { id: 'c', loop } : p === 'fn' ? { id: 'f', m: { cb: () => 1 } }
            : p === 'nan' ? { id: 'n', v: [1, 0 / 0] } : { id: 'ok', v: 1 };
          return msg;`,
      });
      for (const p of ['cycle', 'fn', 'nan', 'ok']) w.send({ payload: p });
      await until('2 writes and 6 failures', () => w.outputs.length === 2 && w.caught.length === 6);
      const reasons = w.caught.map((m) => m.error!.message.replace(/^Error: /, '')).sort();
      for (const [path, why] of [['loop.self.back', /cycle/], ['m.cb', /is a function/], ['v[1]', /NaN/]] as const) {
        const both = reasons.filter((r) => r.startsWith(`attribute "${path}" `));
        assert.equal(both.length, 2, `both encodings name ${path}: ${reasons.join(' | ')}`);
        for (const r of both) assert.match(r, why);
      }
      assert.ok(await getItem(emqxTable, 'ok'));
      assert.ok(await getItem(nativeTable, 'ok'));
      for (const id of ['sinkE', 'sinkN']) {
        const { body } = await sinkMetrics(id);
        assert.deepEqual([body.counters.matched, body.counters.success, body.counters.failed], [4, 1, 3]);
      }
    });

    it('native: writes 31 nested maps (DynamoDB takes them) and fails 32, a cycle or a 50,000-level payload by path', async function () {
      const w = await load({
        only: 'sinkN',
        code: `const nest = (n) => { let v = 'leaf'; for (let i = 0; i < n; i++) v = { d: v }; return v; };
          const loop = { d: {} }; loop.d.back = loop;
          const p = msg.payload;
          msg.payload = { id: p, v: p === 'ok' ? nest(31) : p === 'over' ? nest(32) : p === 'cycle' ? loop : nest(50000) };
          return msg;`,
      });
      for (const p of ['ok', 'over', 'cycle', 'deep']) w.send({ payload: p });
      let failed = 0;
      for (const deadline = Date.now() + 15000; !(w.outputs.length === 1 && failed === 3 && w.caught.length >= 2);) {
        assert.ok(Date.now() < deadline, `1 write and 3 failures, got ${w.outputs.length} and ${failed}`);
        await new Promise((r) => setTimeout(r, 50));
        failed = (await sinkMetrics('sinkN')).body.counters.failed;
      }
      assert.ok(await getItem(nativeTable, 'ok'), 'DynamoDB accepts 31 maps in an attribute');
      const reasons = w.caught.map((m) => m.error!.message.replace(/^Error: /, ''));
      assert.ok(reasons.some((r) => /^attribute "v(\.d){31}" nests maps and lists deeper than DynamoDB's limit of 32 levels/.test(r)), reasons.join(' | '));
      assert.ok(reasons.includes('attribute "v.d.back" refers back to a value that contains it (a cycle), which cannot be written: copy the data without the back reference'), reasons.join(' | '));
      // The 50,000-level message fails the same way (counted above); Node-RED itself cannot copy
      // so deep a message for the Catch node (its clone recurses), so it may not arrive there.
    });

    it('B: writes a map holding bytes that are not UTF-8 as the rule json_encode writes it', async function () {
      const w = await load({
        sql: `SELECT 'dev-1' as id, map_put('raw', payload, map_new()) as m, json_encode(map_put('raw', payload, map_new())) as j,
          [payload] as l FROM "b/#"`,
      });
      w.send({ topic: 'b/1', payload: Buffer.from(BAD_UTF8) });
      await until('both writes', () => w.outputs.length === 2);
      const e = await getItem(emqxTable, 'dev-1');
      assert.deepEqual(e!.m, { S: '{"raw":"S\uFFFDS"}' });
      assert.deepEqual(e!.j, e!.m);
      assert.deepEqual(e!.l, { S: '["S\uFFFDS"]' });
      const nat = await getItem(nativeTable, 'dev-1');
      // native: nested bytes stay binary (B), unchanged.
      assert.deepEqual(nat!.m, { M: { raw: { B: new Uint8Array(BAD_UTF8) } } });
    });

    it('B: a template fails a message whose placeholder holds bytes that are not UTF-8, and writes UTF-8 ones', async function () {
      const w = await load({ sql: `SELECT payload, topic as id FROM "b/#"` }, { template: '{"id": "${id}", "text": "payload: ${payload}"}' });
      w.send({ topic: 'b/bad', payload: Buffer.from(BAD_UTF8) });
      w.send({ topic: 'b/good', payload: Buffer.from('héllo') });
      await until('2 writes, 2 failures', () => w.outputs.length === 2 && w.caught.length === 2);
      for (const m of w.caught) {
        assert.match(m.error!.message, /^(Error: )?template placeholder \$\{payload\} holds bytes that are not UTF-8 text, which a template cannot put into JSON text without changing them: /);
      }
      assert.equal(await getItem(emqxTable, 'b/bad'), undefined);
      assert.deepEqual((await getItem(emqxTable, 'b/good'))!.text, { S: 'payload: héllo' });
      const { body } = await sinkMetrics('sinkE');
      assert.deepEqual([body.counters.success, body.counters.failed], [1, 1]);
    });
  });
});
