// The statement cases of the conformance corpus (test/fixtures/sql-cases.json, reference
// section 7), run through the engine: every case must give EMQX's result, except the
// deliberate deviations listed below (DESIGN.md section 2), which must give the intended one.

import assert from 'node:assert/strict';
import { checkSqlCase, loadCases, SqlCase } from './conformance-cases';

const cases = loadCases<SqlCase>('sql-cases.json');

/** Cases where EMQX is plainly buggy and we do what was intended; `expected` is our result. */
const DEVIATIONS: Record<string, { reason: string; expected: unknown }> = {
  where_not_in_is_error: {
    reason: 'NOT IN works as in standard SQL (EMQX raises function_clause for every NOT IN)',
    expected: { r: 1 },
  },
};

describe('rule SQL conformance (sql-cases.json)', () => {
  it('holds the sample of the corpus', () => {
    assert.ok(cases.length >= 147);
  });

  for (const c of cases) {
    const deviation = DEVIATIONS[c.name];
    if (deviation) {
      it(`${c.name} [deviation: ${deviation.reason}]`, () => checkSqlCase(c, deviation.expected));
    } else {
      it(c.name, () => checkSqlCase(c, c.expected));
    }
  }
});
