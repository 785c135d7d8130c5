// What every stream of one rule shares: the plan (plan.ts) compiled once into evaluators for
// WHERE, GROUP BY, the aggregates' arguments, the analytic functions, SELECT and HAVING.

import { AggregateFunction } from './aggregates';
import { CompileEnv, compileCondition, compileExpr, Condition, Evaluator } from '../compile-expr';
import { compileFields, CompiledRule, FieldRun } from '../rule';
import { AnalyticSlot, StreamPlan } from './plan';

/** The compiled parts shared by every stream of one rule. */
export class StreamProgram {
  readonly where: Condition | undefined;
  readonly groupBy: Evaluator[];
  readonly aggArgs: (Evaluator | undefined)[];
  readonly aggFns: AggregateFunction[];
  readonly aggExtra: unknown[][];
  /** count(*): every event counts 1. */
  readonly countStar: boolean[];
  /** Aggregates whose values are checked before any state changes (numbers, comparable values). */
  readonly checked: boolean[];
  /** The columns a row reads outside aggregates (undefined: all). */
  readonly rowRoots: string[] | undefined;
  readonly analytics: { slot: AnalyticSlot; args: Evaluator[]; partition: Evaluator[]; when: Condition | undefined }[];
  readonly fields: FieldRun[];
  readonly having: Condition | undefined;
  /** STATEWINDOW: its begin and emit conditions and its partition, compiled. */
  readonly state: { begin: Condition; emit: Condition; partition: Evaluator[] } | undefined;
  /** Analytic-only statements: the rewritten statement, run as an ordinary rule per event. */
  readonly inner: CompiledRule | undefined;

  constructor(readonly id: string, readonly sql: string, readonly plan: StreamPlan, readonly env: CompileEnv) {
    const st = plan.statement;
    this.analytics = plan.analytics.map((slot) => ({
      slot,
      args: slot.args.map((a) => compileExpr(a, env)),
      partition: slot.partitionBy.map((p) => compileExpr(p, env)),
      when: slot.when && compileCondition(slot.when, env),
    }));
    this.aggFns = plan.aggregates.map((a) => a.fn);
    this.aggArgs = plan.aggregates.map((a) => a.arg && compileExpr(a.arg, env));
    this.aggExtra = plan.aggregates.map((a) => a.extra);
    this.countStar = plan.aggregates.map((a) => a.arg === undefined && a.fn.name === 'count');
    this.checked = plan.aggregates.map((a) => !['count', 'collect', 'first_value', 'last_value', 'deduplicate'].includes(a.fn.name));
    this.rowRoots = plan.rowRoots && [...plan.rowRoots];
    this.groupBy = plan.groupBy.map((g) => compileExpr(g, env));
    const sw = plan.window?.state;
    this.state = sw && {
      begin: compileCondition(sw.begin, env), emit: compileCondition(sw.emit, env),
      partition: sw.partitionBy.map((x) => compileExpr(x, env)),
    };
    if (plan.window === undefined) {
      this.where = undefined;
      this.fields = [];
      this.having = undefined;
      this.inner = new CompiledRule(id, sql, st, env);
      return;
    }
    this.inner = undefined;
    this.where = st.where && compileCondition(st.where, env);
    this.fields = compileFields(st.fields, env, false);
    this.having = plan.having && compileCondition(plan.having, env);
  }
}
