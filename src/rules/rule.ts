// A compiled rule: FROM matching, then SELECT or FOREACH/DO/INCASE with WHERE
// (reference sections 3.1, 3.4, 3.5, 3.12, 3.13), as EMQX's `emqx_rule_runtime` runs them.
// Stateless: stateful statements are stream/stream.ts's, which builds on this one;
// compile-rule.ts chooses between the two, so that neither imports the other both ways.

import { Expr, Field, NameRef, Statement } from './ast';
import { CompileEnv, compileCondition, compileExpr, Condition, Evaluator } from './compile-expr';
import type { RuleStream, StreamOptions } from './stream/types';
import { NO_VALUE } from './no-value';
import { indexOf, keyStep, PutStep, putIn } from './paths';
import { inClause, Scope } from './scope';
import {
  compileTopicFilter, eventTopicOf, normalizeSource, PUBLISH_EVENT, sourceEvents, sourceKind,
} from './topic';
import { words } from '../words';

export interface Rule {
  readonly id: string;
  readonly sql: string;
  readonly kind: 'select' | 'foreach';
  /** The FROM topics as written. */
  readonly sources: string[];
  /** Every event some FROM topic can fire for (`message.publish` for plain topic filters). */
  readonly events: string[];
  /** Whether FROM matches these columns (reference section 3.1). */
  matches(columns: Record<string, unknown>): boolean;
  /** null: FROM or WHERE did not match; else the rows (SELECT: one). Throws RuleEvaluationError. */
  evaluate(columns: Record<string, unknown>): Record<string, unknown>[] | null;
  /** `evaluate` for columns that `matches` already accepted: FROM is not checked again. */
  evaluateMatched(columns: Record<string, unknown>): Record<string, unknown>[] | null;
  /** Windows, aggregates or analytic functions present: run it with `stream()` (DESIGN.md section 2). */
  readonly stateful: boolean;
  /** The state that a stateful statement keeps between events; throws for a stateless one. */
  stream(options?: StreamOptions): RuleStream;
}

export type FieldRun = (s: Scope, out: Record<string, unknown>) => void;
type RootLookup = (name: string) => unknown;

/** Where a field's value is written: a root name and, for a path, the steps below it. */
interface Target {
  root: string;
  steps: ((lookup: RootLookup) => PutStep)[];
}

const hasOwn = Object.prototype.hasOwnProperty;
let ephemeralCounter = 0;

/** EMQX's generated key for an unaliased expression that has no name (`_v_fun_upper_...`). */
function ephemeralKey(e: Expr): string {
  const stamp = `${Date.now()}${String(++ephemeralCounter).padStart(6, '0')}`;
  switch (e.type) {
    case 'call': return `_v_fun_${e.name}_${stamp}`;
    case 'list': return `_v_list_${e.items.length}_${stamp}`;
    case 'range': return `_v_range_${e.from}_${e.to}_${stamp}`;
    case 'const': return `_v_const_${String(e.value)}_${stamp}`;
    case 'arith': case 'compare': return `_v_op_${e.op}_${stamp}`;
    case 'case': return `_v_case_${stamp}`;
    default: return `_v_unknown_${stamp}`;
  }
}

/** Reads a name or path in a plain map (an index variable inside an AS target). */
function readRef(ref: NameRef, lookup: RootLookup): unknown {
  let v = lookup(ref.type === 'var' ? ref.name : ref.root);
  if (ref.type === 'var') return v;
  for (const seg of ref.segments) {
    if (v === undefined) return undefined;
    if (seg.kind === 'key') v = keyStep(seg.key)(v);
    else v = indexOf(v, seg.kind === 'index' ? seg.index : readRef(seg.ref, lookup));
  }
  return v;
}

function targetOf(ref: NameRef): Target {
  if (ref.type === 'var') return { root: ref.name, steps: [] };
  const steps = ref.segments.map((seg): Target['steps'][number] => {
    if (seg.kind === 'key') {
      const step: PutStep = { kind: 'key', key: seg.key };
      return () => step;
    }
    if (seg.kind === 'index') {
      const step: PutStep = { kind: 'index', index: seg.index, head: seg.index === 0 && !seg.tail, tail: seg.tail };
      return () => step;
    }
    // EMQX reads an index variable of a target from the map being written.
    const indexRef = seg.ref;
    return (lookup) => ({ kind: 'index', index: readRef(indexRef, lookup), head: false, tail: false });
  });
  return { root: ref.root, steps };
}

