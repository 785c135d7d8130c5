// What compiling an expression produces and needs: the closures per message reads, and the
// compile-time environment (the source map for errors, the output's root names).

import { Expr } from './ast';
import { SourceMap } from './lexer';
import { Scope } from './scope';

export type Evaluator = (s: Scope) => unknown;
export type Condition = (s: Scope) => boolean;

export interface CompileEnv {
  readonly map: SourceMap;
  /**
   * Root names the output can hold where the expression is read (the earlier fields' keys);
   * absent: any. A name no earlier field wrote is read in the input directly.
   */
  readonly outputRoots?: ReadonlySet<string>;
}

/** The compile step for a sub-expression, passed to the modules compile-expr.ts dispatches to. */
export type CompileExpr = (e: Expr, env: CompileEnv) => Evaluator;
