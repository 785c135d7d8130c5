// String, regex and format functions (reference section 5.4).

import { strict as assert } from 'node:assert';
import { call, failure } from './functions-call';

describe('rule string functions', () => {
  it('raise a typed error naming the function and the value type', () => {
    assert.equal(failure('upper', undefined).message, 'upper(): expected a string, got undefined');
    assert.equal(failure('lower', 123).message, 'lower(): expected a string, got integer');
    assert.equal(failure('strlen', null).code, 'bad_sql_function_argument');
  });

  it('map case and count graphemes with Unicode rules', () => {
    assert.equal(call('upper', 'straße'), 'STRASSE');
    assert.equal(call('lower', 'ÀÉ'), 'àé');
    assert.equal(call('strlen', '你好'), 2);
    assert.equal(call('strlen', 'e\u0301\r\n'), 2);
    assert.equal(call('upper', Buffer.from('abc')), 'ABC');
  });

  it('reverse any Unicode text by grapheme (deviation from EMQX, which fails above U+00FF)', () => {
    assert.equal(call('reverse', '你好👋'), '👋好你');
    assert.equal(call('reverse', 'ae\u0301'), 'e\u0301a');
  });

  it('take substrings with a 0-based start', () => {
    assert.equal(call('substr', 'hello world', 6, 3), 'wor');
    assert.equal(call('substr', 'abc', 10), '');
    assert.equal(call('substr', '你好吗', 1, 1), '好');
    assert.match(failure('substr', 'abc', 0, -1).message, /length must not be negative/);
  });

  it('find from the first or last occurrence', () => {
    assert.equal(call('find', 'a/b/c', '/', 'trailing'), '/c');
    assert.equal(call('find', 'a/b/c', 'x'), '');
    assert.match(failure('find', 'a', 'a', 'middle').message, /expected one of 'leading', 'trailing'/);
    assert.equal(call('rm_prefix', 'foo/bar', 'foo/'), 'bar');
  });

  it('trim Erlang whitespace only, and chosen characters with rtrim/2', () => {
    assert.equal(call('trim', '\t x \r\n'), 'x');
    assert.equal(call('ltrim', '  x  '), 'x  ');
    assert.equal(call('trim', '\u00a0x'), '\u00a0x');
    assert.equal(call('rtrim', 'x--==', '-='), 'x');
  });

  it('pad by graphemes, an odd leftover going right with both', () => {
    assert.equal(call('pad', 'abc', 6, 'both'), ' abc  ');
    assert.equal(call('pad', 'abc', 5, 'both', 'ex'), 'exabcex');
    assert.equal(call('pad', '你', 3, 'leading', '0'), '00你');
  });

  it('split with every option and tokenize on character sets', () => {
    assert.deepEqual(call('split', '/a/b//c/', '/'), ['a', 'b', 'c']);
    assert.deepEqual(call('split', '/a/b//c/', '/', 'notrim'), ['', 'a', 'b', '', 'c', '']);
    assert.deepEqual(call('split', '/a/b', '/', 'leading'), ['a/b']);
    assert.deepEqual(call('split', 'a/b/', '/', 'trailing_notrim'), ['a/b', '']);
    assert.deepEqual(call('tokens', 'a  b,,c', ' ,'), ['a', 'b', 'c']);
  });

  it('match separators on grapheme boundaries only, as Erlang does', () => {
    assert.deepEqual(call('split', 'a\r\nb\nc', '\n'), ['a\r\nb', 'c']);
    assert.deepEqual(call('split', 'a\r\nb', '\r\n'), ['a', 'b']);
    assert.equal(call('replace', 'e\u0301e', 'e', 'x'), 'e\u0301x');
    assert.equal(call('find', 'ae\u0301e!', 'e'), 'e!');
  });

  it('concatenate and join with the str() rules', () => {
    assert.equal(call('concat', 'a', 1.5), 'a1.5');
    assert.equal(call('concat', ['x', undefined, null, true]), 'xundefinednulltrue');
    assert.equal(call('join_to_string', [1, 'b', { k: 1 }]), '1, b, {"k":1}');
    assert.equal(call('join_to_sql_values_string', [1, "it's", { a: 'b\\' }, [1]]), `1, 'it\\'s', '{"a":"b\\\\\\\\"}', '[1]'`);
  });

  it('turn a map into Redis HSET arguments', () => {
    assert.deepEqual(call('map_to_redis_hset_args', '{"i":1,"f":1.5,"b":true,"s":"x"}'),
      ['map_to_redis_hset_args', 'i', '1', 'f', '1.5', 'b', 'true', 's', 'x']);
    assert.deepEqual(call('map_to_redis_hset_args', 'not json'), ['map_to_redis_hset_args']);
  });

  it('replace literally: all, leading or trailing', () => {
    assert.equal(call('replace', 'a.b.c', '.', '*'), 'a*b*c');
    assert.equal(call('replace', 'a.b.c', '.', '*', 'trailing'), 'a.b*c');
  });

  it('give the first byte with ascii()', () => {
    assert.equal(call('ascii', 'a'), 97);
    assert.equal(call('ascii', 'é'), 0xc3);
    assert.match(failure('ascii', '').message, /non-empty/);
  });

  it('unescape C escapes and greedy \\x hex escapes, rejecting others', () => {
    assert.equal(call('unescape', 'a\\nb\\\\c\\"\\?'), 'a\nb\\c"?');
    assert.equal(call('unescape', '\\x1F600'), '😀');
    assert.match(failure('unescape', '\\q').message, /unknown escape sequence \\q/);
    assert.match(failure('unescape', '\\x110000').message, /invalid hex escape/);
    assert.match(failure('unescape', 'end\\').message, /unknown escape/);
  });
});

