// Expressions and conditions to closures (reference sections 3.3, 3.7-3.11). Everything that
// can be decided from the text is decided here: names, function lookups, path steps,
// operator choice. The closures only do the per-message work.

import { ArithmeticOp, ComparisonOperator, Expr, NameRef, Segment } from './ast';
import { compareOp, looseEquals } from './compare';
import { RuleEvaluationError } from './errors';
import { isUnsupportedFunction, lookupFunction, suggestFunction } from './functions';
import { SourceMap } from './lexer';
import { indexOf, isInheritedName, keyStep, rangeGet, rangeList } from './paths';
import { divide, integerDivision, MAX_SAFE, negateNumber, numericOp, widen } from './numbers';
import { Scope } from './scope';
import { isStaticFloat, kindsClash, StaticKind, staticKind } from './static-types';
import { exactEquals, floatText, isBinary, toText, typeName } from './values';

export type Evaluator = (s: Scope) => unknown;
export type Condition = (s: Scope) => boolean;
/** A name or path read in one place: the output built so far (`inOut`), or the input. */
type Reader = (s: Scope, inOut: boolean) => unknown;
type PathStep = (v: unknown, s: Scope, inOut: boolean) => unknown;

export interface CompileEnv {
  readonly map: SourceMap;
  /**
   * Root names the output can hold where the expression is read (the earlier fields' keys);
   * absent: any. A name no earlier field wrote is read in the input directly.
   */
  readonly outputRoots?: ReadonlySet<string>;
}

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
        for (let i = 0; i < items.length; i++) out[i] = items[i](s);
        return out;
      };
    }
    case 'call': return compileCall(e.name, e.args, e.at, env);
    case 'arith': return compileArithmetic(e.op, e.left, e.right, env);
    case 'compare': {
      const left = compileExpr(e.left, env);
      const right = compileExpr(e.right, env);
      return compileComparison(e.op, left, right);
    }
    case 'negate': {
      const operand = compileExpr(e.operand, env);
      return (s) => {
        const v = operand(s);
        if (typeof v === 'number') return -v;
        if (typeof v !== 'bigint') throw operatorError('unary -', `expected a number, got ${typeName(v)}`);
        return negateNumber(v);
      };
    }
    case 'case': return compileCase(e, env);
    default: return compileCondition(e, env);
  }
}

/**
 * EMQX reads a name or path in SELECT and DO in the output built so far and, only when that
 * gives undefined, in the input (`eval(Exp, [Action, Columns])`): the whole path is walked in
 * one place, its index variables included.
 */
export function compileName(name: string, env?: CompileEnv): Evaluator {
  if (env?.outputRoots !== undefined && !env.outputRoots.has(name)) {
    if (isInheritedName(name)) return (s) => s.lookupOwn(name);
    return (s) => s.lookup(name);
  }
  if (isInheritedName(name)) {
    return (s) => {
      const v = s.outValue(name);
      return v !== undefined ? v : s.lookupOwn(name);
    };
  }
  return (s) => {
    const out = s.out;
    if (out !== null) {
      const v = out[name];
      if (v !== undefined) return v;
    }
    return s.lookup(name);
  };
}

function nameReader(name: string): Reader {
  if (isInheritedName(name)) return (s, inOut) => (inOut ? s.outValue(name) : s.lookupOwn(name));
  return (s, inOut) => (inOut ? (s.out as Record<string, unknown>)[name] : s.lookup(name));
}

/** Numbers compared with numbers (the common case) skip EMQX's coercion rules. */
function compileComparison(op: ComparisonOperator, left: Evaluator, right: Evaluator): Evaluator {
  switch (op) {
    case '=': return (s) => {
      const a = left(s);
      const b = right(s);
      return a === b || looseEquals(a, b);
    };
    case '>': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a > b : compareOp(op, a, b);
    };
    case '<': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a < b : compareOp(op, a, b);
    };
    case '>=': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a >= b : compareOp(op, a, b);
    };
    case '<=': return (s) => {
      const a = left(s);
      const b = right(s);
      return typeof a === 'number' && typeof b === 'number' ? a <= b : compareOp(op, a, b);
    };
    default: return (s) => compareOp(op, left(s), right(s));
  }
}

