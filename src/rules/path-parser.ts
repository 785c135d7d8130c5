// Names and paths as they are written: `a`, `a.b`, `a[1]`, `a[-1]`, `a[x.y]` and, in
// expressions only, a final range `a[1..2]`. Used for values, aliases and index variables.

import { Expr, NameRef, Segment } from './ast';
import { Token } from './lexer';
import { describe, TokenCursor } from './token-cursor';
import { words } from '../words';

/** Where a name stands: in an expression, as an AS alias, or inside `[...]`. */
export type NameUse = 'expr' | 'target' | 'index';

/** A name followed by `.key`, `[index]` and, in expressions only, a final `[a..b]`. */
export function parseNameRef(c: TokenCursor, first: Token, use: NameUse): Expr {
  const segments: Segment[] = [];
  for (;;) {
    const t = c.peek();
    if (c.isOp(t, '.')) {
      c.next();
      segments.push({ kind: 'key', key: key(c, t) });
    } else if (c.isOp(t, '[')) {
      c.next();
      segments.push(index(c, t));
      c.expectOp(']', () => words('rules.parser.closeIndex', 'to close the index'));
    } else if (t.kind === 'range') {
      if (use !== 'expr') {
        c.fail(use === 'target'
          ? words('rules.parser.rangeInAlias', 'a range __range__ cannot be used in an alias', { range: t.text })
          : words('rules.parser.rangeAsIndex', 'a range __range__ cannot be used as an index', { range: t.text }), t);
      }
      c.next();
      const target: NameRef = segments.length === 0
        ? { type: 'var', name: first.value, at: first.offset }
        : { type: 'path', root: first.value, segments, at: first.offset };
      const more = c.peek();
      if (c.isOp(more, '.') || c.isOp(more, '[') || more.kind === 'range') {
        c.fail(words('rules.parser.rangeNotLast', 'a range __range__ must be the last step of a path', { range: t.text }), more);
      }
      return { type: 'getRange', target, from: t.num, to: t.to, at: first.offset };
    } else {
      break;
    }
  }
  if (segments.length === 0) return { type: 'var', name: first.value, at: first.offset };
  return { type: 'path', root: first.value, segments, at: first.offset };
}

function key(c: TokenCursor, dot: Token): string {
  const t = c.next();
  switch (t.kind) {
    case 'name': case 'qname': case 'string': case 'bool': return t.value;
    case 'int': return t.text;
    default: return c.fail(words('rules.parser.expectedKey', "expected a key after '.' (a name, an integer or a 'quoted' key), found __found__", { found: describe(t) }), t.kind === 'eof' ? dot : t);
  }
}

function index(c: TokenCursor, open: Token): Segment {
  const t = c.next();
  if (t.kind === 'int') return { kind: 'index', index: t.num, tail: false };
  if ((c.isOp(t, '-') || c.isOp(t, '+')) && c.peek().kind === 'int') {
    const n = c.next().num;
    return t.value === '-' ? { kind: 'index', index: -n, tail: n === 0 } : { kind: 'index', index: n, tail: false };
  }
  if (t.kind === 'name' || t.kind === 'qname') return { kind: 'indexRef', ref: parseNameRef(c, t, 'index') as NameRef };
  return c.fail(words('rules.parser.expectedIndex', "expected an index after '[' (an integer, a name or a path), found __found__", { found: describe(t) }), t.kind === 'eof' ? open : t);
}
