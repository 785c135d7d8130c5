// The compile step of stateful statements (DESIGN.md section 7): finds the window in GROUP BY,
// the aggregates, window_start()/window_end() and the analytic functions, checks where each may
// stand, and rewrites the statement so that each of them becomes a hidden column
// (`\u0000agg0`, ...) that the ordinary evaluator reads. Compile errors carry positions.

import { Expr, Field, NameRef, Statement } from '../ast';
import { AggregateFunction, lookupAggregate } from './aggregates';
import { AnalyticFunction, lookupAnalytic } from './analytic';
import { messageFunctions } from '../functions/message';
import { SourceMap } from '../lexer';
import { arityReason, planWords } from './plan-words';

export type WindowKind = 'tumbling' | 'hopping' | 'sliding' | 'session' | 'count' | 'state';

/** A window, in milliseconds (count windows: in events). */
export interface WindowSpec {
  kind: WindowKind;
  /** tumbling/hopping/sliding: length; session: timeout; count: n. */
  size: number;
  /** hopping: hop; session: maxDuration; count: hop (= n for a tumbling count window). */
  hop: number;
  /** The call as written, for messages: `TUMBLINGWINDOW(ss, 60)`. */
  text: string;
  /** STATEWINDOW: the begin and emit conditions, and OVER (PARTITION BY ...) (rewritten, see planStream). */
  state?: { begin: Expr; emit: Expr; partitionBy: Expr[] };
}

export interface AggregateSlot {
  name: string;
  fn: AggregateFunction;
  /** The first argument; undefined for `*` (count(*) counts events, collect(*) keeps them). */
  arg: Expr | undefined;
  /** Constant arguments after the first (percentile's p, ignoreNull, deduplicate's all). */
  extra: unknown[];
}

export interface AnalyticSlot {
  name: string;
  fn: AnalyticFunction;
  args: Expr[];
  partitionBy: Expr[];
  when: Expr | undefined;
}

export interface StreamPlan {
  window: WindowSpec | undefined;
  groupBy: Expr[];
  aggregates: AggregateSlot[];
  analytics: AnalyticSlot[];
  /** The statement with every stateful call replaced by its hidden column; no GROUP BY. */
  statement: Statement;
  having: Expr | undefined;
  /** Root names a row reads outside aggregates; undefined: every column (`*`, message functions). */
  rowRoots: Set<string> | undefined;
}

export const WINDOW_START = '\u0000window_start';
export const WINDOW_END = '\u0000window_end';

const WINDOWS: Readonly<Record<string, WindowKind>> = {
  tumblingwindow: 'tumbling', hoppingwindow: 'hopping', slidingwindow: 'sliding',
  sessionwindow: 'session', countwindow: 'count', statewindow: 'state',
};

/** eKuiper's time units (docs/en_US/sqls/windows.md), in ms. */
const UNITS: Readonly<Record<string, number>> = { ms: 1, ss: 1000, mi: 60_000, hh: 3_600_000, dd: 86_400_000 };

const CONTEXT_FUNCTIONS = new Set(messageFunctions.map((f) => f.name));

type Place = 'select' | 'having' | 'where' | 'incase' | 'group' | 'aggregate' | 'analytic' | 'partition';

/** Whether a statement needs `rule.stream()`: a GROUP BY, HAVING, an aggregate or an analytic function. */
export function isStateful(statement: Statement): boolean {
  if (statement.groupBy !== undefined || statement.having !== undefined) return true;
  let found = false;
  const visit = (e: Expr | undefined): void => {
    if (e === undefined || found) return;
    walk(e, (x) => {
      if (x.type === 'call') {
        const lower = x.name.toLowerCase();
        if (x.over !== undefined || lookupAggregate(lower) || lookupAnalytic(lower) || WINDOWS[lower]
          || lower === 'window_start' || lower === 'window_end') found = true;
      }
    });
  };
  for (const f of [...statement.fields, ...(statement.doFields ?? [])]) if (f.kind === 'expr') visit(f.expr);
  visit(statement.where);
  visit(statement.incase);
  return found;
}