function compileSegment(seg: Segment, env: CompileEnv): PathStep {
  switch (seg.kind) {
    case 'key': return keyStep(seg.key);
    case 'index': {
      const i = seg.index;
      return (v) => indexOf(v, i);
    }
    default: {
      const ref = seg.ref;
      const read = ref.type === 'var' ? nameReader(ref.name) : pathReader(ref.root, ref.segments, env);
      return (v, s, inOut) => indexOf(v, read(s, inOut));
    }
  }
}

/** A path read. `payload.…` decodes the payload strictly (and once); other JSON text leniently. */
export function compilePath(root: string, segments: readonly Segment[], env: CompileEnv): Evaluator {
  const walk = pathWalker(root, segments, env);
  const inherited = isInheritedName(root);
  if (env.outputRoots !== undefined && !env.outputRoots.has(root)) {
    return inherited ? (s) => walk(s.lookupOwn(root), s, false) : (s) => walk(s.lookup(root), s, false);
  }
  return (s) => {
    const out = s.out;
    if (out !== null) {
      const r = inherited ? s.outValue(root) : out[root];
      if (r !== undefined) {
        const v = walk(r, s, true);
        if (v !== undefined) return v;
      }
    }
    return walk(inherited ? s.lookupOwn(root) : s.lookup(root), s, false);
  };
}

function pathReader(root: string, segments: readonly Segment[], env: CompileEnv): Reader {
  const name = nameReader(root);
  const walk = pathWalker(root, segments, env);
  return (s, inOut) => walk(name(s, inOut), s, inOut);
}

/** The steps of a path from its root value; index variables are read where the root was. */
function pathWalker(root: string, segments: readonly Segment[], env: CompileEnv): PathStep {
  const steps = segments.map((seg) => compileSegment(seg, env));
  const decode = root === 'payload';
  if (steps.length === 1) {
    const [a] = steps;
    return decode ? (v, s, inOut) => a(s.payloadOf(v), s, inOut) : a;
  }
  if (steps.length === 2) {
    const [a, b] = steps;
    return decode ? (v, s, inOut) => b(a(s.payloadOf(v), s, inOut), s, inOut) : (v, s, inOut) => b(a(v, s, inOut), s, inOut);
  }
  return (v, s, inOut) => {
    if (decode) v = s.payloadOf(v);
    for (let i = 0; i < steps.length && v !== undefined; i++) v = steps[i](v, s, inOut);
    return v;
  };
}

export function compileNameRef(ref: NameRef, env: CompileEnv): Evaluator {
  return ref.type === 'var' ? compileName(ref.name, env) : compilePath(ref.root, ref.segments, env);
}

function operatorError(op: string, reason: string): RuleEvaluationError {
  return new RuleEvaluationError(`operator ${op}: ${reason}`, 'bad_sql_function_argument');
}

function isText(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Uint8Array;
}

export function arithmetic(op: ArithmeticOp, a: unknown, b: unknown): unknown {
  const numA = typeof a === 'number' || typeof a === 'bigint';
  const numB = typeof b === 'number' || typeof b === 'bigint';
  if (op === '+') {
    if (numA && numB) return numericOp('+', a, b);
    // EMQX: if either side is a string, both are converted to text and concatenated.
    if (isText(a) || isText(b)) return toText(a) + toText(b);
    throw operatorError('+', `cannot add ${typeName(a)} and ${typeName(b)}`);
  }
  if (op === 'div' || op === 'mod') return integerDivision(op, a, b);
  if (!numA || !numB) {
    throw operatorError(op, `expected two numbers, got ${typeName(a)} and ${typeName(b)}`);
  }
  return op === '/' ? divide(a, b) : numericOp(op, a, b);
}

