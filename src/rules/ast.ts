// The syntax tree of one rule statement (reference section 2). `at` is the offset of the
// node's first token in the statement as written; the evaluator only needs it for messages.

export type ArithmeticOp = '+' | '-' | '*' | '/' | 'div' | 'mod';
export type ComparisonOperator = '=' | '!=' | '<>' | '<' | '>' | '<=' | '>=' | '=~' | '~=';

/** One step of a path after its first name. */
export type Segment =
  | { kind: 'key'; key: string }
  /** A constant index: 1-based, negative from the end; `0` is the head and `-0` the tail (puts). */
  | { kind: 'index'; index: number; tail: boolean }
  /** An index read from a variable or path: `a[b]`, `a[b[1].c]`. */
  | { kind: 'indexRef'; ref: NameRef };

export interface VarExpr { type: 'var'; name: string; at: number; paren?: boolean }
export interface PathExpr { type: 'path'; root: string; segments: Segment[]; at: number; paren?: boolean }
export type NameRef = VarExpr | PathExpr;

export type Expr =
  /** An integer literal beyond 2^53 - 1 is a BigInt (DESIGN.md section 2: numbers are exact). */
  | { type: 'const'; value: string | number | bigint | boolean; float: boolean; at: number; paren?: boolean }
  | VarExpr
  | PathExpr
  | { type: 'range'; from: number; to: number; at: number; paren?: boolean }
  | { type: 'getRange'; target: NameRef; from: number; to: number; at: number; paren?: boolean }
  | { type: 'list'; items: Expr[]; at: number; paren?: boolean }
  | { type: 'call'; name: string; args: Expr[]; at: number; paren?: boolean; over?: Over }
  | { type: 'arith'; op: ArithmeticOp; left: Expr; right: Expr; at: number; paren?: boolean }
  | { type: 'compare'; op: ComparisonOperator; left: Expr; right: Expr; at: number; paren?: boolean }
  | { type: 'negate'; operand: Expr; at: number; paren?: boolean }
  | { type: 'case'; subject?: Expr; branches: CaseBranch[]; otherwise?: Expr; at: number; paren?: boolean }
  | { type: 'and' | 'or'; left: Expr; right: Expr; at: number; paren?: boolean }
  | { type: 'not'; operand: Expr; at: number; paren?: boolean }
  | { type: 'in'; subject: Expr; items: Expr[]; negated: boolean; at: number; paren?: boolean };

export interface CaseBranch { when: Expr; then: Expr }

/** eKuiper's `OVER (PARTITION BY a, b WHEN cond)` after an analytic function (DESIGN.md section 7). */
export interface Over { partitionBy: Expr[]; when?: Expr; at: number }

export type Field =
  | { kind: 'star'; at: number }
  | { kind: 'expr'; expr: Expr; alias?: NameRef; at: number };

export interface Source { topic: string; at: number }

export interface Statement {
  kind: 'select' | 'foreach';
  fields: Field[];
  /** FOREACH only. */
  doFields?: Field[];
  incase?: Expr;
  sources: Source[];
  where?: Expr;
  /** `GROUP BY` expressions, the window call among them (eKuiper, DESIGN.md section 7). */
  groupBy?: Expr[];
  groupAt?: number;
  having?: Expr;
  havingAt?: number;
}
