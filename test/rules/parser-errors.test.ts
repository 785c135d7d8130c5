// Malformed statements: each is a RuleSyntaxError at the exact line and column of the
// offending text, saying what was expected (reference sections 1 and 2).

import assert from 'node:assert/strict';
import { compileRule, RuleSyntaxError } from '../../src';

interface Malformed {
  sql: string;
  line: number;
  column: number;
  reason: string;
  code?: string;
}

const MALFORMED: Malformed[] = [
  { sql: 'SELECT FROM "t/#"', line: 1, column: 8, reason: 'expected an expression after SELECT' },
  { sql: 'SELECT a', line: 1, column: 9, reason: "expected ',' or FROM, found the end of the statement" },
  { sql: 'SELECT a, FROM "t/#"', line: 1, column: 11, reason: "expected an expression after ','" },
  { sql: 'SELECT a + FROM "t/#"', line: 1, column: 12, reason: "expected an expression after '+'" },
  { sql: 'SELECT * FROM', line: 1, column: 14, reason: 'expected a topic after FROM, found the end of the statement' },
  { sql: 'SELECT * FROM t/a', line: 1, column: 15, reason: `a topic with '/' must be quoted: FROM "t/..."` },
  { sql: 'SELECT 1 as from FROM "t/#"', line: 1, column: 13, reason: 'expected a name after AS, found the reserved word FROM' },
  {
    sql: 'SELECT `a` FROM "t/#"', line: 1, column: 8,
    reason: `unexpected character \` (backticks are not quotes in rule SQL; use "name" or 'text')`,
  },
  { sql: `SELECT 'abc FROM "t/#"`, line: 1, column: 8, reason: "unterminated string: missing the closing '" },
  { sql: 'SELECT a = 1 and b = 2 as r FROM "t/#"', line: 1, column: 14, reason: 'AND is only allowed in WHERE, INCASE and CASE WHEN conditions' },
  { sql: 'SELECT is_null(a) or b = 2 as r FROM "t/#"', line: 1, column: 19, reason: 'OR is only allowed in WHERE, INCASE and CASE WHEN conditions' },
  { sql: 'SELECT a in (1,2) as r FROM "t/#"', line: 1, column: 10, reason: 'IN is only allowed in WHERE, INCASE and CASE WHEN conditions' },
  { sql: 'SELECT * FROM "t/#" WHERE 5 > 3 > 1', line: 1, column: 33, reason: 'comparisons cannot be chained (a < b < c); combine them with AND' },
  { sql: 'SELECT * FROM "t/#" WHERE (5 > 3) = true', line: 1, column: 30, reason: "a comparison cannot be an operand of '='" },
  { sql: 'SELECT 15e3 as x FROM "t/#"', line: 1, column: 8, reason: 'invalid number 15e3: an exponent needs a decimal point (write 1.5e3)' },
  { sql: 'SELECT 1.5f as x FROM "t/#"', line: 1, column: 8, reason: 'invalid number 1.5f' },
  { sql: 'SELECT a.1.100 FROM "t/#"', line: 1, column: 10, reason: "expected a key after '.' (a name, an integer or a 'quoted' key), found 1.100" },
  { sql: 'SELECT a[1].[2] FROM "t/#"', line: 1, column: 13, reason: "expected a key after '.' (a name, an integer or a 'quoted' key), found '['" },
  { sql: 'SELECT a[1..2].b FROM "t/#"', line: 1, column: 15, reason: 'a range [1..2] must be the last step of a path' },
  { sql: 'SELECT 1 as a[1..2] FROM "t/#"', line: 1, column: 14, reason: 'a range [1..2] cannot be used in an alias' },
  { sql: 'SELECT a[] FROM "t/#"', line: 1, column: 10, reason: "expected an index after '[' (an integer, a name or a path), found ']'" },
  { sql: 'SELECT case when a = 1 then 2 FROM "t/#"', line: 1, column: 31, reason: 'expected WHEN, ELSE or END, found FROM' },
  { sql: 'SELECT case a then 2 end FROM "t/#"', line: 1, column: 15, reason: 'expected WHEN, found THEN' },
  { sql: 'SELECT upper(a FROM "t/#"', line: 1, column: 16, reason: "expected ')' to close the arguments of upper(, found FROM" },
  { sql: 'SELECT (a + 1 FROM "t/#"', line: 1, column: 15, reason: "expected ')' to close '(', found FROM" },
  {
    sql: 'SELECT * FROM "t/#" WHERE a = 1 -- trailing comment', line: 1, column: 33,
    reason: 'a -- comment must end with a line break (it cannot be on the last line)',
  },
  { sql: '  \n ', line: 1, column: 1, reason: 'the statement is empty' },
  { sql: 'UPDATE t SET a = 1', line: 1, column: 1, reason: 'expected SELECT or FOREACH, found UPDATE' },
  { sql: 'SELECT * FROM "t/#" WHERE', line: 1, column: 26, reason: 'expected an expression after WHERE' },
  { sql: 'SELECT * FROM "t/#" ORDER BY a', line: 1, column: 21, reason: "expected ',', WHERE or the end of the statement, found ORDER" },
  { sql: 'SELECT\n  payload.x as x,\n  4 DIV 2 as y\nFROM "t/#"', line: 3, column: 5, reason: 'DIV is not an operator here: div and mod are written in lower case' },
  { sql: 'SELECT\n  clientid\nFROM\n  "t/#"\nWHERE\n  a = 1 and\n', line: 6, column: 12, reason: 'expected an expression after AND' },
  { sql: '\n\n  SELECT a\n  -- the fields\n  FROM "t/#" WHERE a = = 1', line: 5, column: 24, reason: "expected an expression after '='" },
  { sql: 'FOREACH payload.sensors DO item.x INCASE FROM "t/#"', line: 1, column: 42, reason: 'expected an expression after INCASE' },
  { sql: 'FOREACH payload.a WHERE a = 1 FROM "t/#"', line: 1, column: 19, reason: "expected ',', DO, INCASE or FROM, found WHERE" },
  { sql: 'FOREACH * FROM "t/#"', line: 1, column: 9, reason: 'the last FOREACH field must be the collection to iterate, not *' },
  { sql: 'SELECT * FROM "t/#" WHERE a IN 1, 2', line: 1, column: 32, reason: "expected '(' after IN, found 1" },
  { sql: 'SELECT x.upper(a) FROM "t/#"', line: 1, column: 8, reason: 'only a plain name can be called as a function' },
  { sql: 'SELECT a ! b FROM "t/#"', line: 1, column: 10, reason: 'unexpected character "!"' },
  {
    sql: 'SELECT UPPER(clientid) FROM "t/#"', line: 1, column: 8,
    reason: 'function UPPER is not supported; did you mean upper?', code: 'sql_function_not_supported',
  },
  {
    sql: "SELECT\n  jq('.a', payload) as a\nFROM \"t/#\"", line: 2, column: 3,
    reason: 'function jq is not supported', code: 'sql_function_not_supported',
  },
  { sql: 'SELECT upper(a, b) FROM "t/#"', line: 1, column: 8, reason: 'function upper expects 1 argument, got 2', code: 'bad_sql_function_arity' },
];

