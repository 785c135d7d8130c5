// The function registry and the value model every function shares (src/rules/functions/index.ts,
// src/rules/values.ts).

import { strict as assert } from 'node:assert';
import { functionNames, isUnsupportedFunction, lookupFunction, suggestFunction } from '../../src/rules/functions';
import { bytesResult, decodeJson, exactEquals, jsonEncode, textOf, toText, typeName } from '../../src/rules/values';
import { RuleEvaluationError } from '../../src/rules/errors';

describe('rule function registry', () => {
  it('finds functions by exact, case-sensitive name', () => {
    assert.equal(lookupFunction('upper')?.name, 'upper');
    assert.equal(lookupFunction('UPPER'), undefined);
    assert.equal(lookupFunction('sprintf')?.maxArgs, Infinity);
    assert.deepEqual([lookupFunction('substr')?.minArgs, lookupFunction('substr')?.maxArgs], [2, 3]);
  });

  it('knows every category of reference section 5', () => {
    const names = new Set(functionNames());
    for (const n of ['topic', 'coalesce', 'is_empty', 'str_utf16_le', 'sqlserver_bin2hexstr', 'tokens', 'regex_extract',
      'sprintf_s', 'sublist', 'map_to_entries', 'hash', 'zip_uncompress', 'base64_decode', 'subbits', 'atanh',
      'date_to_unix_ts', 'timezone_to_second', 'mongo_date', 'kv_store_get', 'uuid_v4_no_hyphen', 'div', 'mod', 'eq']) {
      assert.ok(names.has(n), n);
    }
  });

  it('marks the functions EMQX has but this engine does not support', () => {
    for (const n of ['term_encode', 'jq', 'schema_decode', 'avro_encode', 'sparkplug_decode', 'spb_decode',
      'ai_completion', 'contains_topic', 'contains_topic_match', 'json_value', 'topic_split', 'rand_int', 'str_eq', 'int2hexstr']) {
      assert.equal(isUnsupportedFunction(n), true, n);
      assert.equal(lookupFunction(n), undefined, n);
    }
    assert.equal(isUnsupportedFunction('upper'), false);
    assert.equal(isUnsupportedFunction('nosuch'), false);
  });

  it('suggests the closest known name for an unknown one', () => {
    assert.equal(suggestFunction('UPPER'), 'upper');
    assert.equal(suggestFunction('Json_Decode'), 'json_decode');
    assert.equal(suggestFunction('uper'), 'upper');
    assert.equal(suggestFunction('substring'), 'substr');
    assert.equal(suggestFunction('qqqqqqqqqqqq'), undefined);
  });
});

describe('rule values', () => {
  it('converts to text with EMQX str() rules (reference 3.10)', () => {
    assert.equal(toText(undefined), 'undefined');
    assert.equal(toText(null), 'null');
    assert.equal(toText(true), 'true');
    assert.equal(toText(100), '100');
    assert.equal(toText(0.1), '0.1');
    assert.equal(toText(3.14159265359), '3.1415926536');
    assert.equal(toText(0.300000004), '0.300000004');
    assert.equal(toText(0.000000314159265359), '0.0000003142');
    assert.equal(toText(-1.5), '-1.5');
    // Beyond 2^53 a JS number is a float; an integer that large is a BigInt (DESIGN.md section 2).
    assert.equal(toText(1e21), '1000000000000000000000.0');
    assert.equal(toText(1.5e20), '150000000000000000000.0');
    assert.equal(toText(1e25), '10000000000000000905969664.0');
    assert.equal(toText(1724442618569203714n), '1724442618569203714');
    assert.equal(toText(-1724442618569203714n), '-1724442618569203714');
    assert.equal(toText({ serial: 1724442618569203714n }), '{"serial":1724442618569203714}');
    assert.equal(toText({ a: [1, 'x'] }), '{"a":[1,"x"]}');
    assert.equal(toText(Buffer.from('héllo')), 'héllo');
  });

  it('encodes JSON with undefined as the string "undefined", anywhere', () => {
    assert.equal(jsonEncode(undefined), '"undefined"');
    assert.equal(jsonEncode({ a: undefined, b: null, c: [undefined] }), '{"a":"undefined","b":null,"c":["undefined"]}');
    assert.equal(jsonEncode({ raw: Buffer.from('hi') }), '{"raw":"hi"}');
    assert.equal(jsonEncode('x"y'), '"x\\"y"');
  });

  it('decodes JSON or raises decode_json_failed, including for the empty string', () => {
    assert.deepEqual(decodeJson('{"a":null}'), { a: null });
    assert.deepEqual(decodeJson(Buffer.from('[1]')), [1]);
    for (const bad of ['', '{', 'abc', undefined, 12]) {
      assert.throws(() => decodeJson(bad), (e: unknown) => e instanceof RuleEvaluationError && e.code === 'decode_json_failed');
    }
  });

  it('compares exactly, without coercion, maps structurally', () => {
    assert.equal(exactEquals('1', 1), false);
    assert.equal(exactEquals(undefined, null), false);
    assert.equal(exactEquals({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
    assert.equal(exactEquals({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(exactEquals([1, 2], [2, 1]), false);
    assert.equal(exactEquals('ab', Buffer.from('ab')), true);
  });

  it('keeps bytes as text when they are valid UTF-8 and as a Buffer otherwise', () => {
    assert.equal(bytesResult(Buffer.from('héllo')), 'héllo');
    const raw = bytesResult(Buffer.from([0xff, 0x00]));
    assert.ok(Buffer.isBuffer(raw));
    assert.equal(textOf(raw), undefined);
    assert.equal(typeName(raw), 'bytes (not UTF-8)');
    assert.equal(typeName(1.5), 'float');
    assert.equal(typeName([]), 'list');
    assert.equal(typeName({}), 'map');
  });
});
