// Expressions and conditions to closures (reference sections 3.3, 3.7-3.11). Everything that
// can be decided from the text is decided here: names, function lookups, path steps,
// operator choice. The closures only do the per-message work. This is the one compile step
// (a switch over the syntax tree); names and paths, operators and calls build their closures
// in compile-path.ts, compile-operators.ts and compile-call.ts.

import { Expr } from './ast';
import { CompileEnv, Condition, Evaluator } from './compile-env';
import { compileCall } from './compile-call';
import { compileArithmetic, compileComparison, compileNegate } from './compile-operators';
import { compileName, compilePath } from './compile-path';
import { RuleEvaluationError } from './errors';
import { rangeGet, rangeList } from './paths';
import { NO_VALUE } from './no-value';
import { kindsClash, StaticKind, staticKind } from './static-types';
import { exactEquals, typeName } from './values';
import { words } from '../words';

export type { CompileEnv, Condition, Evaluator } from './compile-env';
export { arithmetic } from './compile-operators';
export { compileName, compileNameRef, compilePath } from './compile-path';

export function compileExpr(e: Expr, env: CompileEnv): Evaluator {
  switch (e.type) {
    case 'const': {
      const value = e.value;
      return () => value;
    }
    case 'var': return compileName(e.name, env);
    case 'path': return compilePath(e.root, e.segments, env);
    case 'range': {
      const { from, to } = e;
      return () => rangeList(from, to);
    }
    case 'getRange': {
      const target = compileExpr(e.target, env);
      const { from, to } = e;
      return (s) => rangeGet(from, to, target(s));
    }
    case 'list': {
      const items = e.items.map((item) => compileExpr(item, env));
      return (s) => {
        const out = new Array<unknown>(items.length);
        for (let i = 0; i < items.length; i++) {
          const v = items[i](s);
          // A list has no holes: "no value" (no-value.ts) stands in it as undefined.
          out[i] = v === NO_VALUE ? undefined : v;
        }
        return out;
      };
    }
    case 'call': return compileCall(e.name, e.args, e.at, env, compileExpr);
    case 'arith': {
      const left = compileExpr(e.left, env);
      const right = compileExpr(e.right, env);
      return compileArithmetic(e.op, e.left, e.right, left, right);
    }
    case 'compare': {
      const left = compileExpr(e.left, env);
      const right = compileExpr(e.right, env);
      return compileComparison(e.op, left, right);
    }
    case 'negate': return compileNegate(compileExpr(e.operand, env));
    case 'case': return compileCase(e, env);
    default: return compileCondition(e, env);
  }
}

function compileCase(e: Extract<Expr, { type: 'case' }>, env: CompileEnv): Evaluator {
  const otherwise = e.otherwise ? compileExpr(e.otherwise, env) : () => undefined;
  const thens = e.branches.map((b) => compileExpr(b.then, env));
  if (e.subject === undefined) {
    // A WHEN whose function gives something other than true just does not match (EMQX).
    const whens = e.branches.map((b) => compileCondition(b.when, env, true));
    return (s) => {
      for (let i = 0; i < whens.length; i++) if (whens[i](s)) return thens[i](s);
      return otherwise(s);
    };
  }
  // The simple form compares with exact equality (reference section 3.11).
  const subject = compileExpr(e.subject, env);
  const values = e.branches.map((b) => compileExpr(b.when, env));
  const clashes = clashesWith(e.subject, e.branches.map((b) => b.when));
  if (clashes !== undefined) {
    // `CASE 1.0 WHEN 1`: a float never exactly equals an integer (static-types.ts).
    return (s) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i](s);
        if (!clashes[i] && v !== NO_VALUE && exactEquals(subject(s), v)) return thens[i](s);
      }
      return otherwise(s);
    };
  }
  return (s) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i](s);
      // eKuiper: nil ("no value", no-value.ts) equals nothing, itself included.
      if (v !== NO_VALUE && exactEquals(subject(s), v)) return thens[i](s);
    }
    return otherwise(s);
  };
}

/**
 * For each candidate, whether the statement shows it and the subject to be an integer and a
 * float (never exactly equal); undefined when no candidate does, the usual case.
 */
function clashesWith(subject: Expr, candidates: readonly Expr[]): boolean[] | undefined {
  const kind: StaticKind = staticKind(subject);
  if (kind === 'unknown') return undefined;
  const clashes = candidates.map((c) => kindsClash(kind, staticKind(c)));
  return clashes.some(Boolean) ? clashes : undefined;
}

