// The parser's reading position in a statement's tokens: look ahead, take, test, and fail
// with the position of the token at fault (the parsers of expressions and clauses build on it).

import { SourceMap, Token } from './lexer';
import { words } from '../words';

/** A token as an error message names it. */
export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return words('rules.parser.endOfStatement', 'the end of the statement');
    case 'keyword': return t.value;
    case 'op': return t.value === 'div' || t.value === 'mod' ? t.value : `'${t.value}'`;
    default: return t.text;
  }
}

export class TokenCursor {
  private i = 0;

  constructor(private readonly tokens: Token[], protected readonly map: SourceMap) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.value === op;
  }

  isKeyword(t: Token, kw: string): boolean {
    return t.kind === 'keyword' && t.value === kw;
  }

  /** A word that is a clause keyword only where it stands (GROUP, BY, HAVING, OVER, PARTITION): EMQX has none of them. */
  isWord(t: Token, word: string): boolean {
    return t.kind === 'name' && t.value.toUpperCase() === word;
  }

  fail(reason: string, at: Token | number): never {
    throw this.map.error(reason, typeof at === 'number' ? at : at.offset);
  }

  /** `what` (called only on a mismatch) says where: `after IN`, `to close the list`. */
  expectOp(op: string, what: () => string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) this.fail(words('rules.parser.expectedOp', "expected '__op__' __what__, found __found__", { op, what: what(), found: describe(t) }), t);
    return this.next();
  }
}
