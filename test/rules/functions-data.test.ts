// Conversion, null/type checks, arrays, maps, bits, hashing, compression, encoding and math
// (reference sections 5.2, 5.3, 5.5 to 5.9).

import { strict as assert } from 'node:assert';
import { call, failure } from './functions-call';

describe('rule conversion functions', () => {
  it('convert to integers with Erlang number syntax, flooring floats', () => {
    assert.equal(call('int', '+200'), 200);
    assert.equal(call('int', '0010'), 10);
    assert.equal(call('int', '3.1415e2'), 314);
    assert.equal(call('int', -3.14), -4);
    assert.equal(call('int', true), 1);
    assert.match(failure('int', ' 1').message, /cannot convert " 1" to an integer/);
    assert.match(failure('int', '1e5').message, /cannot convert/);
  });

  it('convert to floats, which need a "." in text, and round to decimals', () => {
    assert.equal(call('float', '12'), 12);
    assert.equal(call('float', '-1.5e-3'), -0.0015);
    assert.match(failure('float', '1e5').message, /cannot convert "1e5" to a float/);
    assert.equal(call('float', 2.71828, 2), 2.72);
    assert.match(failure('float', 1.5, 0).message, /decimals must be greater than 0/);
    assert.equal(call('float2str', 0.1, 3), '0.1');
    assert.equal(call('float2str', 1.23456, 2), '1.23');
    assert.equal(call('float2str', 2, 2), '2.0');
  });

  it('convert to booleans from exactly true/false, 1/0 and their text', () => {
    assert.equal(call('bool', 0), false);
    assert.equal(call('bool', 'false'), false);
    for (const bad of [3, '1', 'True', undefined]) assert.equal(failure('bool', bad).code, 'bad_sql_function_argument');
  });

  it('convert to maps from JSON object text, maps and []', () => {
    assert.deepEqual(call('map', '{"a":1}'), { a: 1 });
    assert.deepEqual(call('map', []), {});
    assert.throws(() => call('map', '[1]'));
    assert.throws(() => call('map', 1));
  });

  it('convert between bytes and hex', () => {
    assert.equal(call('bin2hexstr', 'hi'), '6869');
    assert.equal(call('bin2hexstr', Buffer.from([0xde, 0xad])), 'DEAD');
    assert.deepEqual(call('hexstr2bin', 'FFFE'), Buffer.from([0xff, 0xfe]));
    assert.equal(call('hexstr2bin', '6869'), 'hi', 'bytes that are valid UTF-8 are text');
    assert.match(failure('hexstr2bin', 'xyz').message, /not hexadecimal/);
    assert.deepEqual(call('str_utf16_le', 'é'), Buffer.from([0xe9, 0x00]));
  });

  it('leave bytes unchanged with str(), and require UTF-8 with str_utf8()', () => {
    assert.deepEqual(call('str', Buffer.from([0xff])), Buffer.from([0xff]));
    assert.equal(call('str', Buffer.from('ok')), 'ok');
    assert.match(failure('str_utf8', Buffer.from([0xff])).message, /expected text that is valid UTF-8, got bytes/);
  });
});

describe('rule null handling and type checks', () => {
  it('tell undefined from JSON null', () => {
    assert.equal(call('is_null', undefined), true);
    assert.equal(call('is_null', null), false);
    assert.equal(call('is_null_var', null), true);
    assert.equal(call('is_not_null_var', 0), true);
    assert.equal(call('coalesce', undefined, null), null);
    assert.equal(call('coalesce', []), undefined);
    assert.equal(call('coalesce_ne', ['', undefined]), undefined);
    assert.equal(call('null'), undefined);
  });

  it('check types', () => {
    assert.equal(call('is_str', Buffer.from([0xff])), true);
    assert.equal(call('is_int', 1.5), false);
    assert.equal(call('is_float', 1.5), true);
    assert.equal(call('is_map', []), false);
    assert.equal(call('is_array', {}), false);
  });

  it('test emptiness of lists, maps and JSON object text; other text is an error', () => {
    assert.equal(call('is_empty', []), true);
    assert.equal(call('is_empty', '{}'), true);
    assert.equal(call('is_empty', '{"a":1}'), false);
    assert.equal(call('is_empty', ''), true);
    assert.equal(failure('is_empty', 'abc').code, 'decode_json_failed');
    assert.throws(() => call('is_empty', 5));
  });

  it('compare with eq() like Erlang ==: numeric tolerance, no text-to-number coercion', () => {
    assert.equal(call('eq', 1, 1.0), true);
    assert.equal(call('eq', { a: [1] }, { a: [1] }), true);
    assert.equal(call('eq', '1', 1), false);
    assert.equal(call('eq', undefined, undefined), true);
  });

  it('divide with div() and mod() on integers only', () => {
    assert.equal(call('div', -7, 2), -3);
    assert.equal(call('mod', -7, 3), -1);
    assert.equal(call('mod', 7, -3), 1);
    assert.equal(failure('div', 1, 0).message, 'div(): division by zero');
    assert.equal(failure('mod', 1.5, 1).message, 'mod(): expected an integer, got float');
  });
});

