// Issue 10 kind A: integers beyond 2^53 are exact everywhere a number enters, is computed with
// or leaves the rule engine (DESIGN.md section 2), as EMQX's Erlang integers are. The right
// values are EMQX's: Erlang integers are bignums, and its JSON decoder is exact.
// Also the integral floats the SQL text shows (static-types.ts) and map_put into non-maps.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compileRule, RuleEvaluationError } from '../../src';
import { hasLongNumberToken, integerOfText, mayHoldLongInteger, parseJson, stringifyJson } from '../../src/rules/exact-json';

const SERIAL = 1724442618569203714n; // a double would make it 1724442618569203700
const MAX = BigInt(Number.MAX_SAFE_INTEGER); // 2^53 - 1
/** The engine's form of an integer: a number up to 2^53 - 1, a BigInt beyond. */
const exact = (n: bigint): number | bigint => (n <= MAX && n >= -MAX ? Number(n) : n);

const publish = (payload: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  event: 'message.publish', topic: 'm/1', clientid: 'dev-1', payload, ...extra,
});
const PAYLOAD = `{"serial":${SERIAL},"n":12,"neg":-${SERIAL},"list":[${SERIAL},1],"f":1e20,"big":123456789012345678901234567890}`;

function one(sql: string, columns: Record<string, unknown> = publish(PAYLOAD)): Record<string, unknown> {
  const rows = compileRule(sql, { id: 'r1' }).evaluate(columns);
  assert.ok(rows !== null && rows.length === 1, `expected one row, got ${stringifyJson(rows)}`);
  return rows[0];
}

function r(expr: string, payload = PAYLOAD): unknown {
  return one(`SELECT ${expr} as r FROM "m/#"`, publish(payload)).r;
}

function error(expr: string): RuleEvaluationError {
  try {
    compileRule(`SELECT ${expr} as r FROM "m/#"`).evaluate(publish(PAYLOAD));
  } catch (err) {
    assert.ok(err instanceof RuleEvaluationError, String(err));
    return err;
  }
  return assert.fail(`${expr} did not raise`);
}