/** Calls `f` on every expression below `e`, `e` included (OVER's parts too). */
function walk(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.type) {
    case 'list': e.items.forEach((i) => walk(i, f)); return;
    case 'call':
      e.args.forEach((a) => walk(a, f));
      if (e.over) {
        e.over.partitionBy.forEach((p) => walk(p, f));
        if (e.over.when) walk(e.over.when, f);
      }
      return;
    case 'arith': case 'compare': case 'and': case 'or': walk(e.left, f); walk(e.right, f); return;
    case 'negate': case 'not': walk(e.operand, f); return;
    case 'in': walk(e.subject, f); e.items.forEach((i) => walk(i, f)); return;
    case 'case':
      if (e.subject) walk(e.subject, f);
      for (const b of e.branches) { walk(b.when, f); walk(b.then, f); }
      if (e.otherwise) walk(e.otherwise, f);
      return;
    default: return;
  }
}

function windowText(e: Extract<Expr, { type: 'call' }>): string {
  const args = e.args.map((a) => (a.type === 'var' ? a.name : a.type === 'const' ? String(a.value) : '…'));
  return `${e.name.toUpperCase()}(${args.join(', ')})`;
}

export function planStream(statement: Statement, map: SourceMap): StreamPlan {
  const fail = (reason: string, at: number): never => {
    throw map.error(reason, at);
  };

  // GROUP BY: one window and the group expressions.
  let window: WindowSpec | undefined;
  let windowAt = -1;
  const groupExprs: Expr[] = [];
  if (statement.groupBy !== undefined) {
    if (statement.kind === 'foreach') {
      fail(planWords.foreachGroupBy(), statement.groupAt ?? 0);
    }
    for (const e of statement.groupBy) {
      const kind = e.type === 'call' ? WINDOWS[e.name.toLowerCase()] : undefined;
      if (kind === undefined || e.type !== 'call') {
        groupExprs.push(e);
        continue;
      }
      if (window !== undefined) {
        fail(planWords.oneWindow(windowText(e), window.text), e.at);
      }
      if (e.over !== undefined && (kind !== 'state' || e.over.when !== undefined)) {
        fail(kind === 'state' ? planWords.stateWindowOver() : planWords.overAfterWindow(windowText(e)), e.over.at);
      }
      window = windowSpec(kind, e, fail);
      windowAt = e.at;
      if (kind === 'state') window.state = { begin: e.args[0], emit: e.args[1], partitionBy: e.over?.partitionBy ?? [] };
    }
    if (window === undefined) {
      fail(planWords.groupByNeedsWindow(), statement.groupAt ?? 0);
    }
  }
  if (statement.having !== undefined && window === undefined) {
    fail(planWords.havingNeedsWindow(), statement.havingAt ?? 0);
  }
  void windowAt;

  const aggregates: AggregateSlot[] = [];
  const analytics: AnalyticSlot[] = [];

  const rewrite = (e: Expr, place: Place): Expr => {
    switch (e.type) {
      case 'list': return { ...e, items: e.items.map((i) => rewrite(i, place)) };
      case 'arith': case 'compare': case 'and': case 'or':
        return { ...e, left: rewrite(e.left, place), right: rewrite(e.right, place) } as Expr;
      case 'negate': case 'not': return { ...e, operand: rewrite(e.operand, place) } as Expr;
      case 'in': return { ...e, subject: rewrite(e.subject, place), items: e.items.map((i) => rewrite(i, place)) };
      case 'case':
        return {
          ...e,
          subject: e.subject && rewrite(e.subject, place),
          branches: e.branches.map((b) => ({
            when: e.subject ? rewrite(b.when, place) : asCondition(rewrite(b.when, place)),
            then: rewrite(b.then, place),
          })),
          otherwise: e.otherwise && rewrite(e.otherwise, place),
        };
      case 'call': return rewriteCall(e, place);
      default: return e;
    }
  };

  const rewriteCall = (e: Extract<Expr, { type: 'call' }>, place: Place): Expr => {
    const lower = e.name.toLowerCase();
    const hidden = (name: string): Expr => ({ type: 'var', name, at: e.at, paren: e.paren });
    if (WINDOWS[lower] !== undefined) {
      return fail(planWords.windowInGroupBy(windowText(e)), e.at);
    }
    if (lower === 'window_start' || lower === 'window_end') {
      if (e.args.length !== 0) fail(arityReason(e.name, 0, 0, e.args.length), e.at);
      if (window === undefined) fail(planWords.windowFunctionNeedsWindow(lower), e.at);
      if (place !== 'select' && place !== 'having') fail(planWords.selectOrHavingOnly(lower), e.at);
      return hidden(lower === 'window_start' ? WINDOW_START : WINDOW_END);
    }
    const agg = lookupAggregate(lower);
    if (agg !== undefined) {
      if (window === undefined) {
        fail(planWords.aggregateNeedsWindow(lower), e.at);
      }
      if (place === 'where') fail(planWords.aggregateInWhere(lower), e.at);
      if (place === 'aggregate') fail(planWords.nestedAggregate(lower), e.at);
      if (place !== 'select' && place !== 'having') fail(planWords.aggregatePlace(lower), e.at);
      if (e.over) fail(planWords.overNotAnalytic(lower), e.over.at);
      arity(lower, e, agg.minArgs, agg.maxArgs);
      const [first, ...rest] = e.args;
      const star = first.type === 'var' && first.name === '*';
      const extra = rest.map((x) => {
        const v = constantOf(x);
        if (v === undefined) fail(planWords.constantArguments(lower), x.at);
        return v;
      });
      const name = `\u0000agg${aggregates.length}`;
      aggregates.push({ name, fn: agg, arg: star ? undefined : rewrite(first, 'aggregate'), extra });
      return hidden(name);
    }
    const analytic = lookupAnalytic(lower);
    if (analytic !== undefined) {
      if (place === 'aggregate' || place === 'partition') {
        // eKuiper evaluates analytic functions first, per event; inside an aggregate they are fine.
      }
      arity(lower, e, analytic.minArgs, analytic.maxArgs);
      for (const a of e.args) if (a.type === 'var' && a.name === '*') fail(planWords.noStar(lower), a.at);
      const args = e.args.map((a) => rewrite(a, 'analytic'));
      const partitionBy = (e.over?.partitionBy ?? []).map((p) => rewrite(p, 'partition'));
      const when = e.over?.when && asCondition(rewrite(e.over.when, 'partition'));
      const name = `\u0000analytic${analytics.length}`;
      analytics.push({ name, fn: analytic, args, partitionBy, when });
      return hidden(name);
    }
    if (e.over) fail(planWords.overNotAnalytic(e.name), e.over.at);
    return { ...e, args: e.args.map((a) => rewrite(a, place)) };
  };

  // Unaliased stateful calls are named after the function, as eKuiper names them (`avg`, `count`).
  const fields = (list: Field[] | undefined, place: Place): Field[] | undefined => list?.map((f) => {
    if (f.kind === 'star') return f;
    let alias: NameRef | undefined = f.alias;
    if (alias === undefined && f.expr.type === 'call' && !f.expr.paren) {
      const lower = f.expr.name.toLowerCase();
      if (lookupAggregate(lower) || lookupAnalytic(lower) || lower === 'window_start' || lower === 'window_end') {
        alias = { type: 'var', name: lower, at: f.expr.at };
      }
    }
    return { ...f, expr: rewrite(f.expr, place), alias };
  });

  const rewritten: Statement = {
    ...statement,
    fields: fields(statement.fields, 'select') as Field[],
    doFields: fields(statement.doFields, 'select'),
    where: statement.where && asCondition(rewrite(statement.where, 'where')),
    incase: statement.incase && asCondition(rewrite(statement.incase, 'incase')),
    groupBy: undefined,
    having: undefined,
  };
  const groupBy = groupExprs.map((g) => rewrite(g, 'group'));
  // STATEWINDOW's conditions and partition read each event, as GROUP BY does (analytic functions allowed).
  if (window?.state !== undefined) {
    const st = window.state;
    window.state = {
      begin: asCondition(rewrite(st.begin, 'group')), emit: asCondition(rewrite(st.emit, 'group')),
      partitionBy: st.partitionBy.map((p) => rewrite(p, 'partition')),
    };
  }
  const having = statement.having && asCondition(rewrite(statement.having, 'having'));

  // What a row reads outside aggregates: kept from the group's last event.
  let rowRoots: Set<string> | undefined = new Set();
  const read = (e: Expr | undefined): void => {
    if (e === undefined || rowRoots === undefined) return;
    walk(e, (x) => {
      if (rowRoots === undefined) return;
      if (x.type === 'var') rowRoots.add(x.name);
      else if (x.type === 'path') rowRoots.add(x.root);
      else if (x.type === 'getRange') rowRoots.add(x.target.type === 'var' ? x.target.name : x.target.root);
      else if (x.type === 'call' && (CONTEXT_FUNCTIONS.has(x.name) || /^(proc_dict|kv_store)_/.test(x.name))) rowRoots = undefined;
      if (x.type === 'path') {
        for (const seg of x.segments) if (seg.kind === 'indexRef') read(seg.ref);
      }
    });
  };
  for (const f of rewritten.fields) {
    if (f.kind === 'star') rowRoots = undefined;
    else read(f.expr);
  }
  read(having);
  if (rowRoots !== undefined) {
    for (const r of [...rowRoots]) if (r.startsWith('\u0000')) rowRoots.delete(r);
  }

  return { window, groupBy, aggregates, analytics, statement: rewritten, having, rowRoots };

  function arity(name: string, e: Extract<Expr, { type: 'call' }>, min: number, max: number): void {
    const n = e.args.length;
    if (n >= min && n <= max) return;
    fail(arityReason(name, min, max, n), e.at);
  }
}