function compileArithmetic(op: ArithmeticOp, l: Expr, r: Expr, env: CompileEnv): Evaluator {
  const left = compileExpr(l, env);
  const right = compileExpr(r, env);
  if ((op === 'div' || op === 'mod') && (isStaticFloat(l) || isStaticFloat(r))) {
    return (s) => {
      left(s);
      right(s);
      throw operatorError(op, `expected two integers, got ${isStaticFloat(l) ? 'float' : 'integer'} and ${isStaticFloat(r) ? 'float' : 'integer'}`);
    };
  }
  if (op === '+' && (isStaticFloat(l) || isStaticFloat(r))) {
    // `'t=' + 2.0` is "t=2.0" in EMQX: the text of an operand the statement shows to be a float.
    const floatL = isStaticFloat(l);
    const floatR = isStaticFloat(r);
    return (s) => {
      const a = left(s);
      const b = right(s);
      if (!isText(a) && !isText(b)) return arithmetic('+', a, b);
      return (floatL ? floatTextOf(a) : toText(a)) + (floatR ? floatTextOf(b) : toText(b));
    };
  }
  // Two numbers whose result stays within 2^53 (the common case) are done inline; `widen`
  // makes an integer result beyond that exact (a BigInt), as Erlang's integers are.
  switch (op) {
    case '+': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a + b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('+', a, b, n);
      }
      return arithmetic('+', a, b);
    };
    case '-': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a - b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('-', a, b, n);
      }
      return arithmetic('-', a, b);
    };
    case '*': return (s) => {
      const a = left(s);
      const b = right(s);
      if (typeof a === 'number' && typeof b === 'number') {
        const n = a * b;
        return n <= MAX_SAFE && n >= -MAX_SAFE ? n : widen('*', a, b, n);
      }
      return arithmetic('*', a, b);
    };
    default: return (s) => arithmetic(op, left(s), right(s));
  }
}

/** The text of a value the statement shows to be a float: `2.0` → "2.0" (EMQX str of a float). */
function floatTextOf(v: unknown): string {
  return typeof v === 'number' ? floatText(v) : toText(v);
}

const TEXT_OF_FLOAT = new Set(['str', 'str_utf8', 'str_utf16_le']);
const BIT_FUNCTIONS = new Set(['bitnot', 'bitand', 'bitor', 'bitxor', 'bitsl', 'bitsr']);

/**
 * The calls whose result depends on a float being a float (static-types.ts), when an argument
 * is one the statement shows to be a float or an integer; undefined for every other call.
 */
function floatAwareCall(
  name: string, args: Expr[], evals: Evaluator[], generic: Evaluator, env: CompileEnv,
  invoke: (values: unknown[], s: Scope) => unknown,
): Evaluator | undefined {
  const [a] = evals;
  if (TEXT_OF_FLOAT.has(name) && isStaticFloat(args[0])) {
    return (s) => {
      const v = a(s);
      return invoke([typeof v === 'number' ? floatText(v) : v], s);
    };
  }
  if (name === 'json_encode' && args.length === 1 && isStaticFloat(args[0])) {
    // jiffy writes a float with a point: json_encode(4 / 2) is "2.0".
    return (s) => {
      const v = a(s);
      return typeof v === 'number' && Number.isSafeInteger(v) ? `${v}.0` : invoke([v], s);
    };
  }
  if ((name === 'is_float' || name === 'is_int') && args.length === 1) {
    const kind = staticKind(args[0]);
    if (kind === 'unknown') return undefined;
    const answer = (name === 'is_float') === (kind === 'float');
    return (s) => {
      a(s);
      return answer;
    };
  }
  if (name === 'float2str' && args.length === 2 && staticKind(args[0]) === 'int') {
    return (s) => {
      generic(s);
      throw new RuleEvaluationError('float2str(): expected a float, got integer', 'bad_sql_function_argument');
    };
  }
  if (BIT_FUNCTIONS.has(name) && args.some(isStaticFloat)) {
    return (s) => {
      for (const e of evals) e(s);
      throw new RuleEvaluationError(`${name}(): expected an integer, got float`, 'bad_sql_function_argument');
    };
  }
  if (name === 'contains' && args.length === 2 && args[1].type === 'list') {
    const kinds = args[1].items.map(staticKind);
    const subjectKind = staticKind(args[0]);
    if (!kinds.some((k) => kindsClash(subjectKind, k))) return undefined;
    const items = args[1].items.map((item) => compileExpr(item, env));
    return (s) => {
      const v = a(s);
      let found = false;
      for (let i = 0; i < items.length; i++) {
        const x = items[i](s);
        if (!found && !kindsClash(subjectKind, kinds[i]) && exactEquals(v, x)) found = true;
      }
      return found;
    };
  }
  return undefined;
}