describe('rule SQL syntax errors', () => {
  it('lists at least 20 malformed statements', () => {
    assert.ok(MALFORMED.length >= 20);
  });

  for (const m of MALFORMED) {
    it(`${JSON.stringify(m.sql)} → line ${m.line}, column ${m.column}: ${m.reason}`, () => {
      assert.throws(() => compileRule(m.sql), (err: unknown) => {
        assert.ok(err instanceof RuleSyntaxError, `not a RuleSyntaxError: ${String(err)}`);
        assert.equal(err.reason, m.reason);
        assert.equal(err.line, m.line, 'line');
        assert.equal(err.column, m.column, 'column');
        assert.equal(err.message, `SQL line ${m.line}, column ${m.column}: ${m.reason}`);
        assert.equal(err.code, m.code ?? 'syntax_error');
        return true;
      });
    });
  }

  it('counts positions in the statement as written, before trimming and `\\n/` removal', () => {
    assert.throws(() => compileRule('\n\n   SELECT a,\n/ FROM "t/#"'), (err: unknown) => {
      assert.ok(err instanceof RuleSyntaxError);
      // `\n/` is deleted, so FROM follows the comma: the error points at FROM on line 4.
      assert.equal(err.reason, "expected an expression after ','");
      assert.equal(err.line, 4);
      assert.equal(err.column, 3);
      return true;
    });
  });
});