describe('rule list and map functions', () => {
  it('index lists 1-based and fail out of range', () => {
    assert.equal(call('nth', 1, ['a', 'b']), 'a');
    assert.match(failure('nth', 3, ['a', 'b']).message, /position 3 is out of range 1..2/);
    assert.equal(call('first', [1, 2]), 1);
    assert.equal(call('last', [1, 2]), 2);
    assert.match(failure('first', []).message, /empty/);
    assert.equal(call('contains', { a: 1 }, [{ a: 1 }]), true);
    assert.equal(call('contains', '1', [1]), false);
  });

  it('get and put along dot paths, accepting JSON text', () => {
    assert.equal(call('map_get', 'a.b', '{"a":{"b":2}}'), 2);
    assert.equal(call('map_get', 'a.b', '{"a":"{\\"b\\":3}"}'), 3, 'JSON text met on the path is decoded');
    assert.equal(call('map_get', 'x', {}, 'dflt'), 'dflt');
    assert.equal(call('map_get', 'x', 'not json'), undefined);
    assert.deepEqual(call('map_put', 'a.b.c', 1, '{"a":5}'), { a: { b: { c: 1 } } });
    const original = { a: { b: 1 } };
    call('map_put', 'a.c', 2, original);
    assert.deepEqual(original, { a: { b: 1 } }, 'map_put does not modify its input');
  });

  it('take mget/mput keys literally', () => {
    assert.equal(call('mget', 'a.b', { 'a.b': 1, a: { b: 2 } }), 1);
    assert.equal(call('mget', 'x', '{}', 0), 0);
    assert.deepEqual(call('mput', 'a.b', 1, '{}'), { 'a.b': 1 });
    assert.equal(call('mget', ['a', 'b'], { a: { b: 1 } }), undefined, 'a list key does not nest');
  });

  it('list keys, values and entries in key order', () => {
    const m = '{"b":2,"a":1,"c":3}';
    assert.deepEqual(call('map_keys', m), ['a', 'b', 'c']);
    assert.deepEqual(call('map_values', m), [1, 2, 3]);
    assert.deepEqual(call('map_to_entries', '{"b":2,"a":1}'), [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    assert.equal(call('map_size', m), 3);
    assert.throws(() => call('map_keys', '[1]'));
  });
});

describe('rule bit functions', () => {
  it('operate on integers of any size', () => {
    assert.equal(call('bitsl', 1, 40), 2 ** 40);
    assert.equal(call('bitor', 2 ** 40, 1), 2 ** 40 + 1);
    assert.equal(call('bitsr', -1, 3), -1);
    assert.equal(failure('bitnot', 1.5).message, 'bitnot(): expected an integer, got float');
  });

  it('measure and slice bits', () => {
    assert.equal(call('bytesize', 'é'), 2);
    assert.equal(call('bitsize', 'é'), 16);
    const b = Buffer.from('0102FF', 'hex');
    assert.equal(call('subbits', b, 1, 16, 'integer', 'unsigned', 'little'), 0x0201);
    assert.equal(call('subbits', b, 17, 8, 'integer', 'signed', 'big'), -1);
    assert.equal(call('subbits', b, 17, 100), 255, 'fewer bits than asked: the rest is used');
    assert.equal(call('subbits', b, 25, 8), undefined, 'a start past the end');
    assert.equal(call('subbits', Buffer.from('3FC00000', 'hex'), 1, 32, 'float'), 1.5);
    assert.deepEqual(call('subbits', b, 9, 16, 'bits'), Buffer.from('02FF', 'hex'));
    // Erlang's 16-bit float segment: IEEE 754 half precision.
    assert.equal(call('subbits', Buffer.from('3E00', 'hex'), 1, 16, 'float'), 1.5);
    assert.equal(call('subbits', Buffer.from('C000', 'hex'), 1, 16, 'float', 'signed', 'big'), -2);
    assert.equal(call('subbits', Buffer.from('0001', 'hex'), 1, 16, 'float'), 2 ** -24, 'a subnormal half');
    assert.equal(call('subbits', Buffer.from('003C', 'hex'), 1, 16, 'float', 'unsigned', 'little'), 1);
    assert.equal(call('subbits', Buffer.from('7BFF', 'hex'), 1, 16, 'float'), 65504);
    assert.match(failure('subbits', Buffer.from('7C00', 'hex'), 1, 16, 'float').message, /not a finite float/);
    assert.match(failure('subbits', Buffer.from('7F800000', 'hex'), 1, 32, 'float').message, /not a finite float/);
    assert.match(failure('subbits', b, 1, 24, 'float').message, /16, 32 or 64 bits/);
  });
});

describe('rule hash, compression and encoding functions', () => {
  it('hash to lower-case hex, MD4 included', () => {
    assert.equal(call('md5', 'abc'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(call('sha', 'abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(call('hash', 'md4', 'abc'), 'a448017aaf21d8525fc10ae87aa6729d');
    assert.equal(call('hash', 'md4', 'message digest'), 'd9130a8164549fe818874806e1c7014b');
    assert.equal(call('hash', 'md4', '1234567890'.repeat(8)), 'e33b4ddc9c38f2199c3e7b164fcc0536', 'two blocks');
    assert.equal(call('hash', 'sha3_256', ''), 'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a');
    assert.match(failure('hash', 'crc32', 'x').message, /unknown hash algorithm 'crc32'/);
    assert.equal(failure('md5', 1).message, 'md5(): expected a string or bytes, got integer');
  });

  it('round-trip every compression pair', () => {
    const text = 'hello hello hello';
    assert.equal(call('unzip', call('zip', text)), text);
    assert.equal(call('gunzip', call('gzip', text)), text);
    assert.equal(call('zip_uncompress', call('zip_compress', text)), text);
    assert.match(failure('gunzip', 'not gzip').message, /^gunzip\(\): invalid compressed data/);
  });

  it('encode and decode base64 with the urlsafe and no_padding options', () => {
    assert.equal(call('base64_encode', 'a'), 'YQ==');
    assert.equal(call('base64_encode', 'a', 'no_padding'), 'YQ');
    assert.equal(call('base64_encode', Buffer.from('FBEF', 'hex'), 'urlsafe', 'no_padding'), '--8');
    assert.equal(call('base64_decode', 'YQ=='), 'a');
    assert.match(failure('base64_decode', 'YQ').message, /padding is required/);
    assert.equal(call('base64_decode', 'YQ', 'no_padding'), 'a');
    assert.deepEqual(call('base64_decode', '--8=', 'urlsafe'), Buffer.from('FBEF', 'hex'));
    assert.throws(() => call('base64_decode', '--8='), /invalid base64/);
  });

  it('encode and decode JSON', () => {
    assert.equal(call('json_encode', { a: undefined, b: [1, null] }), '{"a":"undefined","b":[1,null]}');
    assert.deepEqual(call('json_decode', '[1,{"a":null}]'), [1, { a: null }]);
    assert.equal(failure('json_decode', { a: 1 }).message, 'json_decode(): expected JSON text, got map');
    assert.equal(failure('json_decode', '{').code, 'decode_json_failed');
  });
});

describe('rule math functions', () => {
  it('round half away from zero and accept floats in abs (deviation)', () => {
    assert.equal(call('round', 2.5), 3);
    assert.equal(call('round', -2.5), -3);
    assert.equal(call('abs', -1.2), 1.2);
    assert.equal(call('ceil', -0.5) === 0, true);
  });

  it('raise on domain errors and non-numbers', () => {
    assert.equal(failure('sqrt', -1).code, 'badarith');
    assert.equal(failure('log', 0).code, 'badarith');
    assert.equal(failure('fmod', 1, 0).code, 'badarith');
    assert.equal(failure('sin', '1').message, 'sin(): expected a number, got string');
  });

  it('compute the usual functions', () => {
    assert.equal(call('power', 2, 10), 1024);
    assert.equal(call('fmod', -5.5, 2), -1.5);
    assert.equal(call('log10', 1000), 3);
    const r = call('random') as number;
    assert.ok(r >= 0 && r < 1);
  });
});