function conditionKind(type: string): string {
  switch (type) {
    case 'var': return words('rules.condition.name', 'a name');
    case 'path': return words('rules.condition.path', 'a path');
    case 'const': return words('rules.condition.constant', 'a constant');
    case 'arith': case 'negate': return words('rules.condition.arithmetic', 'an arithmetic expression');
    case 'case': return words('rules.condition.case', 'a CASE expression');
    case 'list': return words('rules.condition.list', 'a list');
    case 'range': case 'getRange': return words('rules.condition.range', 'a range');
    default: return type;
  }
}

function notACondition(type: string): RuleEvaluationError {
  const kind = conditionKind(type);
  return new RuleEvaluationError(type === 'var' || type === 'path'
    ? words('rules.condition.notConditionHint', 'a condition must be a comparison, a function call, IN, NOT, AND, OR, true or false; found __kind__ (compare it, e.g. flag = true)', { kind })
    : words('rules.condition.notCondition', 'a condition must be a comparison, a function call, IN, NOT, AND, OR, true or false; found __kind__', { kind }), 'bad_condition');
}

/**
 * A search condition (WHERE, INCASE, CASE WHEN). Its result must be a boolean; `lenient`
 * (a CASE WHEN's own condition) treats a function's non-boolean result as no match.
 */
export function compileCondition(e: Expr, env: CompileEnv, lenient = false): Condition {
  switch (e.type) {
    case 'and': {
      const left = compileCondition(e.left, env);
      const right = compileCondition(e.right, env);
      return (s) => left(s) && right(s);
    }
    case 'or': {
      const left = compileCondition(e.left, env);
      const right = compileCondition(e.right, env);
      return (s) => left(s) || right(s);
    }
    case 'not': {
      // Deviation (DESIGN.md section 2): NOT over AND, OR, IN and NOT works as standard SQL.
      const inner = e.operand.type;
      if (inner === 'and' || inner === 'or' || inner === 'in' || inner === 'not') {
        const operand = compileCondition(e.operand, env);
        return (s) => !operand(s);
      }
      // EMQX evaluates NOT's operand as a value: a boolean is negated, anything else is false.
      const operand = compileExpr(e.operand, env);
      return (s) => {
        const v = operand(s);
        return typeof v === 'boolean' ? !v : false;
      };
    }
    case 'in': {
      const subject = compileExpr(e.subject, env);
      const items = e.items.map((item) => compileExpr(item, env));
      const negated = e.negated;
      const clashes = clashesWith(e.subject, e.items);
      if (clashes !== undefined) {
        // `1 IN (1.0)` is false in EMQX: a float never exactly equals an integer (static-types.ts).
        return (s) => {
          const v = subject(s);
          let found = false;
          for (let i = 0; i < items.length; i++) {
            const x = items[i](s);
            if (!clashes[i] && exactEquals(v, x)) found = true;
          }
          if (v === NO_VALUE) return false;
          return found !== negated;
        };
      }
      return (s) => {
        const v = subject(s);
        let found = false;
        for (let i = 0; i < items.length; i++) {
          // Every item is evaluated, as EMQX builds the whole list first.
          if (exactEquals(v, items[i](s))) found = true;
        }
        // eKuiper: nil IN (...) and nil NOT IN (...) are both false ("no value", no-value.ts).
        if (v === NO_VALUE) return false;
        return found !== negated;
      };
    }
    case 'compare': {
      const value = compileExpr(e, env);
      return (s) => value(s) as boolean;
    }
    case 'call': {
      const call = compileExpr(e, env);
      const name = e.name;
      return (s) => {
        const v = call(s);
        if (typeof v === 'boolean') return v;
        // A condition of "no value" (no-value.ts) does not hold, as eKuiper's filter drops nil.
        if (lenient || v === NO_VALUE) return false;
        throw new RuleEvaluationError(
          words('rules.condition.notBoolean', '__fn__() gave __got__, but a condition needs true or false', { fn: name, got: typeName(v) }),
          'bad_condition',
        );
      };
    }
    case 'const':
      if (typeof e.value === 'boolean') {
        const value = e.value;
        return () => value;
      }
      break;
    default:
      break;
  }
  const error = notACondition(e.type);
  return () => {
    throw new RuleEvaluationError(error.message, error.code);
  };
}