/** The key of an unaliased field (reference section 3.4). */
function defaultTarget(e: Expr): Target {
  switch (e.type) {
    case 'var': case 'path': return targetOf(e);
    case 'getRange': return targetOf(e.target);
    case 'const': if (typeof e.value === 'string') return { root: e.value, steps: [] }; break;
    default: break;
  }
  return { root: ephemeralKey(e), steps: [] };
}

/** Root names an expression reads, and whether it calls a function (which may read any). */
function collectReads(e: Expr, names: Set<string>): boolean {
  let calls = false;
  const visit = (x: Expr | undefined): void => {
    if (x === undefined) return;
    switch (x.type) {
      case 'var': names.add(x.name); return;
      case 'path':
        names.add(x.root);
        for (const seg of x.segments) if (seg.kind === 'indexRef') visit(seg.ref);
        return;
      case 'getRange': visit(x.target); return;
      case 'list': x.items.forEach(visit); return;
      case 'call': calls = true; x.args.forEach(visit); return;
      case 'arith': case 'compare': case 'and': case 'or': visit(x.left); visit(x.right); return;
      case 'negate': case 'not': visit(x.operand); return;
      case 'in': visit(x.subject); x.items.forEach(visit); return;
      case 'case':
        visit(x.subject);
        for (const b of x.branches) { visit(b.when); visit(b.then); }
        visit(x.otherwise);
        return;
      default: return;
    }
  };
  visit(e);
  return calls;
}

function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/**
 * `*`: everything the input map holds at this point, over the output (EMQX
 * `maps:merge(Output, Input)`). An earlier alias that names a column stays: EMQX keeps both
 * (a binary and an atom key), and a JS map can hold one.
 */
function copyInput(aliasesBefore: readonly string[]): FieldRun {
  const copy: FieldRun = (s, out) => {
    Object.assign(out, s.cols);
    out.metadata = s.metadata();
    if (s.sel !== null) Object.assign(out, s.sel);
    if (s.itemName !== null) setKey(out, s.itemName, s.item);
    if (s.over !== null) Object.assign(out, s.over);
  };
  if (aliasesBefore.length === 0) return copy;
  return (s, out) => {
    let kept: Map<string, unknown> | undefined;
    for (const k of aliasesBefore) {
      if (hasOwn.call(out, k) && copiedByStar(s, k)) (kept ??= new Map()).set(k, out[k]);
    }
    copy(s, out);
    if (kept !== undefined) for (const [k, v] of kept) setKey(out, k, v);
  };
}

function copiedByStar(s: Scope, key: string): boolean {
  return hasOwn.call(s.cols, key) || key === 'metadata' || key === s.itemName
    || (s.sel !== null && hasOwn.call(s.sel, key)) || (s.over !== null && hasOwn.call(s.over, key));
}

/**
 * Writes a value to the output and, for a FOREACH alias that a later field may read, into the
 * input map as EMQX does. A `payload.…` target decodes a payload that is still JSON text
 * first, so its other keys are kept.
 */
function writer(value: Evaluator, target: Target, alsoInput: boolean): FieldRun {
  const { root, steps } = target;
  if (steps.length === 0 && root !== '__proto__') {
    // A column holding "no value" (no-value.ts) is left out of the row.
    if (!alsoInput) {
      return (s, out) => {
        const v = value(s);
        if (v !== NO_VALUE) out[root] = v;
      };
    }
    return (s, out) => {
      const v = value(s);
      if (v === NO_VALUE) return;
      out[root] = v;
      (s.over ??= {})[root] = v;
    };
  }
  const lookupIn = (map: Record<string, unknown>): RootLookup => (name) => (hasOwn.call(map, name) ? map[name] : undefined);
  return (s, out) => {
    const v = value(s);
    if (v === NO_VALUE) return;
    if (steps.length === 0) {
      setKey(out, root, v);
      if (alsoInput) setKey(s.over ??= {}, root, v);
      return;
    }
    const outLookup = lookupIn(out);
    let current = hasOwn.call(out, root) ? out[root] : undefined;
    if (root === 'payload' && current !== undefined) current = s.payloadOf(current);
    setKey(out, root, putIn(current, steps.map((step) => step(outLookup)), 0, v));
    if (alsoInput) {
      const inLookup: RootLookup = (name) => s.lookupOwn(name);
      let input = s.lookupOwn(root);
      if (root === 'payload') input = s.payloadOf(input);
      setKey(s.over ??= {}, root, putIn(input, steps.map((step) => step(inLookup)), 0, v));
    }
  };
}