describe('exact JSON text (exact-json.ts)', () => {
  it('parses integers beyond 2^53 as BigInt and everything else as JSON.parse does', () => {
    assert.deepEqual(parseJson(`{"serial":${SERIAL},"n":12}`), { serial: SERIAL, n: 12 });
    assert.deepEqual(parseJson('[9007199254740991, 9007199254740992, -9007199254740993, 1e20, 1.5, 12345678901234567.5]'),
      [9007199254740991, 9007199254740992n, -9007199254740993n, 1e20, 1.5, 12345678901234567.5]);
    assert.equal(parseJson('12345678901234567890'), 12345678901234567890n, 'a bare number');
    assert.equal(parseJson('"12345678901234567890"'), '12345678901234567890', 'digits in a string stay text');
    // The slow path keeps JSON.parse's rules: the last duplicate wins, __proto__ is an own key.
    const o = parseJson(`{"__proto__":{"polluted":1},"k":1,"k":${SERIAL}}`) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(Object.keys(o), ['__proto__', 'k']);
    assert.equal(o.k, SERIAL);
    assert.throws(() => parseJson(`{"a":${SERIAL},}`), SyntaxError);
    assert.throws(() => parseJson(`{"a":"\u0001","b":${SERIAL}}`), SyntaxError);
  });

  it('looks for a run of 16 digits where a number can start, the least an integer beyond 2^53 needs', () => {
    // A run that may be a number (after , : [ - whitespace, or at the start) agrees with the regex.
    for (const [text, expected] of [
      ['', false], ['123456789012345', false], ['1234567890123456', true], ['{"ts":1712000000123}', false],
      [',123456789012345,123456789012345', false], [`${' '.repeat(40)}1234567890123456`, true],
      [':1234567890123456b', true], ['1'.repeat(15) + ',' + '2'.repeat(16), true],
    ] as const) {
      assert.equal(mayHoldLongInteger(text), expected, text);
      assert.equal(mayHoldLongInteger(text), /(?:^|[,:[\s-])\d{16}/.test(text), `${text} (agrees with the regex)`);
    }
    // Every length and position of a run, against the plain regular expression.
    for (let len = 10; len <= 20; len++) {
      for (let at = 0; at < 40; at++) {
        const text = '['.repeat(at) + '7'.repeat(len) + ']'.repeat(5);
        assert.equal(mayHoldLongInteger(text), len >= 16, `${len} digits at ${at}`);
        const quoted = '"'.repeat(at) + '7'.repeat(len) + ']'.repeat(5);
        assert.equal(mayHoldLongInteger(quoted), len >= 16 && at === 0, `${len} digits after ${at} quotes`);
      }
    }
  });

  it('takes the exact path only for a long number outside strings', () => {
    assert.equal(hasLongNumberToken('{"iccid":"89014103211118510720","n":1}'), false, 'digits in a string');
    assert.equal(hasLongNumberToken('{"s":"a\\"1234567890123456","n":1}'), false, 'after an escaped quote, still in the string');
    assert.equal(hasLongNumberToken(`{"s":"x","n":${SERIAL}}`), true);
    assert.equal(hasLongNumberToken(`[${SERIAL}]`), true);
    assert.equal(hasLongNumberToken('{"f":1234567890.123456}'), false, '10 + 6 digits, not a run');
    assert.deepEqual(parseJson('{"iccid":"89014103211118510720","n":1}'), { iccid: '89014103211118510720', n: 1 });
    // The quick look skips runs right after a quote, a letter or a point, and never a number.
    assert.equal(mayHoldLongInteger('{"iccid":"89014103211118510720","n":1}'), false);
    assert.equal(mayHoldLongInteger('{"id":"dev12345678901234567"}'), false);
    assert.equal(mayHoldLongInteger('{"f":0.12345678901234567}'), false);
    assert.equal(mayHoldLongInteger('{"a":"x","iccid":"89014103211118510720","n":-1724442618569203714}'), true);
    for (const prefix of ['', '[', '{"n":', '{"n": ', '{"n":-', '[1,', '[\n']) {
      assert.equal(mayHoldLongInteger(`${prefix}${SERIAL}`), true, prefix);
      assert.equal(mayHoldLongInteger(`${prefix}${SERIAL}0000]`), true, `${prefix} longer run`);
    }
  });

  it('writes a BigInt as its digits and reads integer text exactly', () => {
    assert.equal(stringifyJson({ a: SERIAL, b: [-SERIAL], c: '\u0000x' }), `{"a":${SERIAL},"b":[-${SERIAL}],"c":"\\u0000x"}`);
    assert.equal(integerOfText(String(SERIAL)), SERIAL);
    assert.equal(integerOfText('-12'), -12);
    assert.equal(integerOfText('9007199254740991'), 9007199254740991);
    assert.equal(integerOfText('9007199254740992'), 9007199254740992n);
    assert.equal(integerOfText('1.5'), undefined);
  });
});

describe('exact integers in the rule engine', () => {
  it('reads them from a JSON payload, keeps floats floats', () => {
    assert.deepEqual(one('SELECT payload.serial as serial, str(payload.serial) as serial_text FROM "m/#"'),
      { serial: SERIAL, serial_text: String(SERIAL) }, 'the issue example');
    assert.equal(r('payload.neg'), -SERIAL);
    assert.deepEqual(r('payload.list'), [SERIAL, 1]);
    assert.equal(r('payload.list[1]'), SERIAL);
    assert.equal(r('payload.big'), 123456789012345678901234567890n);
    assert.equal(r('payload.f'), 1e20, '1e20 is a float in JSON and in EMQX');
    assert.equal(r('is_float(payload.f)'), true);
    assert.equal(r('is_int(payload.serial)'), true);
    assert.equal(r('is_float(payload.serial)'), false);
    assert.equal(r('is_num(payload.serial)'), true);
    assert.deepEqual(r('json_decode(\'{"x":18446744073709551615}\')'), { x: 18446744073709551615n });
    assert.equal(r('map_get(\'a.b\', \'{"a":{"b":18446744073709551615}}\')'), 18446744073709551615n);
    // FOREACH over the payload's list keeps them too.
    const rows = compileRule('FOREACH payload.list as x DO x as v FROM "m/#"').evaluate(publish(PAYLOAD));
    assert.deepEqual(rows, [{ v: SERIAL }, { v: 1 }]);
    // A payload of ordinary numbers still comes out as plain numbers.
    assert.deepEqual(one('SELECT payload FROM "m/#" WHERE payload.x > 1', publish('{"x":2,"ts":1712000000123}')),
      { payload: '{"x":2,"ts":1712000000123}' });
    assert.equal(r('payload.ts', '{"ts":1712000000123}'), 1712000000123);
  });

  it('takes them from SQL integer literals', () => {
    assert.equal(r(String(SERIAL)), SERIAL);
    assert.equal(r(`-${SERIAL}`), -SERIAL);
    assert.equal(r('9007199254740991'), 9007199254740991);
    assert.equal(r('9007199254740992'), 9007199254740992n);
    assert.equal(r('-(9007199254740992)'), -9007199254740992n);
  });

  it('computes + - * div mod exactly, widening at 2^53 and falling back to floats with a float', () => {
    assert.equal(r('payload.serial + 1'), SERIAL + 1n);
    assert.equal(r('payload.serial - 1'), SERIAL - 1n);
    assert.equal(r('payload.serial * 1000'), SERIAL * 1000n);
    assert.equal(r('payload.serial div 7'), SERIAL / 7n);
    assert.equal(r('payload.serial mod 7'), Number(SERIAL % 7n));
    assert.equal(r('payload.neg div 7'), -SERIAL / 7n, 'div truncates toward zero');
    assert.equal(r('payload.neg mod 7'), Number(-SERIAL % 7n), 'mod takes the sign of the dividend');
    assert.equal(r('div(payload.serial, 1000)'), exact(SERIAL / 1000n));
    assert.equal(typeof r('div(payload.serial, 1000)'), 'number', 'below 2^53 again: a plain number');
    assert.equal(r('payload.serial - payload.serial + 5'), 5, 'back below 2^53: a plain number');
    assert.equal(typeof r('payload.serial - payload.serial'), 'number');
    // Two plain integers whose result passes 2^53.
    assert.equal(r('9007199254740991 + 1'), 9007199254740992n);
    assert.equal(r('-9007199254740991 - 2'), -9007199254740993n);
    assert.equal(r('4294967296 * 4294967297'), 4294967296n * 4294967297n);
    assert.equal(r('9007199254740991 div 2'), 4503599627370495, 'was 4503599627370496 with Math.trunc(a / b)');
    assert.equal(r('-payload.serial'), -SERIAL);
    // With a float the result is a float (Erlang converts the integer).
    assert.equal(r('payload.serial + 0.5'), Number(SERIAL) + 0.5);
    assert.equal(r('payload.serial / 2'), Number(SERIAL) / 2);
    assert.equal(r('1.5e20 + 1'), 1.5e20 + 1);
    assert.equal(typeof r('1.5e20 + 1'), 'number');
    assert.match(error('payload.serial div 0').message, /division by zero/);
    assert.match(error('payload.f div 2').message, /expected two integers, got float and integer/);
  });

  it('compares them exactly: = <> < > IN CASE contains', () => {
    assert.equal(r(`payload.serial = ${SERIAL}`), true);
    assert.equal(r(`payload.serial = ${SERIAL + 1n}`), false, 'a double would say true');
    assert.equal(r(`payload.serial <> ${SERIAL - 1n}`), true);
    assert.equal(r(`payload.serial > ${SERIAL - 1n}`), true);
    assert.equal(r(`payload.serial < ${SERIAL + 1n}`), true);
    assert.equal(r('payload.serial > 1.7e18'), true, 'against a float');
    assert.equal(r(`payload.serial = '${SERIAL}'`), true, 'a numeric string is compared as the number');
    assert.equal(r(`payload.serial = '${SERIAL + 1n}'`), false);
    assert.equal(r(`case payload.serial when ${SERIAL + 1n} then 'no' when ${SERIAL} then 'yes' end`), 'yes');
    assert.equal(r(`contains(${SERIAL}, payload.list)`), true);
    assert.equal(r(`contains(${SERIAL + 1n}, payload.list)`), false);
    assert.equal(r(`eq(payload.serial, ${SERIAL})`), true);
    const where = (cond: string) => compileRule(`SELECT 1 as r FROM "m/#" WHERE ${cond}`).evaluate(publish(PAYLOAD)) !== null;
    assert.equal(where(`payload.serial in (1, ${SERIAL})`), true);
    assert.equal(where(`payload.serial in (1, ${SERIAL - 1n})`), false);
    assert.equal(where(`payload.serial >= ${SERIAL} and payload.serial <= ${SERIAL}`), true);
    // A float of the same magnitude is not exactly equal to an integer (Erlang =:=).
    assert.equal(r('contains(1.0e20, [100000000000000000000])'), false);
    assert.equal(r('1.0e20 = 100000000000000000000'), true, '= is numeric (Erlang ==)');
  });

  it('returns them from bit functions, subbits, hashing and time functions', () => {
    assert.equal(r('bitsl(1, 62)'), 1n << 62n);
    assert.equal(r('bitsl(1, 100)'), 1n << 100n);
    assert.equal(r('bitsr(payload.serial, 10)'), exact(SERIAL >> 10n));
    assert.equal(r('bitsr(payload.serial, 1)'), SERIAL >> 1n);
    assert.equal(r('bitand(payload.serial, 4294967295)'), Number(SERIAL & 0xffffffffn));
    assert.equal(r('bitor(payload.serial, 1)'), SERIAL | 1n);
    assert.equal(r('bitxor(payload.serial, payload.serial)'), 0);
    assert.equal(r('bitnot(payload.serial)'), ~SERIAL);
    assert.match(error('bitsl(1, 100000000)').message, /beyond the limit/);
    assert.equal(r("subbits(hexstr2bin('FFFFFFFFFFFFFFFF'), 1, 64)"), 18446744073709551615n);
    assert.equal(r("subbits(hexstr2bin('FFFFFFFFFFFFFFFF'), 1, 64, 'integer', 'signed', 'big')"), -1);
    assert.equal(r("subbits(hexstr2bin('0100000000000080'), 1, 64, 'integer', 'unsigned', 'little')"), 0x8000000000000001n);
    // A 64-bit hash of a client id, as a device registry might key on it.
    const digest = createHash('sha256').update('dev-1').digest();
    assert.equal(r("subbits(hexstr2bin(sha256(clientid)), 1, 64)"), digest.readBigUInt64BE(0));
    const ns = r("now_timestamp('nanosecond')") as bigint;
    assert.equal(typeof ns, 'bigint');
    assert.ok(ns > 1_700_000_000_000_000_000n);
    assert.match(r("unix_ts_to_rfc3339(1708671600123456789, 'nanosecond')") as string, /^2024-02-2\dT\d\d:\d\d:00\.123456789[+-]\d\d:\d\d$/);
    assert.equal(r("rfc3339_to_unix_ts('2024-02-23T07:00:00.123456789Z', 'nanosecond')"), 1708671600123456789n);
    assert.equal(r("format_date('nanosecond', 'Z', '%N', 1708671600123456789)"), '123456789');
  });

  it('turns them into text with every digit: str, +, json_encode, sprintf, int, float', () => {
    assert.equal(r('str(payload.serial)'), String(SERIAL));
    assert.equal(r("'serial=' + payload.serial"), `serial=${SERIAL}`);
    assert.equal(r("payload.serial + ''"), String(SERIAL));
    assert.equal(r('concat(\'#\', str(payload.neg))'), `#-${SERIAL}`);
    assert.equal(r("json_encode(map_put('s', payload.serial, map_new()))"), `{"s":${SERIAL}}`);
    assert.equal(r('json_encode(payload.list)'), `[${SERIAL},1]`);
    assert.equal(r('json_encode(payload.serial)'), String(SERIAL));
    assert.equal(r("sprintf('~p ~w ~b ~.16b ~.16B', payload.serial, payload.serial, payload.serial, payload.serial, payload.serial)"),
      `${SERIAL} ${SERIAL} ${SERIAL} ${SERIAL.toString(16)} ${SERIAL.toString(16).toUpperCase()}`);
    assert.equal(r("sprintf('~p', payload.list)"), `[${SERIAL},1]`);
    assert.equal(r("join_to_string(',', payload.list)"), `${SERIAL},1`);
    assert.equal(r(`int('${SERIAL}')`), SERIAL);
    assert.equal(r('int(payload.serial)'), SERIAL);
    assert.equal(r('int(1.5e20)'), 150000000000000000000n, 'Erlang floor/1 of a float gives an integer');
    assert.equal(r('ceil(1.5e20)'), 150000000000000000000n);
    assert.equal(r('round(payload.serial)'), SERIAL);
    assert.equal(r('abs(payload.neg)'), SERIAL);
    assert.equal(r('float(payload.serial)'), Number(SERIAL));
    assert.equal(r('sqrt(payload.serial)'), Math.sqrt(Number(SERIAL)));
    // A JS number beyond 2^53 is a float, written as EMQX writes a float.
    assert.equal(r('str(1.5e20)'), '150000000000000000000.0');
    assert.equal(r('str(payload.f)'), '100000000000000000000.0');
    assert.equal(r('str(1.0e25)'), '10000000000000000905969664.0');
    // Errors name an integer an integer.
    assert.match(error('upper(payload.serial)').message, /expected a string, got integer/);
    assert.match(error('nth(payload.serial, payload.list)').message, /out of range/);
  });
});

describe('integral floats the statement shows (static-types.ts)', () => {
  it('keeps 2.0 apart from 2 where EMQX does', () => {
    assert.equal(r('str(2.0)'), '2.0');
    assert.equal(r('str(4 / 2)'), '2.0');
    assert.equal(r('str(2.0 * 3)'), '6.0');
    assert.equal(r('str(2)'), '2');
    assert.equal(r("'t=' + 2.0"), 't=2.0');
    assert.equal(r("2.0 + 't'"), '2.0t');
    assert.equal(r('2.0 + 1'), 3, 'arithmetic is unchanged');
    assert.equal(r('json_encode(4 / 2)'), '2.0');
    assert.equal(r('json_encode(2.5)'), '2.5');
    assert.equal(r('json_encode(2)'), '2');
    assert.equal(r('is_float(2.0)'), true);
    assert.equal(r('is_float(4 / 2)'), true);
    assert.equal(r('is_int(2.0)'), false);
    assert.equal(r('is_int(2)'), true);
    assert.equal(r('contains(2, [1, 2.0])'), false);
    assert.equal(r('contains(2.0, [1, 2.0])'), true);
    assert.equal(r('contains(2, [1, 2])'), true);
    assert.equal(r("case 1.0 when 1 then 'int' when 1.0 then 'float' end"), 'float');
    const where = (cond: string) => compileRule(`SELECT 1 as r FROM "m/#" WHERE ${cond}`).evaluate(publish(PAYLOAD)) !== null;
    assert.equal(where('1 in (1.0)'), false);
    assert.equal(where('1 in (1.0, 1)'), true);
    assert.equal(where('1 = 1.0'), true, '= is numeric equality (Erlang ==)');
    assert.match(error('float2str(1, 2)').message, /expected a float, got integer/);
    assert.equal(r('float2str(1.0, 2)'), '1.0');
    assert.match(error('bitand(1.0, 1)').message, /expected an integer, got float/);
    // A float read from a payload is the JS number 2 (the documented deviation).
    assert.equal(r('str(payload.x)', '{"x":2.0}'), '2');
  });
});

describe('map_put into something that is not a map (EMQX nested_put)', () => {
  it('makes a new map', () => {
    assert.deepEqual(r("map_put('a', 1, nothing_here)"), { a: 1 }, 'an undefined column');
    assert.deepEqual(r("map_put('a.b', 1, payload.n)"), { a: { b: 1 } }, 'a number');
    assert.deepEqual(r("map_put('a', 1, payload.list)"), { a: 1 }, 'a list');
    assert.deepEqual(r("map_put('a', 1, 'not json')"), { a: 1 }, 'text that is not JSON');
    assert.deepEqual(r("map_put('k', 'v', '{\"a\":1}')"), { a: 1, k: 'v' }, 'JSON object text is decoded');
    assert.deepEqual(r("map_put('a.b', 1, json_decode('{\"a\":5}'))"), { a: { b: 1 } });
    const m = r("map_put('__proto__', 1, map_new())") as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
    assert.deepEqual(Object.keys(m), ['__proto__']);
  });
});

describe('MAX stays a number', () => {
  it('2^53 - 1 and below are plain numbers', () => {
    assert.equal(r(String(MAX)), Number.MAX_SAFE_INTEGER);
    assert.equal(r(`payload.m`, `{"m":${MAX}}`), Number.MAX_SAFE_INTEGER);
  });
});

describe('exact integers in window aggregates', () => {
  it('sum() adds them exactly, min/max compare them exactly, a snapshot keeps them', () => {
    const rule = compileRule('SELECT sum(payload.v) as total, max(payload.v) as top, min(payload.v) as low FROM "m/#" GROUP BY TUMBLINGWINDOW(ss, 1)', { id: 'r1' });
    const s = rule.stream();
    s.push(publish(`{"v":${SERIAL}}`), 0);
    s.push(publish(`{"v":${SERIAL + 1n}}`), 1);
    const restored = rule.stream({ state: JSON.parse(JSON.stringify(s.snapshot())) });
    restored.push(publish('{"v":9007199254740991}'), 2);
    assert.deepEqual(restored.advance(1000), [{
      total: SERIAL + SERIAL + 1n + 9007199254740991n, top: SERIAL + 1n, low: 9007199254740991,
    }]);
    const floats = compileRule('SELECT sum(payload.v) as total FROM "m/#" GROUP BY TUMBLINGWINDOW(ss, 1)').stream();
    floats.push(publish('{"v":0.5}'), 0);
    floats.push(publish('{"v":1.25}'), 1);
    assert.deepEqual(floats.advance(1000), [{ total: 1.75 }]);
  });
});
