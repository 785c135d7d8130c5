// Where AND, OR, NOT, IN and comparisons may stand in a parsed expression (reference section
// 2.4): the check the parser runs on every value, condition and operand it reads.

import { Expr } from './ast';
import { SourceMap } from './lexer';
import { words } from '../words';

/** Where an expression stands, which decides what it may contain (reference section 2.4). */
export type Place = { kind: 'value' } | { kind: 'condition' } | { kind: 'operand'; of: string };

/**
 * AND, OR, NOT and IN belong to conditions only; a comparison may be a whole value but not
 * an operand (reference section 2.4).
 */
export function checkPlace(e: Expr, place: Place, map: SourceMap): void {
  switch (e.type) {
    case 'and': case 'or': case 'not': case 'in': {
      if (place.kind !== 'condition') {
        const word = e.type === 'in' ? (e.negated ? 'NOT IN' : 'IN') : e.type.toUpperCase();
        throw map.error(words('rules.parser.conditionOnly', '__word__ is only allowed in WHERE, INCASE and CASE WHEN conditions', { word }), e.at);
      }
      if (e.type === 'in') {
        checkPlace(e.subject, { kind: 'operand', of: e.negated ? 'NOT IN' : 'IN' }, map);
        for (const item of e.items) checkPlace(item, { kind: 'value' }, map);
      } else if (e.type === 'not') {
        checkPlace(e.operand, { kind: 'condition' }, map);
      } else {
        checkPlace(e.left, place, map);
        checkPlace(e.right, place, map);
      }
      return;
    }
    case 'compare':
      if (place.kind === 'operand') throw map.error(words('rules.parser.comparisonOperand', 'a comparison cannot be an operand of __operator__', { operator: place.of }), e.at);
      checkPlace(e.left, { kind: 'operand', of: `'${e.op}'` }, map);
      checkPlace(e.right, { kind: 'operand', of: `'${e.op}'` }, map);
      return;
    case 'arith': {
      const of = e.op === 'div' || e.op === 'mod' ? e.op : `'${e.op}'`;
      checkPlace(e.left, { kind: 'operand', of }, map);
      checkPlace(e.right, { kind: 'operand', of }, map);
      return;
    }
    case 'negate':
      checkPlace(e.operand, { kind: 'operand', of: "unary '-'" }, map);
      return;
    case 'call': {
      // STATEWINDOW(begin, emit) takes two conditions (eKuiper's state window).
      const argPlace: Place = e.name.toLowerCase() === 'statewindow' ? { kind: 'condition' } : { kind: 'value' };
      for (const arg of e.args) checkPlace(arg, argPlace, map);
      return; // OVER's parts were checked as they were parsed
    }
    case 'list':
      for (const item of e.items) checkPlace(item, { kind: 'value' }, map);
      return;
    default:
      return; // CASE parts were checked as they were parsed
  }
}