/**
 * One closure per field, each writing its value where its alias (or default key) says.
 * `writeBack`: FOREACH, where EMQX also writes each alias into its columns.
 */
export function compileFields(fields: Field[], env: CompileEnv, writeBack: boolean): FieldRun[] {
  const aliases: string[] = [];
  // The output holds only what earlier fields wrote, until a `*` copies the whole input.
  let written: Set<string> | undefined = new Set();
  return fields.map((field, i) => {
    if (field.kind === 'star') {
      written = undefined;
      return copyInput(aliases.slice());
    }
    const value = compileExpr(field.expr, { ...env, outputRoots: written === undefined ? undefined : new Set(written) });
    const target = field.alias ? targetOf(field.alias) : defaultTarget(field.expr);
    if (field.alias || field.expr.type === 'const') aliases.push(target.root);
    written?.add(target.root);
    return writer(value, target, writeBack && field.alias !== undefined && readLater(fields, i, target.root));
  });
}

function readLater(fields: Field[], i: number, root: string): boolean {
  for (let j = i + 1; j < fields.length; j++) {
    const later = fields[j];
    if (later.kind === 'star') return true;
    const names = new Set<string>();
    if (collectReads(later.expr, names) || names.has(root)) return true;
  }
  return false;
}

/** FROM, prepared: one matcher per source kind, and a memo of which events match. */
class FromClause {
  private readonly topics: ((topic: string) => boolean)[] = [];
  private readonly events: ((topic: string) => boolean)[] = [];
  private readonly dataSources: ((topic: string) => boolean)[] = [];
  private readonly eventHits = new Map<string, boolean>();

  constructor(sources: readonly string[]) {
    for (const source of sources) {
      const normalized = normalizeSource(source);
      const kind = sourceKind(normalized);
      const list = kind === 'topic' ? this.topics : kind === 'event' ? this.events : this.dataSources;
      list.push(compileTopicFilter(normalized));
    }
  }

  matches(cols: Record<string, unknown>): boolean {
    const explicit = cols.event_topic;
    if (typeof explicit === 'string') return anyMatch(this.dataSources, explicit);
    const event = cols.event;
    if (event === undefined || event === PUBLISH_EVENT) {
      const topic = cols.topic;
      if (typeof topic !== 'string') return false;
      // rule_engine.ignore_sys_message: $SYS messages flagged `sys` trigger nothing.
      if (topic.startsWith('$SYS/') && isSysFlagged(cols.flags)) return false;
      return anyMatch(this.topics, topic);
    }
    if (typeof event !== 'string') return false;
    let hit = this.eventHits.get(event);
    if (hit === undefined) {
      const topic = eventTopicOf(event);
      hit = topic === undefined ? false
        : anyMatch(sourceKind(topic) === 'event' ? this.events : this.dataSources, topic);
      if (this.eventHits.size < 256) this.eventHits.set(event, hit);
    }
    return hit;
  }
}

function anyMatch(matchers: ((topic: string) => boolean)[], topic: string): boolean {
  for (let i = 0; i < matchers.length; i++) if (matchers[i](topic)) return true;
  return false;
}

function isSysFlagged(flags: unknown): boolean {
  return typeof flags === 'object' && flags !== null && (flags as Record<string, unknown>).sys === true;
}

export class CompiledRule implements Rule {
  readonly stateful = false;
  readonly kind: 'select' | 'foreach';
  readonly sources: string[];
  readonly events: string[];
  private readonly from: FromClause;
  private readonly fields: FieldRun[];
  private readonly where: Condition | undefined;
  // FOREACH only:
  private readonly collect: Evaluator | undefined;
  private readonly collectWrite: FieldRun | undefined;
  private readonly itemName: string = 'item';
  private readonly doFields: FieldRun[] | undefined;
  private readonly incase: Condition | undefined;