describe('rule regex functions (PCRE patterns)', () => {
  it('search unanchored and translate PCRE syntax', () => {
    assert.equal(call('regex_match', 'xx12yy', '\\d+'), true);
    assert.equal(call('regex_match', 'ABC', '(?i)^abc$'), true);
    assert.equal(call('regex_match', 'a1', '^[[:alpha:]][[:digit:]]$'), true);
    assert.equal(call('regex_match', 'abc\n', '^abc$'), true, "PCRE's $ also matches before a final newline");
    assert.equal(call('regex_match', 'abc\n', '^abc\\z'), false);
    assert.equal(call('regex_match', 'a.b', '\\Qa.b\\E'), true);
    assert.equal(call('regex_match', 'axb', '\\Qa.b\\E'), false);
  });

  it('replace every match with & and \\N references', () => {
    assert.equal(call('regex_replace', 'hello world', 'o', '0'), 'hell0 w0rld');
    assert.equal(call('regex_replace', 'k=v', '(\\w)=(\\w)', '\\2=\\1 [&]'), 'v=k [k=v]');
    assert.equal(call('regex_replace', 'ab', 'b', '\\&'), 'a&');
  });

  it('extract the groups of the first match, named groups included', () => {
    assert.deepEqual(call('regex_extract', 'id=42;id=7', 'id=(\\d+)'), ['42']);
    assert.deepEqual(call('regex_extract', 'k=v', '(?P<key>\\w)=(\\w)'), ['k', 'v']);
    assert.deepEqual(call('regex_extract', 'ab', '(x)?b'), ['']);
  });

  it('report an invalid pattern clearly', () => {
    assert.match(failure('regex_match', 'x', '(').message, /^regex_match\(\): invalid regular expression "\("/);
  });
});

describe('rule sprintf (Erlang io_lib:format)', () => {
  it('formats strings, terms and numbers', () => {
    assert.equal(call('sprintf', 'Hello ~s, ~ts!', 'a', '你'), 'Hello a, 你!');
    assert.equal(call('sprintf', '~p|~w|~p', 'abc', [1, 'x'], { a: 1 }), '<<"abc">>|[1,<<"x">>]|#{<<"a">> => 1}');
    assert.equal(call('sprintf', '~tp ~p', '你好', undefined), '<<"你好"/utf8>> undefined');
    assert.equal(call('sprintf', '~b ~.16B ~.16b ~.2b', 10, 255, 255, 5), '10 FF ff 101');
    assert.equal(call('sprintf', '~.2f ~f ~e', 3.14159, 1.5, 1.5), '3.14 1.500000 1.50000e+0');
    assert.equal(call('sprintf', '~c~3c ~i~n~~', 65, 66, 'ignored'), 'ABBB \n~');
  });

  it('applies field width, precision and pad character', () => {
    assert.equal(call('sprintf', '[~5s][~-5s][~2s]', 'ab', 'ab', 'abcd'), '[   ab][ab   ][ab]');
    assert.equal(call('sprintf', '~8.3.0f', 3.14159), '0003.142');
    assert.equal(call('sprintf', '~*.10.0B', 4, 7), '0007');
  });

  it('raises on too few or too many arguments and unknown controls', () => {
    assert.match(failure('sprintf', '~s ~s', 'a').message, /too few arguments/);
    assert.match(failure('sprintf', '~s', 'a', 'b').message, /too many arguments/);
    assert.match(failure('sprintf', '~q', 1).message, /unknown format control ~q/);
    assert.match(failure('sprintf', '~b', 1.5).message, /expected an integer for ~b, got float/);
  });

  it('takes the arguments as a list with sprintf_s', () => {
    assert.equal(call('sprintf_s', '~s=~p', ['k', 1]), 'k=1');
  });
});