/** EMQX event columns that hold Erlang atoms: text here, but not a string for is_str() (3.6). */
const ATOM_COLUMNS = new Set(['event', 'reason', 'action', 'result', 'authz_source', 'node']);

function isAtomColumn(name: string, cols: Record<string, unknown>): boolean {
  if (name === 'reason_code') return cols.event === 'client.connack';
  if (name === 'event') return typeof cols.event === 'string' && !cols.event.startsWith('$');
  return ATOM_COLUMNS.has(name);
}

function compileCall(name: string, args: Expr[], at: number, env: CompileEnv): Evaluator {
  if ((name === 'div' || name === 'mod') && args.length === 2) {
    return compileArithmetic(name, args[0], args[1], env);
  }
  const arg = args[0];
  if (name === 'is_str' && args.length === 1 && arg.type === 'var' && (ATOM_COLUMNS.has(arg.name) || arg.name === 'reason_code')) {
    const column = arg.name;
    const value = compileExpr(arg, env);
    return (s) => {
      const v = value(s);
      return isBinary(v) && !(s.fromColumns(column) && isAtomColumn(column, s.cols));
    };
  }
  const fn = lookupFunction(name);
  if (fn === undefined) {
    if (isUnsupportedFunction(name)) {
      throw env.map.error(`function ${name} is not supported`, at, 'sql_function_not_supported');
    }
    const suggestion = suggestFunction(name);
    const hint = suggestion ? `; did you mean ${suggestion}?` : '';
    throw env.map.error(`function ${name} is not supported${hint}`, at, 'sql_function_not_supported');
  }
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}`
      : fn.maxArgs === Infinity ? `at least ${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
    const plural = fn.minArgs === 1 && fn.maxArgs === 1 ? 'argument' : 'arguments';
    throw env.map.error(`function ${name} expects ${expected} ${plural}, got ${args.length}`, at, 'bad_sql_function_arity');
  }
  const impl = fn.impl;
  const evals = args.map((arg) => compileExpr(arg, env));
  const invoke = (values: unknown[], s: Scope): unknown => {
    try {
      return impl(values, s);
    } catch (err) {
      if (err instanceof RuleEvaluationError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new RuleEvaluationError(`${name}(): ${message}`, 'bad_sql_function_argument');
    }
  };
  const generic = genericCall(evals, invoke);
  return floatAwareCall(name, args, evals, generic, env, invoke) ?? generic;
}

function genericCall(evals: Evaluator[], invoke: (values: unknown[], s: Scope) => unknown): Evaluator {
  switch (evals.length) {
    case 0: return (s) => invoke([], s);
    case 1: {
      const [a] = evals;
      return (s) => invoke([a(s)], s);
    }
    case 2: {
      const [a, b] = evals;
      return (s) => invoke([a(s), b(s)], s);
    }
    default: return (s) => {
      const values = new Array<unknown>(evals.length);
      for (let i = 0; i < evals.length; i++) values[i] = evals[i](s);
      return invoke(values, s);
    };
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
        if (!clashes[i] && exactEquals(subject(s), v)) return thens[i](s);
      }
      return otherwise(s);
    };
  }
  return (s) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i](s);
      if (exactEquals(subject(s), v)) return thens[i](s);
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

const CONDITION_KINDS: Readonly<Record<string, string>> = {
  var: 'a name', path: 'a path', const: 'a constant', arith: 'an arithmetic expression',
  negate: 'an arithmetic expression', case: 'a CASE expression', list: 'a list',
  range: 'a range', getRange: 'a range',
};

function notACondition(kind: string, hint: string): RuleEvaluationError {
  return new RuleEvaluationError(
    `a condition must be a comparison, a function call, IN, NOT, AND, OR, true or false; found ${kind}${hint}`,
    'bad_condition',
  );
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
        if (lenient) return false;
        throw new RuleEvaluationError(
          `${name}() gave ${typeName(v)}, but a condition needs true or false`,
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
  const hint = e.type === 'var' || e.type === 'path' ? ' (compare it, e.g. flag = true)' : '';
  const error = notACondition(CONDITION_KINDS[e.type] ?? e.type, hint);
  return () => {
    throw new RuleEvaluationError(error.message, error.code);
  };
}