  constructor(readonly id: string, readonly sql: string, statement: Statement, env: CompileEnv) {
    this.kind = statement.kind;
    this.sources = statement.sources.map((s) => s.topic);
    this.events = [...new Set(this.sources.flatMap(sourceEvents))];
    this.from = new FromClause(this.sources);
    this.where = statement.where ? compileCondition(statement.where, env) : undefined;
    if (statement.kind === 'select') {
      this.fields = compileFields(statement.fields, env, false);
      return;
    }
    const fields = statement.fields;
    const last = fields[fields.length - 1];
    if (last.kind === 'star') {
      throw env.map.error(words('rules.parser.foreachStar', 'the last FOREACH field must be the collection to iterate, not *'), last.at);
    }
    this.fields = compileFields(fields, env, true).slice(0, -1);
    const value = compileExpr(last.expr, env);
    // FOREACH payload: the payload text is decoded to iterate over it.
    this.collect = last.expr.type === 'var' && last.expr.name === 'payload' ? (s) => s.payloadOf(value(s)) : value;
    const target = last.alias ? targetOf(last.alias) : defaultTarget(last.expr);
    this.collectWrite = writer((s) => s.item, target, false);
    if (last.alias) this.itemName = last.alias.type === 'var' ? last.alias.name : last.alias.root;
    this.doFields = statement.doFields ? compileFields(statement.doFields, env, false) : undefined;
    this.incase = statement.incase ? compileCondition(statement.incase, env) : undefined;
  }

  matches(columns: Record<string, unknown>): boolean {
    return this.from.matches(columns);
  }

  stream(): never {
    throw new Error('rule.stream() is for stateful statements (windows, aggregates, analytic functions); use rule.evaluate()');
  }

  evaluate(columns: Record<string, unknown>): Record<string, unknown>[] | null {
    return this.from.matches(columns) ? this.evaluateMatched(columns) : null;
  }

  evaluateMatched(columns: Record<string, unknown>): Record<string, unknown>[] | null {
    const s = new Scope(columns, this.id);
    return this.kind === 'select' ? this.select(s) : this.foreach(s);
  }

  private select(s: Scope): Record<string, unknown>[] | null {
    const out: Record<string, unknown> = {};
    const fields = this.fields;
    s.out = out;
    try {
      for (let i = 0; i < fields.length; i++) fields[i](s, out);
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    s.out = null;
    if (this.where !== undefined && !this.matchWhere(s, out)) return null;
    return [out];
  }

  /** WHERE sees the columns merged with the selected fields, the selected ones winning. */
  private matchWhere(s: Scope, selected: Record<string, unknown>): boolean {
    s.over = selected;
    s.inSelect = false;
    try {
      return (this.where as Condition)(s);
    } catch (err) {
      throw inClause(err, 'match_conditions_error');
    }
  }

  private foreach(s: Scope): Record<string, unknown>[] | null {
    const selected: Record<string, unknown> = {};
    let collection: unknown;
    s.out = selected;
    try {
      for (let i = 0; i < this.fields.length; i++) this.fields[i](s, selected);
      collection = (this.collect as Evaluator)(s);
      s.item = collection;
      (this.collectWrite as FieldRun)(s, selected);
    } catch (err) {
      throw inClause(err, 'select_and_collect_error');
    }
    s.out = null;
    if (this.where !== undefined && !this.matchWhere(s, selected)) return null;
    const items = Array.isArray(collection) ? collection : [];
    s.over = null;
    s.sel = selected;
    s.itemName = this.itemName;
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < items.length; i++) {
      s.item = items[i];
      s.over = null;
      if (this.incase !== undefined) {
        s.inSelect = false;
        let keep: boolean;
        try {
          keep = this.incase(s);
        } catch (err) {
          throw inClause(err, 'match_incase_error');
        }
        if (!keep) continue;
      }
      rows.push(this.doFields === undefined ? this.wholeContext(s, selected) : this.doEach(s, this.doFields));
    }
    return rows;
  }

  private doEach(s: Scope, doFields: FieldRun[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    s.inSelect = true;
    s.out = out;
    try {
      for (let i = 0; i < doFields.length; i++) doFields[i](s, out);
    } catch (err) {
      throw inClause(err, 'doeach_error');
    }
    s.out = null;
    return out;
  }

  /** Without DO each row is the whole context: the columns, the selected fields, the item. */
  private wholeContext(s: Scope, selected: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = Object.assign({}, s.cols);
    row.metadata = s.metadata();
    Object.assign(row, selected);
    setKey(row, this.itemName, s.item);
    return row;
  }
}
