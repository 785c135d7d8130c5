// The regex functions on RE2 (DESIGN.md section 6: input from remote senders cannot stall
// Node-RED): PCRE spellings translated, backtracking-only constructs refused by name and place,
// at deploy for a literal pattern and per message for a computed one, linear time throughout.

import { strict as assert } from 'node:assert';
import { compileRule, RuleEvaluationError, RuleSyntaxError } from '../../src/index';
import { translatePcre } from '../../src/rules/functions/pcre';
import { call, failure } from './functions-call';

describe('rule regex functions on RE2', () => {
  it('keep PCRE semantics for ordinary patterns', () => {
    const cases: [string, string, boolean][] = [
      ['abc', 'b', true], ['abc', '^b', false], ['a1', '\\d', true], ['ABC', '(?i)abc', true],
      ['a\nb', 'a.b', false], ['a\nb', '(?s)a.b', true], ['x\nab', '(?m)^ab$', true], ['x\nab', '^ab', false],
      ['ab\n', 'b$', true], ['ab\n', 'b\\Z', true], ['ab\n', 'b\\z', false], ['ab\nc', 'b$', false],
      ['a b', 'a\\hb', true], ['a\tb', 'a[\\h]b', true], ['a\r\nb', 'a\\Rb', true], ['a\x1bb', 'a\\eb', true],
      ['a\x01', 'a\\cA', true], ['A', '\\x41', true], ['A', '\\x{41}', true], ['A', '\\o{101}', true], ['\x07', '[\\7]', true],
      [']', '[]]', true], ['[', '[[]', true], ['b', '[^]a]', true], ['é', '[[:alpha:]]', false], ['k', '[[:alpha:]]', true],
      ['a.b*', '\\Qa.b*\\E', true], ['-', '[\\Q-\\E]', true], ['ab', 'a(?#note)b', true], ['aB', 'a(?i:b)', true],
      ['x', '(*UTF8)x', true], ['{', '{', true], ['a{,2}', 'a{,2}', true], ['aaa', 'a{2,}', true],
      ['😀b', '^.b$', true], ['ab', 'a\\Nb', false],
    ];
    for (const [s, re, expected] of cases) assert.equal(call('regex_match', s, re), expected, `regex_match(${JSON.stringify(s)}, ${JSON.stringify(re)})`);
  });

  it('replace and extract as before, `$` before a final newline leaving the newline alone', () => {
    assert.equal(call('regex_replace', 'ab\n', 'b$', 'X'), 'aX\n');
    assert.equal(call('regex_replace', 'a\n', '$', 'X'), 'aX\nX');
    assert.equal(call('regex_replace', 'baaac', 'a*', '-'), '-b--c-');
    assert.equal(call('regex_replace', 'abc', '', '-'), '-a-b-c-');
    assert.equal(call('regex_replace', '😀😀', 'x*', '-'), '-😀-😀-');
    assert.equal(call('regex_replace', 'k=v;a=b', '(?P<k>\\w)=(\\w)', '\\2=\\g{1}'), 'v=k;b=a');
    assert.deepEqual(call('regex_extract', 'ab\n', '(b$)'), ['b']);
    assert.deepEqual(call('regex_extract', 'ab', '(x)?(b)'), ['', 'b']);
    assert.deepEqual(call('regex_extract', 'temp=21.5C', "(?'n'\\d+)\\.(\\d)"), ['21', '5']);
    assert.deepEqual(call('regex_extract', 'abc', '(?:a)(b)'), ['b']);
  });

  it('refuse backtracking-only constructs, naming each and its place', () => {
    const refused: [string, RegExp][] = [
      ['(a)\\1', /^backreference \\1 at character 4 of "\(a\)\\\\1"/], ['(?P<x>a)(?P=x)', /^backreference \(\?P=x\) at character 9/],
      ['(a)\\g{1}', /^backreference \\g\{1\} at character 4/], ['(?<n>a)\\k<n>', /^backreference \\k<n> at character 8/],
      ['a(?=b)', /^lookahead \(\?=b\) at character 2/], ['a(?!b)', /^lookahead \(\?!b\)/],
      ['(?<=a)b', /^lookbehind \(\?<=a\) at character 1/], ['(?<!a)b', /^lookbehind \(\?<!a\)/],
      ['(?>a+)b', /^atomic group \(\?>a\+\) at character 1/], ['a++b', /^possessive quantifier \+\+ at character 2/],
      ['a*+', /^possessive quantifier \*\+/], ['a{2}+', /^possessive quantifier \{2\}\+ at character 2/],
      ['a(?R)?b', /^recursion \(subroutine call\) \(\?R\) at character 2/], ['(a)(?1)', /^recursion \(subroutine call\) \(\?1\)/],
      ['(?<x>a)\\g<x>', /^subroutine call \\g<x>/], ['(?(1)a|b)', /^conditional group \(\?\(1\)/],
      ['a(*SKIP)(*FAIL)|b', /^backtracking verb \(\*SKIP\) at character 2/], ['ab\\Kc', /^match start reset \\K at character 3/],
    ];
    for (const [pattern, why] of refused) {
      const err = failure('regex_match', 'ab', pattern);
      assert.ok(err instanceof RuleEvaluationError);
      assert.match(err.message.replace(/^regex_match\(\): /, ''), why, pattern);
      assert.match(err.message, /is not supported: regular expressions run in linear time \(RE2\), without backtracking/);
    }
  });

  it('fail deploy for a literal pattern at its line and column; a computed one fails the message', () => {
    const sql = 'SELECT\n  regex_replace(payload.s, \'^(\\w+)\\s\\1$\', \'x\') as r\nFROM "t/#"';
    assert.throws(() => compileRule(sql), (err: unknown) => {
      assert.ok(err instanceof RuleSyntaxError);
      assert.equal(err.line, 2);
      assert.equal(err.column, 28);
      assert.match(err.reason, /^regex_replace\(\): backreference \\1 at character 9 of/);
      return true;
    });
    assert.throws(() => compileRule('SELECT regex_match(s, \'(\') FROM "t"'), /SQL line 1, column 23: regex_match\(\): invalid regular expression "\(": missing closing \)/);
    const rule = compileRule('SELECT regex_match(payload.s, payload.re) as m FROM "t/#"');
    const columns = (re: string) => ({ topic: 't/a', payload: JSON.stringify({ s: 'aab', re }) });
    assert.deepEqual(rule.evaluate(columns('^a+b$')), [{ m: true }]);
    assert.throws(() => rule.evaluate(columns('(?=a)')), /^RuleEvaluationError: regex_match\(\): lookahead \(\?=a\) at character 1/);
  });

  it('match a catastrophic pattern in linear time', () => {
    const started = process.hrtime.bigint();
    for (const n of [30, 1000, 100000]) {
      assert.equal(call('regex_match', `${'a'.repeat(n)}b`, '^(a+)+$'), false);
      assert.equal(call('regex_replace', `${'a'.repeat(n)}b`, '(a|aa)+c', 'x'), `${'a'.repeat(n)}b`);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('translate PCRE spellings to RE2 and keep the group numbers', () => {
    const t = translatePcre('(?i)(a)$(?P<n>b)\\Z');
    assert.deepEqual(t.flags, { i: true, s: false, m: false, U: false });
    assert.equal(t.source, '(a)(?:\\z|(\\n)\\z)(?P<n>b)(?:\\z|(\\n)\\z)');
    assert.deepEqual(t.groups, [1, 3]);
    assert.deepEqual(t.endMarkers, [2, 4]);
    assert.equal(translatePcre('(?m)a$').source, 'a$');
  });
});
