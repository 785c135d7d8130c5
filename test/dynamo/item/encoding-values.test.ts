// What each JavaScript value a function node can hand the sink becomes (DESIGN.md 4), in both
// encodings, and the per-message errors for what cannot be written exactly (issue 10 C, the
// __proto__ key, issue 9 item 8's cycles and deep values).
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import { encodeItem, ItemError, type EncodeOptions } from '../../../src/dynamo/item/encoding';

const emqx: EncodeOptions = { encoding: 'emqx', undefinedVarsAsNull: false, hashKey: 'id' };
const native: EncodeOptions = { encoding: 'native', undefinedVarsAsNull: false, hashKey: 'id' };

/** Asserts a bad_value ItemError whose message names `attribute` and matches `why`. */
function fails(row: Record<string, unknown>, options: EncodeOptions, attribute: string, why: RegExp): void {
  assert.throws(
    () => encodeItem(row, options),
    (err: unknown) => {
      assert.ok(err instanceof ItemError, `ItemError, got ${String(err)}`);
      assert.equal(err.code, 'bad_value');
      assert.equal(err.retryable, false);
      assert.ok(err.message.startsWith(`attribute "${attribute}`), err.message);
      assert.match(err.message, why);
      return true;
    },
  );
}

describe('encodeItem: JavaScript values (DESIGN.md 4)', () => {
  const when = new Date(Date.UTC(2026, 10, 29, 9, 30, 0, 123));

  describe('emqx encoding', () => {
    it('writes the issue example: a Map as its entries and a Set as its members (JSON text)', () => {
      const item = encodeItem({ id: 'dev-1', calib: new Map([['offset', 0.5]]), tags: new Set(['kitchen']) }, emqx);
      assert.deepEqual(item, { id: { S: 'dev-1' }, calib: { S: '{"offset":0.5}' }, tags: { S: '["kitchen"]' } });
    });

    it('writes a Date as ISO 8601 text, alone and nested', () => {
      const item = encodeItem({ id: 'a', at: when, m: { at: when, list: [when] } }, emqx);
      assert.deepEqual(item.at, { S: '2026-11-29T09:30:00.123Z' });
      assert.deepEqual(item.m, { S: '{"at":"2026-11-29T09:30:00.123Z","list":["2026-11-29T09:30:00.123Z"]}' });
    });

    it('writes a BigInt as N with all digits, and nested with all digits', () => {
      const item = encodeItem({ id: 'a', n: 1724442618569203714n, m: { n: 1724442618569203714n } }, emqx);
      assert.deepEqual(item.n, { N: '1724442618569203714' });
      assert.deepEqual(item.m, { S: '{"n":1724442618569203714}' });
    });

    it('writes nested Maps, Sets, number keys and Maps inside lists', () => {
      const m = new Map<unknown, unknown>([[1, 'one'], ['s', new Set([1, 2])], ['l', [new Map([['k', true]])]]]);
      assert.deepEqual(encodeItem({ id: 'a', m }, emqx).m, { S: '{"1":"one","s":[1,2],"l":[{"k":true}]}' });
    });

    it('writes bytes nested in a map or list as UTF-8 text with U+FFFD, as json_encode does', () => {
      const item = encodeItem({ id: 'a', m: { raw: Buffer.from([0x53, 0x80, 0x53]) }, l: [new Uint8Array([0x68, 0x69])] }, emqx);
      assert.deepEqual(item.m, { S: '{"raw":"S\uFFFDS"}' });
      assert.deepEqual(item.l, { S: '["hi"]' });
    });

    it('writes undefined inside maps and lists, and holes of sparse lists, as "undefined" (EMQX)', () => {
      // eslint-disable-next-line no-sparse-arrays
      const item = encodeItem({ id: 'a', m: { u: undefined, n: null }, l: [1, , 3] }, emqx);
      assert.deepEqual(item.m, { S: '{"u":"undefined","n":null}' });
      assert.deepEqual(item.l, { S: '[1,"undefined",3]' });
    });

    it('writes -0 as 0 (DynamoDB numbers have no negative zero)', () => {
      const item = encodeItem({ id: 'a', z: -0, m: { z: -0 } }, emqx);
      assert.deepEqual(item.z, { N: '0' });
      assert.deepEqual(item.m, { S: '{"z":0}' });
    });

    it('writes typed arrays of numbers as lists, an ArrayBuffer as bytes, boxed primitives as their value', () => {
      const item = encodeItem(
        { id: 'a', f: new Float64Array([1.5, -2]), i: new Int16Array([-1, 7]), ab: new Uint8Array([1, 0xff]).buffer, s: new String('x'), m: { n: new Number(4) } },
        emqx,
      );
      assert.deepEqual(item.f, { S: '[1.5,-2]' });
      assert.deepEqual(item.i, { S: '[-1,7]' });
      assert.deepEqual(Buffer.from(item.ab.B as Uint8Array), Buffer.from([1, 0xff]));
      assert.deepEqual(item.s, { S: 'x' });
      assert.deepEqual(item.m, { S: '{"n":4}' });
    });

    it('writes a class instance as its fields, and uses toJSON where a class has it', () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
      }
      const id = { toJSON: () => '65f0c0ffee' };
      assert.deepEqual(encodeItem({ id: 'a', p: new Point(1, 2), o: { id } }, emqx).p, { S: '{"x":1,"y":2}' });
      assert.deepEqual(encodeItem({ id: 'a', o: { id } }, emqx).o, { S: '{"id":"65f0c0ffee"}' });
    });

    it('keeps a key named __proto__, at the top and nested', () => {
      const row = JSON.parse('{"id":"a","__proto__":"top","m":{"__proto__":{"x":1}}}') as Record<string, unknown>;
      const item = encodeItem(row, emqx);
      assert.deepEqual(Object.keys(item), ['id', '__proto__', 'm']);
      assert.deepEqual(Object.getOwnPropertyDescriptor(item, '__proto__')?.value, { S: 'top' });
      assert.deepEqual(item.m, { S: '{"__proto__":{"x":1}}' });
    });

    it('fails, naming the attribute path, for what cannot be written exactly', () => {
      fails({ id: 'a', f: () => 1 }, emqx, 'f', /is a function/);
      fails({ id: 'a', m: { cb: () => 1 } }, emqx, 'm.cb', /is a function/);
      fails({ id: 'a', m: { s: Symbol('x') } }, emqx, 'm.s', /is a symbol/);
      fails({ id: 'a', m: { l: [1, NaN] } }, emqx, 'm.l[1]', /NaN/);
      fails({ id: 'a', m: { t: Infinity } }, emqx, 'm.t', /Infinity/);
      fails({ id: 'a', d: new Date(NaN) }, emqx, 'd', /invalid Date/);
      fails({ id: 'a', m: { d: new Date('nope') } }, emqx, 'm.d', /invalid Date/);
      fails({ id: 'a', m: { e: new Error('boom') } }, emqx, 'm.e', /Error object/);
      fails({ id: 'a', p: Promise.resolve(1) }, emqx, 'p', /a Promise with no fields/);
      fails({ id: 'a', w: new WeakMap() }, emqx, 'w', /a WeakMap with no fields/);
      fails({ id: 'a', m: new Map<unknown, unknown>([[{}, 1]]) }, emqx, 'm', /key that is an object/);
      fails({ id: 'a', m: new Map<unknown, unknown>([[1, 'a'], ['1', 'b']]) }, emqx, 'm', /two keys/);
    });

    it('fails with the path for a cycle, and for a value nested deeper than 1000 levels', () => {
      const loop: Record<string, unknown> = { a: { b: {} } };
      (loop.a as { b: Record<string, unknown> }).b.back = loop;
      fails({ id: 'a', loop }, emqx, 'loop.a.b.back', /cycle/);
      let deep: unknown = 1;
      for (let i = 0; i < 5000; i++) deep = [deep];
      // The path is shortened in the middle: its start and its end.
      fails({ id: 'a', deep }, emqx, `deep${'[0]'.repeat(21)}…${'[0]'.repeat(13)}"`, /is nested deeper than 1000 levels/);
      let ok: unknown = 1;
      for (let i = 0; i < 999; i++) ok = [ok];
      assert.equal(encodeItem({ id: 'a', ok }, emqx).ok.S, `${'['.repeat(999)}1${']'.repeat(999)}`);
    });
  });

  it('tells the types of values made in another V8 context (a function node) as well', () => {
    const row = vm.runInNewContext(
      `({ id: 'dev-1', calib: new Map([['offset', 0.5]]), tags: new Set(['kitchen']), at: new Date(Date.UTC(2026, 10, 29)),
          raw: new Uint8Array([0x53, 0x80]), m: { a: [1, { b: true }] }, f: () => 1, e: new Error('x') })`,
    ) as Record<string, unknown>;
    const { f, e, ...good } = row;
    assert.deepEqual(encodeItem(good, emqx), {
      id: { S: 'dev-1' },
      calib: { S: '{"offset":0.5}' },
      tags: { S: '["kitchen"]' },
      at: { S: '2026-11-29T00:00:00.000Z' },
      raw: { B: new Uint8Array([0x53, 0x80]) },
      m: { S: '{"a":[1,{"b":true}]}' },
    });
    const item = encodeItem(good, native);
    assert.deepEqual(item.calib, { M: { offset: { N: '0.5' } } });
    assert.deepEqual(item.tags, { SS: ['kitchen'] });
    assert.ok(item.raw.B instanceof Uint8Array, 'binary as a Uint8Array of this context (the SDK checks instanceof)');
    assert.deepEqual(item.m, { M: { a: { L: [{ N: '1' }, { M: { b: { BOOL: true } } }] } } });
    fails({ id: 'a', f }, native, 'f', /is a function/);
    fails({ id: 'a', m: { e } }, emqx, 'm.e', /Error object/);
  });

  it('takes a Map as the row: its entries are the attributes', () => {
    const row = new Map<unknown, unknown>([['id', 'dev-1'], ['t', 21.5], ['m', new Map([['a', 1]])]]);
    assert.deepEqual(encodeItem(row, emqx), { id: { S: 'dev-1' }, t: { N: '21.5' }, m: { S: '{"a":1}' } });
    assert.deepEqual(encodeItem(row, native), { id: { S: 'dev-1' }, t: { N: '21.5' }, m: { M: { a: { N: '1' } } } });
    assert.throws(() => encodeItem(new Map([[{}, 1]]), emqx), (err: ItemError) => err.code === 'not_object' && /the row is a Map with a key that is an object/.test(err.message));
  });

  describe('native encoding', () => {
    it('writes the issue example: a Map as M and a Set of text as SS', () => {
      const item = encodeItem({ id: 'dev-1', calib: new Map([['offset', 0.5]]), tags: new Set(['kitchen']) }, native);
      assert.deepEqual(item, { id: { S: 'dev-1' }, calib: { M: { offset: { N: '0.5' } } }, tags: { SS: ['kitchen'] } });
    });

    it('writes Sets as SS, NS or BS when every member has that type, else L; an empty Set as L', () => {
      const item = encodeItem(
        {
          id: 'a',
          ss: new Set(['a', '']),
          ns: new Set([1, 2.5, 12345678901234567890n]),
          bs: new Set([Buffer.from([1]), new Uint8Array([2])]),
          mixed: new Set(['a', 1, true]),
          empty: new Set(),
        },
        native,
      );
      assert.deepEqual(item.ss, { SS: ['a', ''] });
      assert.deepEqual(item.ns, { NS: ['1', '2.5', '12345678901234567890'] });
      assert.deepEqual(item.bs.BS?.map((b) => [...b]), [[1], [2]]);
      assert.deepEqual(item.mixed, { L: [{ S: 'a' }, { N: '1' }, { BOOL: true }] });
      assert.deepEqual(item.empty, { L: [] });
    });

    it('fails for a Set with the same number twice (DynamoDB: set values are unique)', () => {
      fails({ id: 'a', ns: new Set([1, 1n]) }, native, 'ns', /same number twice/);
      fails({ id: 'a', bs: new Set([Buffer.from([1]), Buffer.from([1])]) }, native, 'bs', /same bytes twice/);
    });

    it('writes Date as S, BigInt as N, Buffer and ArrayBuffer as B, typed arrays as L of N', () => {
      const item = encodeItem(
        { id: 'a', at: when, n: 1724442618569203714n, b: Buffer.from([0x53, 0x80]), ab: new Uint8Array([7]).buffer, f: new Float32Array([0.5]), m: { at: when } },
        native,
      );
      assert.deepEqual(item.at, { S: '2026-11-29T09:30:00.123Z' });
      assert.deepEqual(item.n, { N: '1724442618569203714' });
      assert.deepEqual([...(item.b.B as Uint8Array)], [0x53, 0x80]);
      assert.deepEqual([...(item.ab.B as Uint8Array)], [7]);
      assert.deepEqual(item.f, { L: [{ N: '0.5' }] });
      assert.deepEqual(item.m, { M: { at: { S: '2026-11-29T09:30:00.123Z' } } });
    });

    it('writes sparse list holes as NULL and -0 as 0', () => {
      // eslint-disable-next-line no-sparse-arrays
      assert.deepEqual(encodeItem({ id: 'a', l: [1, , -0] }, native).l, { L: [{ N: '1' }, { NULL: true }, { N: '0' }] });
    });

    it('keeps a map key named __proto__ (plain objects, Maps, and the item itself)', () => {
      const row = JSON.parse('{"id":"a","__proto__":1,"m":{"__proto__":{"x":1},"y":2}}') as Record<string, unknown>;
      row.map = new Map([['__proto__', 'p']]);
      const item = encodeItem(row, native);
      assert.deepEqual(Object.getOwnPropertyDescriptor(item, '__proto__')?.value, { N: '1' });
      const m = item.m.M as Record<string, unknown>;
      assert.deepEqual(Object.keys(m), ['__proto__', 'y']);
      assert.deepEqual(Object.getOwnPropertyDescriptor(m, '__proto__')?.value, { M: { x: { N: '1' } } });
      assert.deepEqual(Object.getOwnPropertyDescriptor(item.map.M, '__proto__')?.value, { S: 'p' });
      assert.equal(Object.getPrototypeOf(m), Object.prototype);
    });

    it('fails with the attribute path for a cycle instead of overflowing the stack', () => {
      const a: Record<string, unknown> = { name: 'a' };
      const b: Record<string, unknown> = { name: 'b', a };
      a.list = [b];
      fails({ id: 'x', a }, native, 'a.list[0].a', /cycle/);
    });

    it('fails with the path past DynamoDB\'s 32 levels (the item and 31 maps or lists)', () => {
      let ok: unknown = 'leaf';
      for (let i = 0; i < 31; i++) ok = i % 2 ? { d: ok } : [ok];
      assert.doesNotThrow(() => encodeItem({ id: 'a', ok }, native));
      let over: unknown = 'leaf';
      for (let i = 0; i < 32; i++) over = { d: over };
      fails({ id: 'a', over }, native, `over${'.d'.repeat(31)}`, /nests maps and lists deeper than DynamoDB's limit of 32 levels/);
      let deep: unknown = 'leaf';
      for (let i = 0; i < 100000; i++) deep = { d: deep };
      fails({ id: 'a', deep }, native, `deep${'.d'.repeat(31)}`, /deeper than DynamoDB's limit of 32 levels \(the item is the first\)/);
    });

    it('fails, naming the path, for functions, symbols, NaN, invalid Dates and empty class instances', () => {
      fails({ id: 'a', m: new Map([['f', () => 1]]) }, native, 'm.f', /is a function/);
      fails({ id: 'a', l: [Symbol('s')] }, native, 'l[0]', /is a symbol/);
      fails({ id: 'a', m: { n: NaN } }, native, 'm.n', /NaN/);
      fails({ id: 'a', d: new Date(NaN) }, native, 'd', /invalid Date/);
      fails({ id: 'a', p: { q: Promise.resolve() } }, native, 'p.q', /Promise/);
    });
  });
});