/**
 * A call that became a hidden column still stands as a condition where it stood as one
 * (`WHERE had_changed(true, x)`): it is compared with true, as a function's boolean is taken.
 */
function asCondition(e: Expr): Expr {
  switch (e.type) {
    case 'var':
      if (!e.name.startsWith('\u0000')) return e;
      return { type: 'compare', op: '=', left: e, right: { type: 'const', value: true, float: false, at: e.at }, at: e.at };
    case 'and': case 'or': return { ...e, left: asCondition(e.left), right: asCondition(e.right) };
    case 'not': return { ...e, operand: asCondition(e.operand) };
    default: return e;
  }
}

function constantOf(e: Expr): unknown {
  if (e.type === 'const') return e.value;
  return undefined;
}

function windowSpec(kind: WindowKind, e: Extract<Expr, { type: 'call' }>, fail: (reason: string, at: number) => never): WindowSpec {
  const text = windowText(e);
  const shapes: Record<WindowKind, string> = {
    tumbling: 'TUMBLINGWINDOW(unit, size)', hopping: 'HOPPINGWINDOW(unit, size, hop)', sliding: 'SLIDINGWINDOW(unit, size)',
    session: 'SESSIONWINDOW(unit, timeout, maxDuration)', count: 'COUNTWINDOW(n[, hop])', state: 'STATEWINDOW(begin, emit)',
  };
  const counts: Record<WindowKind, [number, number]> = { tumbling: [2, 2], hopping: [3, 3], sliding: [2, 2], session: [3, 3], count: [1, 2], state: [2, 2] };
  const [min, max] = counts[kind];
  if (e.args.length < min || e.args.length > max) fail(planWords.windowArity(shapes[kind], min, max, e.args.length), e.at);
  const integer = (x: Expr, what: string): number => {
    if (x.type !== 'const' || typeof x.value !== 'number' || !Number.isInteger(x.value) || x.value <= 0) {
      return fail(planWords.positiveInteger(shapes[kind], what), x.at);
    }
    return x.value;
  };
  // STATEWINDOW: events, not time; its conditions are set by planStream.
  if (kind === 'state') return { kind, size: 0, hop: 0, text };
  if (kind === 'count') {
    const n = integer(e.args[0], 'n');
    const hop = e.args.length > 1 ? integer(e.args[1], 'hop') : n;
    if (hop > n) fail(planWords.countHop(shapes.count, hop, n), e.args[1].at);
    return { kind, size: n, hop, text };
  }
  const u = e.args[0];
  const unit = u.type === 'var' ? UNITS[u.name.toLowerCase()] : undefined;
  if (unit === undefined) {
    const written = u.type === 'var' ? u.name : u.type === 'const' ? String(u.value) : planWords.anExpression();
    fail(planWords.unknownUnit(written), u.at);
  }
  const size = integer(e.args[1], kind === 'session' ? 'timeout' : 'size') * (unit as number);
  let hop = size;
  if (kind === 'hopping') hop = integer(e.args[2], 'hop') * (unit as number);
  if (kind === 'session') {
    hop = integer(e.args[2], 'maxDuration') * (unit as number);
    if (size >= hop) {
      // eKuiper writes SESSIONWINDOW(unit, maxDuration, timeout); the contract here is timeout first.
      const constant = (x: Expr): string => (x.type === 'const' ? String(x.value) : '');
      fail(planWords.sessionTimeout(shapes.session, constant(e.args[1]), constant(e.args[2])), e.args[1].at);
    }
  }
  return { kind, size, hop, text };
}
